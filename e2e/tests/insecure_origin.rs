//! Nido opened over plain http from the network (here `nido.test`, resolved to this
//! machine), as a parent might by mistake: every page warns that the connection is not
//! secure, and the camera page, which browsers refuse the camera on, links to Nido's https
//! address.

use nido_e2e::*;
use nido_shared::UserRole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_plain_http_the_pages_warn_and_the_camera_links_to_https() {
    let dist = dist_dir();
    let server = InProcessServer::start_with(Some(&dist), |config| {
        config.public_url = Some("https://nido.test".parse().expect("an address"));
    })
    .await;
    server
        .room("pollitos", "Pollitos", Default::default())
        .await;
    server
        .person(UserRole::Caregiver, "marta", "Seño Marta", &["pollitos"])
        .await;
    let driver = Driver::start().await;
    let rules = "--host-resolver-rules=MAP nido.test 127.0.0.1".to_owned();
    let marta = driver.browser_with(PHONE, &[rules]).await;
    let at = |path: &str| format!("http://nido.test:{}{path}", server.addr.port());
    marta.goto(&at("/login")).await;
    marta.choose_language("es").await;
    marta
        .wait_for_text("insecure-warning", "Conexión sin cifrar")
        .await;
    marta.log_in_at(&at("/login"), "marta", "Seño Marta").await;
    marta.goto(&at("/camera/pollitos")).await;
    let link = eventually("the link to the https page", || async {
        let href = marta
            .js("const a = document.querySelector('[data-testid=open-secure]'); return a ? a.href : null")
            .await;
        href.as_str().map(str::to_owned)
    })
    .await;
    assert_eq!(link, "https://nido.test/camera/pollitos");
    marta.screenshot("camera-insecure-phone-es").await;
}
