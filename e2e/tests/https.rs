//! Nido over https with its own certificate (`--tls-self-signed`), reached by a host name
//! other than localhost (`nido.test`, which Chromium resolves to loopback): a caregiver's
//! camera page streams to a parent's viewer page. The browsers are told to accept exactly
//! that certificate; all traffic stays on loopback.

use nido_e2e::*;
use nido_shared::UserRole;

const HOST: &str = "nido.test";
const ROOM: &str = "sala-sol";

#[tokio::test]
async fn a_camera_streams_to_a_viewer_over_self_signed_https() {
    let dist = dist_dir();
    let server = InProcessServer::start_with(Some(&dist), |config| {
        config.tls_self_signed = true;
        config.tls_host = vec![HOST.to_owned()];
    })
    .await;
    server.set_local_time("2026-11-25T10:00:00+01:00");
    server.room(ROOM, "Sala Sol", Default::default()).await;
    server
        .person(UserRole::Caregiver, "marta", "Seño Marta", &[ROOM])
        .await;
    server
        .person(UserRole::Family, "ana", "Ana García", &[ROOM])
        .await;

    let switches = [
        format!("--host-resolver-rules=MAP {HOST} 127.0.0.1"),
        format!(
            "--ignore-certificate-errors-spki-list={}",
            certificate_key_hash(server.data_dir())
        ),
    ];
    let base = format!("https://{HOST}:{}", server.addr.port());
    let driver = Driver::start().await;

    let camera = driver.browser_with(LAPTOP, &switches).await;
    camera
        .log_in_at(&format!("{base}/login"), "marta", "Seño Marta")
        .await;
    let context = camera
        .js("return [location.protocol, location.hostname, window.isSecureContext]")
        .await;
    assert_eq!(context, serde_json::json!(["https:", HOST, true]));
    camera.click(&format!("stream-{ROOM}")).await;
    camera.click("start").await;
    camera.wait_for_text("camera-state", "Live").await;

    let viewer = driver.browser_with(PHONE, &switches).await;
    viewer
        .log_in_at(&format!("{base}/login"), "ana", "Ana García")
        .await;
    viewer.click(&format!("watch-{ROOM}")).await;
    viewer.wait_for_text("camera-state", "Live").await;
    viewer.wait_for_moving_picture().await;
    eventually("the viewer to count frames", || async {
        let fps = viewer.text_of("fps").await;
        (!fps.starts_with('0') && !fps.is_empty()).then_some(())
    })
    .await;
    viewer.screenshot("https-viewer-phone-en").await;
}
