//! A caregiver streams from the camera page in one headless Chromium; two parents watch in
//! two others; they chat; the server restarts and everyone comes back by themselves.

use nido_e2e::*;

const ROOM: &str = "pollitos";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_streams_to_two_viewers_who_chat_and_survive_a_server_restart() {
    let dist = dist_dir();
    let mut server = Server::start(&dist).await;
    let driver = Driver::start().await;

    let camera = driver.browser(LAPTOP).await;
    camera.enter_room(&server, ROOM, "Seño Marta", true).await;
    camera.click("start").await;
    camera.wait_for_text("camera-state", "Live").await;
    eventually("the camera to send frames", || async {
        let fps = camera.text_of("sent-fps").await;
        (!fps.starts_with('0') && !fps.is_empty()).then_some(())
    })
    .await;

    let ana = driver.browser(LAPTOP).await;
    ana.enter_room(&server, ROOM, "Ana (mamá de Leo)", false)
        .await;
    let luis = driver.browser(PHONE).await;
    luis.enter_room(&server, ROOM, "Luis", false).await;

    for viewer in [&ana, &luis] {
        picture_changes(viewer).await;
        viewer.wait_for_text("camera-state", "Live").await;
    }
    camera.wait_for_text("viewer-count", "2").await;

    // Chat: typed by one parent, seen by the caregiver and the other parent, as text.
    let line = "<b>¿Ha comido bien?</b> <script>alert(1)</script>";
    ana.type_into("chat-input", line).await;
    ana.js("document.querySelector('.chat-form button').click()")
        .await;
    for page in [&camera, &ana, &luis] {
        page.wait_for_text("chat-lines", line).await;
    }
    let bold = luis
        .js("return document.querySelectorAll('.chat-lines b, .chat-lines script').length")
        .await;
    assert_eq!(
        bold, 0,
        "markup in chat is shown as text, never interpreted"
    );
    camera.type_into("chat-input", "Sí, todo el plato").await;
    camera
        .js("document.querySelector('.chat-form button').click()")
        .await;
    ana.wait_for_text("chat-lines", "Sí, todo el plato").await;

    screenshots(&camera, &ana, &luis).await;

    // The server restarts: everyone is closed with 1001, then reconnects without a reload.
    server = server.restart().await;
    for viewer in [&ana, &luis] {
        viewer.wait_for_text("connection", "Connected").await;
        picture_changes(viewer).await;
    }
    camera.wait_for_text("viewer-count", "2").await;
    assert_eq!(
        ana.js("return performance.getEntriesByType('navigation').length")
            .await,
        1
    );

    // Stopping the camera turns viewers' pictures off at once: never a frozen frame.
    camera.click("stop").await;
    for viewer in [&ana, &luis] {
        viewer.wait_for_text("stage-overlay", "Camera off").await;
        eventually("the picture to be cleared", || async {
            viewer.picture_sample().await.is_none().then_some(())
        })
        .await;
    }
    ana.screenshot("viewer-laptop-camera-off-en").await;
    drop(server);
}

/// Two samples of the picture, taken apart, differ: the picture is live, not frozen.
async fn picture_changes(viewer: &Browser) {
    let first = eventually("a picture", || viewer.picture_sample()).await;
    eventually("the picture to change", || async {
        viewer
            .picture_sample()
            .await
            .filter(|later| *later != first)
    })
    .await;
}

/// The camera and viewer pages at laptop and phone widths, in English and Spanish.
async fn screenshots(camera: &Browser, ana: &Browser, luis: &Browser) {
    for lang in ["en", "es"] {
        for page in [camera, ana, luis] {
            page.choose_language(lang).await;
        }
        camera.screenshot(&format!("camera-laptop-{lang}")).await;
        ana.screenshot(&format!("viewer-laptop-{lang}")).await;
        luis.screenshot(&format!("viewer-phone-{lang}")).await;
        camera.resize(PHONE).await;
        camera.screenshot(&format!("camera-phone-{lang}")).await;
        camera.resize(LAPTOP).await;
    }
    for page in [camera, ana, luis] {
        page.choose_language("en").await;
    }
}
