//! Two-step sign-in through the real pages: the director turns it on by scanning (here:
//! reading) the key and typing a code, keeps the recovery codes, requires it of staff; a
//! caregiver without it is held on their account page; the director logs in with a code.

use nido_e2e::*;
use nido_shared::UserRole;
use totp_rs::{Algorithm, Secret, TOTP};

/// The code an authenticator app with this key shows `ahead` steps of 30 s after the
/// server's now.
fn code(server: &InProcessServer, key: &str, ahead: u64) -> String {
    let secret = Secret::Encoded(key.to_owned())
        .to_bytes()
        .expect("a base32 key");
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, secret, None, "e2e".into());
    let now_secs = server.state.clock.now().as_secs();
    totp.generate(now_secs + ahead * 30)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_turns_on_two_step_sign_in_and_requires_it_of_staff() {
    let dist = dist_dir();
    let server = InProcessServer::start(Some(&dist)).await;
    server
        .room("pollitos", "Pollitos", Default::default())
        .await;
    server
        .person(UserRole::Admin, "directora", "Carmen (dirección)", &[])
        .await;
    server
        .person(UserRole::Caregiver, "marta", "Seño Marta", &["pollitos"])
        .await;
    let driver = Driver::start().await;

    let admin = driver.browser(LAPTOP).await;
    admin.goto(&server.url("/login")).await;
    admin.choose_language("es").await;
    admin
        .log_in(&server, "directora", "Carmen (dirección)")
        .await;
    admin
        .js("document.querySelector('[data-testid=second-factor] summary').click()")
        .await;
    admin.click("second-factor-on").await;
    let key = eventually("the key to type", || async {
        let key = admin.text_of("second-factor-secret").await;
        (!key.is_empty()).then_some(key)
    })
    .await;
    admin.screenshot("second-factor-scan-laptop-es").await;
    admin
        .type_into("second-factor-code", &code(&server, &key, 0))
        .await;
    admin.click("second-factor-confirm").await;
    let codes = admin.wait_for_text("recovery-codes", "-").await;
    admin
        .screenshot("second-factor-recovery-codes-laptop-es")
        .await;
    assert!(codes.contains("Códigos de recuperación"), "{codes}");
    admin.click("saved-codes").await;
    admin
        .wait_for_text("second-factor-status", "Activada")
        .await;

    // Required for staff, from the People page.
    admin.goto(&server.url("/admin/people")).await;
    admin.click("require-second-factor").await;
    admin.click("save-settings").await;
    admin.wait_for_text("settings-status", "Guardado").await;

    // The caregiver without it reaches only their account page, which says why.
    let marta = driver.browser(PHONE).await;
    marta.goto(&server.url("/login")).await;
    marta.choose_language("es").await;
    marta.log_in(&server, "marta", "Seño Marta").await;
    marta
        .wait_for_text("second-factor", "exige verificación en dos pasos")
        .await;
    marta.goto(&server.url("/camera/pollitos")).await;
    eventually("the camera page to send her home", || async {
        let path = marta.js("return location.pathname").await;
        (path == "/").then_some(())
    })
    .await;
    marta.screenshot("second-factor-owed-phone-es").await;

    // The director logs in again: the password, then the code (a phone 30 s ahead).
    admin.click("log-out").await;
    admin.goto(&server.url("/login")).await;
    admin.type_into("username", "directora").await;
    admin.type_into("password", PASSWORD).await;
    admin.click("log-in").await;
    admin.wait_for_text("problem", "código").await;
    admin.screenshot("login-code-laptop-es").await;
    admin.type_into("login-code", &code(&server, &key, 1)).await;
    admin.click("log-in").await;
    admin.wait_for_text("who", "Carmen (dirección)").await;
}
