//! Two-step sign-in (TOTP with recovery codes): setting it up, logging in with it, codes
//! that work once, and the admins' setting that requires it of staff.

mod common;

use common::*;
use nido_shared::api::{
    ApiError, ApiErrorCode, LoginRequest, Me, PasswordConfirmation, RecoveryCodes,
    SecondFactorCode, SecondFactorSetup, SecurityEvent, SecurityEventKind, Settings,
};
use nido_shared::{Problem, Role, UserRole};
use reqwest::Method;
use totp_rs::TOTP;

/// An authenticator app set up for an account, and when it was set up.
struct Authenticator {
    totp: TOTP,
    set_up_secs: u64,
}

impl Authenticator {
    /// The code it shows `ahead_steps` steps of 30 s after it was set up.
    fn code(&self, ahead_steps: u64) -> String {
        self.totp.generate(self.set_up_secs + ahead_steps * 30)
    }
}

/// Sets up two-step sign-in for `account`: its authenticator and its recovery codes.
async fn enroll(server: &TestServer, account: &Account) -> (Authenticator, Vec<String>) {
    let setup: SecondFactorSetup = server
        .api(Method::POST, "/api/me/second-factor/setup", account)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(setup.qr_svg.starts_with("<?xml"), "{}", &setup.qr_svg[..40]);
    let totp = TOTP::from_url(&setup.otpauth_url).unwrap();
    assert_eq!(totp.get_secret_base32(), setup.secret);
    let app = Authenticator {
        totp,
        set_up_secs: server.state.clock.now().as_secs(),
    };
    let code = SecondFactorCode { code: app.code(0) };
    let response = server
        .api(Method::POST, "/api/me/second-factor/confirm", account)
        .json(&code)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let codes: RecoveryCodes = response.json().await.unwrap();
    (app, codes.codes)
}

async fn login_with(
    server: &TestServer,
    username: &str,
    code: Option<String>,
) -> (u16, Option<ApiError>) {
    let response = server
        .http
        .post(server.url("/api/login"))
        .json(&LoginRequest {
            username: username.into(),
            password: PASSWORD.into(),
            code,
        })
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.ok())
}

fn code_of(answer: &(u16, Option<ApiError>)) -> Option<ApiErrorCode> {
    answer.1.as_ref().map(|error| error.code)
}

#[tokio::test]
async fn a_wrong_code_fails_before_setup_is_confirmed_and_nothing_changes() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    server
        .api(Method::POST, "/api/me/second-factor/setup", &admin)
        .send()
        .await
        .unwrap();
    let response = server
        .api(Method::POST, "/api/me/second-factor/confirm", &admin)
        .json(&SecondFactorCode {
            code: "000000".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.problem, Some(Problem::WrongCode));
    let me: Me = server.get_as("/api/me", &admin).await;
    assert!(!me.second_factor.enabled);
    assert_eq!(login_with(&server, &admin.username, None).await.0, 204);
}

#[tokio::test]
async fn logging_in_takes_a_code_once_and_each_recovery_code_once() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let (app, recovery) = enroll(&server, &admin).await;
    assert_eq!(recovery.len(), 10);
    let me: Me = server.get_as("/api/me", &admin).await;
    assert!(me.second_factor.enabled);
    assert_eq!(me.second_factor.recovery_codes_left, 10);

    // The password alone is not enough, and says so.
    let without = login_with(&server, &admin.username, None).await;
    assert_eq!(
        (without.0, code_of(&without)),
        (401, Some(ApiErrorCode::SecondFactorNeeded))
    );
    let wrong = login_with(&server, &admin.username, Some("123456".into())).await;
    assert_eq!(
        (wrong.0, code_of(&wrong)),
        (401, Some(ApiErrorCode::WrongSecondFactor))
    );
    // The code used to confirm the setup does not log in again.
    let replayed = login_with(&server, &admin.username, Some(app.code(0))).await;
    assert_eq!(code_of(&replayed), Some(ApiErrorCode::WrongSecondFactor));
    // The next step's code (a phone's clock 30 s ahead) logs in, once.
    let next = app.code(1);
    assert_eq!(
        login_with(&server, &admin.username, Some(next.clone()))
            .await
            .0,
        204
    );
    let again = login_with(&server, &admin.username, Some(next)).await;
    assert_eq!(code_of(&again), Some(ApiErrorCode::WrongSecondFactor));

    // A recovery code, typed loosely, logs in once.
    let loose = format!(" {} ", recovery[3].to_uppercase());
    assert_eq!(
        login_with(&server, &admin.username, Some(loose)).await.0,
        204
    );
    let spent = login_with(&server, &admin.username, Some(recovery[3].clone())).await;
    assert_eq!(code_of(&spent), Some(ApiErrorCode::WrongSecondFactor));
    let me: Me = server.get_as("/api/me", &admin).await;
    assert_eq!(me.second_factor.recovery_codes_left, 9);

    // Wrong codes are failed logins in the audit log.
    let events: Vec<SecurityEvent> = server.get_as("/api/audit/events", &admin).await;
    let kinds: Vec<SecurityEventKind> = events.iter().map(|event| event.kind).collect();
    assert!(
        kinds.contains(&SecurityEventKind::SecondFactorEnabled),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&SecurityEventKind::RecoveryCodeUsed),
        "{kinds:?}"
    );
    let failed = kinds
        .iter()
        .filter(|kind| **kind == SecurityEventKind::LoginFailed)
        .count();
    assert_eq!(failed, 4, "{kinds:?}");
}

#[tokio::test]
async fn turning_it_off_needs_the_password() {
    let server = TestServer::start().await;
    let parent = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    enroll(&server, &parent).await;
    let off = |password: &str| {
        server
            .api(Method::POST, "/api/me/second-factor/off", &parent)
            .json(&PasswordConfirmation {
                current_password: password.into(),
            })
            .send()
    };
    let refused = off("not the password").await.unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(off(PASSWORD).await.unwrap().status(), 204);
    assert_eq!(login_with(&server, &parent.username, None).await.0, 204);
}

async fn require_for_staff(server: &TestServer, admin: &Account) -> reqwest::Response {
    server
        .api(Method::PATCH, "/api/settings", admin)
        .json(&Settings {
            family_invite_limit: 3,
            staff_second_factor: true,
            time_zone: String::new(),
        })
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn when_admins_require_it_staff_without_it_reach_only_their_account() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    // An admin cannot require what they have not set up themselves.
    let refused = require_for_staff(&server, &admin).await;
    assert_eq!(refused.status(), 422);
    let error: ApiError = refused.json().await.unwrap();
    assert_eq!(error.problem, Some(Problem::OwnSecondFactorFirst));

    let caregiver = server
        .person(UserRole::Caregiver, "Educadora", &["sala-1"])
        .await;
    let mut camera = server.connect_as(&caregiver).await;
    camera.join("sala-1", Role::Camera, None).await;
    let parent = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    enroll(&server, &admin).await;
    assert_eq!(require_for_staff(&server, &admin).await.status(), 200);

    // The caregiver's camera stops at once.
    camera
        .expect_error(nido_shared::ErrorCode::SessionEnded, Some(1008))
        .await;
    // Their session now opens only their own account, which says what is needed.
    let rooms = server
        .api(Method::GET, "/api/rooms", &caregiver)
        .send()
        .await
        .unwrap();
    assert_eq!(rooms.status(), 403);
    let error: ApiError = rooms.json().await.unwrap();
    assert_eq!(error.code, ApiErrorCode::SecondFactorSetupNeeded);
    assert_eq!(upgrade_status(&server, &caregiver).await, 403);
    let me: Me = server.get_as("/api/me", &caregiver).await;
    assert!(me.second_factor.required && !me.second_factor.enabled);
    assert!(me.rooms.is_empty());
    // Families are not asked.
    let me: Me = server.get_as("/api/me", &parent).await;
    assert!(!me.second_factor.required);
    let _: Vec<nido_shared::api::RoomSummary> = server.get_as("/api/rooms", &parent).await;

    // Once set up, the caregiver is back, and cannot turn it off while it is required.
    enroll(&server, &caregiver).await;
    let me: Me = server.get_as("/api/me", &caregiver).await;
    assert_eq!(me.rooms.len(), 1);
    let off = server
        .api(Method::POST, "/api/me/second-factor/off", &caregiver)
        .json(&PasswordConfirmation {
            current_password: PASSWORD.into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 409);
}

#[tokio::test]
async fn an_admin_resets_a_lost_authenticator_and_ends_that_persons_sessions() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let caregiver = server
        .person(UserRole::Caregiver, "Educadora", &["sala-1"])
        .await;
    enroll(&server, &caregiver).await;
    let path = format!("/api/people/{}/reset-second-factor", caregiver.id);
    let by_caregiver = server.api(Method::POST, &path, &caregiver).send().await;
    assert_eq!(by_caregiver.unwrap().status(), 403);
    let reset = server
        .api(Method::POST, &path, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let me = server.api(Method::GET, "/api/me", &caregiver).send().await;
    assert_eq!(me.unwrap().status(), 401);
    assert_eq!(login_with(&server, &caregiver.username, None).await.0, 204);
}
