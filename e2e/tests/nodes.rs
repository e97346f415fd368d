//! One deployment of three real nodes (the release binary on PostgreSQL, joined over NATS),
//! in headless Chromiums with a fake camera: the caregiver's camera page on node 1 streams
//! to a parent's phone on node 2 and a parent's laptop on node 3; the camera page sees both
//! watching, and chat typed on any node reaches the other two.

use nido_e2e::*;
use nido_testkit::NidoBinary;
use nido_testkit::deployment::Deployment;

const ROOM: &str = "sala-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_on_one_node_streams_and_chats_with_parents_on_two_others() {
    let deployment = Deployment::start(NidoBinary::new(release_binary()), 3, &[]).await;
    deployment.caregiver("marta").await;
    deployment.family("ana").await;
    deployment.family("luis").await;
    let login = |node: usize| format!("http://{}/login", deployment.addr(node));
    let driver = Driver::start().await;

    let camera = driver.browser(LAPTOP).await;
    camera.log_in_at(&login(0), "marta", "marta").await;
    camera.click(&format!("stream-{ROOM}")).await;
    camera.click("start").await;
    camera.wait_for_text("camera-state", "Live").await;

    let ana = driver.browser(PHONE).await;
    ana.log_in_at(&login(1), "ana", "ana").await;
    ana.choose_language("es").await;
    ana.click(&format!("watch-{ROOM}")).await;
    ana.wait_for_text("camera-state", "En directo").await;
    picture_moves(&ana, &deployment).await;

    let luis = driver.browser(LAPTOP).await;
    luis.log_in_at(&login(2), "luis", "luis").await;
    luis.click(&format!("watch-{ROOM}")).await;
    luis.wait_for_text("camera-state", "Live").await;
    picture_moves(&luis, &deployment).await;

    // Presence counts the viewers of every node.
    for name in ["ana", "luis"] {
        camera.wait_for_text("viewer-list", name).await;
    }

    say(&ana, "¿Ha dormido la siesta?").await;
    for page in [&camera, &luis] {
        page.wait_for_text("chat-lines", "¿Ha dormido la siesta?")
            .await;
    }
    say(&camera, "Sí, una hora").await;
    for page in [&ana, &luis] {
        page.wait_for_text("chat-lines", "Sí, una hora").await;
    }
    say(&luis, "Gracias").await;
    for page in [&camera, &ana] {
        page.wait_for_text("chat-lines", "Gracias").await;
    }
    let order = ana.text_of("chat-lines").await;
    let at = |line: &str| {
        order
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} in {order:?}"))
    };
    assert!(
        at("¿Ha dormido la siesta?") < at("Sí, una hora") && at("Sí, una hora") < at("Gracias"),
        "every node shows the room's order: {order:?}"
    );

    ana.screenshot("nodes-viewer-on-node-2-phone-es").await;
    luis.screenshot("nodes-viewer-on-node-3-laptop-en").await;
    camera.screenshot("nodes-camera-on-node-1-laptop-en").await;
}

/// Waits for the page's moving picture; if it does not come, the failure says what every
/// node and NATS saw of the video.
async fn picture_moves(page: &Browser, deployment: &Deployment) {
    if let Err(account) = page.moving_picture().await {
        panic!("{account}\n{}", deployment.video_diagnosis().await);
    }
}

async fn say(page: &Browser, line: &str) {
    page.type_into("chat-input", line).await;
    page.js("document.querySelector('.chat-form button').click()")
        .await;
}
