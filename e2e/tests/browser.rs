//! The whole path a daycare takes, in headless Chromiums with a fake camera: an admin
//! creates a room and an invite; a parent registers through the link and watches while a
//! caregiver streams; they chat; a parent of another room cannot see it; viewing hours
//! close and reopen the picture live; the server restarts and everyone comes back.

use nido_e2e::*;
use nido_shared::UserRole;

const ROOM: &str = "pollitos";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_parent_watches_the_caregivers_camera_and_nobody_else_can() {
    let dist = dist_dir();
    let mut server = InProcessServer::start(Some(&dist)).await;
    // A Wednesday morning: the room is open to families.
    server.set_local_time("2026-11-25T10:00:00+01:00");
    server
        .person(UserRole::Admin, "directora", "Carmen (dirección)", &[])
        .await;
    let driver = Driver::start().await;

    // The admin creates the room and a family invite for it.
    let admin = driver.browser(LAPTOP).await;
    admin
        .log_in(&server, "directora", "Carmen (dirección)")
        .await;
    admin.screenshot("home-admin-laptop-en").await;
    admin.click("admin-rooms").await;
    admin.type_into("new-room-id", ROOM).await;
    admin.type_into("new-room-name", "Pollitos").await;
    admin.click("create-room").await;
    admin
        .wait_for_text(&format!("room-{ROOM}"), "/watch/pollitos")
        .await;
    admin.screenshot("admin-rooms-laptop-en").await;
    let link = admin.create_invite(&server, ROOM).await;
    admin.screenshot("invites-laptop-en").await;

    // The room's caregiver streams from the camera page.
    server
        .person(UserRole::Caregiver, "marta", "Seño Marta", &[ROOM])
        .await;
    let camera = driver.browser(LAPTOP).await;
    camera.log_in(&server, "marta", "Seño Marta").await;
    camera.click(&format!("stream-{ROOM}")).await;
    camera.click("start").await;
    camera.wait_for_text("camera-state", "Live").await;
    // On a 1280×800 laptop, turning off and the privacy pause are in view, and distinct.
    let in_view = camera
        .js("return ['stop', 'pause'].every(id => { const r = document.querySelector(`[data-testid=${id}]`).getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })")
        .await;
    assert_eq!(in_view, true, "the camera's controls need scrolling");
    assert_ne!(camera.text_of("stop").await, camera.text_of("pause").await);
    eventually("the camera to send frames", || async {
        let fps = camera.text_of("sent-fps").await;
        (!fps.starts_with('0') && !fps.is_empty()).then_some(())
    })
    .await;

    // The parent registers through the link, finds the room and watches.
    let ana = driver.browser(PHONE).await;
    ana.goto(&link).await;
    ana.wait_for_text("register", "Create account").await;
    ana.screenshot("invite-phone-en").await;
    ana.type_into("display-name", "Ana (mamá de Leo)").await;
    ana.type_into("username", "ana").await;
    ana.type_into("password", PASSWORD).await;
    ana.click("register").await;
    ana.wait_for_text("my-rooms", "Pollitos").await;
    ana.screenshot("home-family-phone-en").await;
    ana.click(&format!("watch-{ROOM}")).await;
    ana.wait_for_moving_picture().await;
    ana.wait_for_text("camera-state", "Live").await;
    camera
        .wait_for_text("viewer-list", "Ana (mamá de Leo)")
        .await;

    // A parent of another room cannot see this one, even by its address.
    server.room("patitos", "Patitos", Default::default()).await;
    server
        .person(UserRole::Family, "luis", "Luis", &["patitos"])
        .await;
    let luis = driver.browser(PHONE).await;
    luis.log_in(&server, "luis", "Luis").await;
    assert!(!luis.text_of("my-rooms").await.contains("Pollitos"));
    luis.goto(&server.url(&format!("/watch/{ROOM}"))).await;
    luis.wait_for_text("stage-overlay", "You do not have access")
        .await;
    assert_eq!(luis.picture_sample().await, None, "not one frame");
    luis.screenshot("viewer-no-access-phone-en").await;

    // Chat: typed by the parent, seen by the caregiver, as text.
    let line = "<b>¿Ha comido bien?</b> <script>alert(1)</script>";
    ana.type_into("chat-input", line).await;
    ana.js("document.querySelector('.chat-form button').click()")
        .await;
    for page in [&camera, &ana] {
        page.wait_for_text("chat-lines", line).await;
    }
    let markup = camera
        .js("return document.querySelectorAll('.chat-lines b, .chat-lines script').length")
        .await;
    assert_eq!(
        markup, 0,
        "markup in chat is shown as text, never interpreted"
    );
    camera.type_into("chat-input", "Sí, todo el plato").await;
    camera
        .js("document.querySelector('.chat-form button').click()")
        .await;
    ana.wait_for_text("chat-lines", "Sí, todo el plato").await;

    screenshots(&camera, &ana).await;

    // 17:00: the room closes to families, live; the caregiver keeps streaming.
    server.set_local_time("2026-11-25T17:00:00+01:00");
    ana.wait_for_text("stage-overlay", "Camera closed").await;
    ana.wait_for_text("stage-overlay", "Opens Thursday 07:00")
        .await;
    picture_cleared(&ana).await;
    ana.screenshot("viewer-closed-phone-en").await;
    camera
        .wait_for_text("families-see", "families see the room closed")
        .await;
    camera.screenshot("camera-closed-hours-laptop-en").await;
    server.set_local_time("2026-11-26T07:00:00+01:00");
    ana.wait_for_moving_picture().await;

    // The server restarts: everyone is closed with 1001, then reconnects without a reload.
    server = server.restart().await;
    let back = std::time::Instant::now();
    picture_cleared(&ana).await;
    eventually("a picture again", || ana.picture_sample()).await;
    // A measurement for docs/performance.md, not a limit: tests check correctness.
    println!(
        "the viewer showed a picture again {} ms after the server was back",
        back.elapsed().as_millis()
    );
    ana.wait_for_text("connection", "Connected").await;
    ana.wait_for_moving_picture().await;
    assert_eq!(
        ana.js("return performance.getEntriesByType('navigation').length")
            .await,
        1
    );

    // Stopping the camera turns the picture off at once: never a frozen frame.
    camera.click("stop").await;
    ana.wait_for_text("stage-overlay", "Camera off").await;
    picture_cleared(&ana).await;

    // Not streaming, the camera page still shows who is waiting, and chats.
    camera
        .wait_for_text("viewer-list", "Ana (mamá de Leo)")
        .await;
    ana.type_into("chat-input", "¿Volvéis a encenderla?").await;
    ana.js("document.querySelector('.chat-form button').click()")
        .await;
    camera
        .wait_for_text("chat-lines", "¿Volvéis a encenderla?")
        .await;
    camera.type_into("chat-input", "En cinco minutos").await;
    camera
        .js("document.querySelector('.chat-form button').click()")
        .await;
    ana.wait_for_text("chat-lines", "En cinco minutos").await;
    camera.screenshot("camera-off-chat-laptop-en").await;

    // The admin sees who watched, from where.
    admin.goto(&server.url("/admin/audit")).await;
    admin.wait_for_text("audit", "Ana (mamá de Leo)").await;
    admin.wait_for_text("audit", "127.0.0.1").await;
    admin.screenshot("audit-laptop-en").await;
    drop(server);
}

async fn picture_cleared(viewer: &Browser) {
    eventually("the picture to be cleared", || async {
        viewer.picture_sample().await.is_none().then_some(())
    })
    .await;
}

/// The camera and viewer pages at laptop and phone widths, in English and Spanish.
async fn screenshots(camera: &Browser, ana: &Browser) {
    for lang in ["en", "es"] {
        for page in [camera, ana] {
            page.choose_language(lang).await;
        }
        camera.screenshot(&format!("camera-laptop-{lang}")).await;
        ana.screenshot(&format!("viewer-phone-{lang}")).await;
        camera.resize(PHONE).await;
        camera.screenshot(&format!("camera-phone-{lang}")).await;
        camera.resize(LAPTOP).await;
        ana.resize(LAPTOP).await;
        ana.screenshot(&format!("viewer-laptop-{lang}")).await;
        ana.resize(PHONE).await;
    }
    for page in [camera, ana] {
        page.choose_language("en").await;
    }
}
