//! Every route of the app, as an admin, a parent and a visitor see it, on a 390 px phone and
//! a 1280×800 laptop, in Spanish and English: no page scrolls sideways, tap targets on the
//! phone are at least 44×44 px, and the Spanish pages show no English sentence, also when
//! the server refuses something. Screenshots of each land in `e2e/artifacts/`.

use nido_e2e::*;
use nido_shared::{AccountError, IdError, Problem, UserRole};
use serde_json::Value;

const ROOM: &str = "pollitos";

/// Elements wider than the window's right edge, when the page scrolls sideways.
const OVERFLOW: &str = "const w = window.innerWidth;
    if (document.documentElement.scrollWidth <= w) return [];
    return [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > w + 0.5)
      .slice(0, 6)
      .map(e => e.tagName.toLowerCase() + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right));";

/// Visible controls smaller than 44×44 px.
const SMALL_TARGETS: &str = "return [...document.querySelectorAll('button, a.button, select, input:not([type=checkbox]):not([type=radio]):not([type=range]), label.check')]
      .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (r.height < 43.5 || r.width < 43.5); })
      .slice(0, 6)
      .map(e => { const r = e.getBoundingClientRect(); return e.tagName.toLowerCase() + '.' + e.className + ' \"' + (e.innerText || e.value || '').slice(0, 20) + '\" ' + Math.round(r.width) + 'x' + Math.round(r.height); });";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_a_laptop_in_both_languages() {
    let dist = dist_dir();
    let server = InProcessServer::start(Some(&dist)).await;
    server.set_local_time("2026-11-25T10:00:00+01:00");
    server
        .room(ROOM, "Pollitos (sala de 1 a 2 años)", Default::default())
        .await;
    server
        .person(UserRole::Admin, "directora", "Carmen (dirección)", &[])
        .await;
    let ana = server
        .person(UserRole::Family, "ana", "Ana (mamá de Leo)", &[ROOM])
        .await;
    server.child("Leo", ROOM, &[ana]).await;
    let driver = Driver::start().await;

    let admin = driver.browser(LAPTOP).await;
    admin
        .log_in(&server, "directora", "Carmen (dirección)")
        .await;
    let invite = admin.create_invite(&server, ROOM).await;
    let invite_path = invite[invite.find("/invite/").unwrap()..].to_owned();
    let parent = driver.browser(PHONE).await;
    parent.log_in(&server, "ana", "Ana (mamá de Leo)").await;
    let visitor = driver.browser(PHONE).await;

    let admin_routes = [
        ("home-admin", "/"),
        ("invites-admin", "/invites"),
        ("admin-rooms", "/admin/rooms"),
        ("admin-people", "/admin/people"),
        ("admin-audit", "/admin/audit"),
        ("admin-children", "/admin/children"),
        ("attendance", "/attendance/pollitos"),
        ("inbox", "/inbox/pollitos"),
        ("viewer-admin", "/watch/pollitos"),
        ("camera", "/camera/pollitos"),
        ("not-found", "/no-such-page"),
    ];
    let parent_routes = [
        ("home-family", "/"),
        ("invites-family", "/invites"),
        ("viewer-family", "/watch/pollitos"),
        ("camera-family", "/camera/pollitos"),
    ];
    let visitor_routes = [("login", "/login"), ("invite", invite_path.as_str())];
    let mut failures = Vec::new();
    for lang in ["es", "en"] {
        for (browser, routes) in [
            (&admin, &admin_routes[..]),
            (&parent, &parent_routes[..]),
            (&visitor, &visitor_routes[..]),
        ] {
            browser.goto(&server.url("/login")).await;
            browser.choose_language(lang).await;
            for (size_name, size) in [("phone", PHONE), ("laptop", LAPTOP)] {
                browser.resize(size).await;
                for (name, path) in routes {
                    browser.goto(&server.url(path)).await;
                    let shot = format!("page-{name}-{size_name}-{lang}");
                    settle(browser, &shot).await;
                    browser.screenshot(&shot).await;
                    failures.extend(check_page(browser, &shot, size == PHONE, lang).await);
                }
            }
        }
    }
    failures.extend(spanish_refusals(&server, &admin, &visitor, &invite_path).await);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Waits until the page has loaded what it shows.
async fn settle(browser: &Browser, page: &str) {
    eventually(&format!("{page} to load"), || async {
        let loading = browser
            .js("const t = document.body.innerText; return !document.querySelector('main') || t.includes('Cargando…') || t.includes('Loading…');")
            .await;
        (loading == Value::Bool(false)).then_some(())
    })
    .await;
}

async fn check_page(browser: &Browser, shot: &str, phone: bool, lang: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let wide = browser.js(OVERFLOW).await;
    if wide.as_array().is_some_and(|list| !list.is_empty()) {
        failures.push(format!("{shot} scrolls sideways: {wide}"));
    }
    // A room's page names the room, whole (not its id, not cut off).
    let room_name = browser
        .js("const e = document.querySelector('[data-testid=room-name]'); return e ? [e.innerText, e.scrollWidth <= e.clientWidth] : null")
        .await;
    if let Some([name, whole]) = room_name.as_array().map(Vec::as_slice)
        && (!name
            .as_str()
            .is_some_and(|n| n.contains("Pollitos (sala de 1 a 2 años)"))
            || whole != true)
    {
        failures.push(format!("{shot} top bar shows the room as {room_name}"));
    }
    if phone {
        let small = browser.js(SMALL_TARGETS).await;
        if small.as_array().is_some_and(|list| !list.is_empty()) {
            failures.push(format!("{shot} has tap targets under 44×44: {small}"));
        }
    }
    if lang == "es" {
        let text = browser
            .js("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for english in server_sentences() {
            if text.contains(&english) {
                failures.push(format!("{shot} shows the server's English: {english:?}"));
            }
        }
    }
    failures
}

/// The English sentences the server answers refusals with (its `message`s).
fn server_sentences() -> Vec<String> {
    let problems = [
        Problem::from(AccountError::InvalidUsername),
        Problem::from(AccountError::InvalidPassword),
        Problem::from(IdError::InvalidDisplayName),
        Problem::from(IdError::InvalidRoomId),
        Problem::UsernameTaken,
        Problem::RoomIdTaken,
        Problem::LastAdmin,
        Problem::FamilyNeedsRooms,
        Problem::WrongCurrentPassword,
        Problem::WrongCode,
    ];
    problems.iter().map(|problem| problem.to_string()).collect()
}

/// Refusals from the server, provoked in the Spanish interface, are said in Spanish.
async fn spanish_refusals(
    server: &InProcessServer,
    admin: &Browser,
    visitor: &Browser,
    invite_path: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    for browser in [admin, visitor] {
        browser.goto(&server.url("/login")).await;
        browser.choose_language("es").await;
    }
    // A room id that is taken.
    admin.goto(&server.url("/admin/rooms")).await;
    admin.type_into("new-room-id", ROOM).await;
    admin.type_into("new-room-name", "Otra").await;
    admin.click("create-room").await;
    admin
        .wait_for_text("new-room-problem", "Ya hay una sala")
        .await;
    admin.screenshot("refusal-room-taken-laptop-es").await;
    failures.extend(check_page(admin, "refusal-room-taken", false, "es").await);
    // Tuesday's hours closing before they open: the page says which day, and why.
    admin
        .js("const t = document.querySelectorAll('.day-row')[1].querySelectorAll('input[type=time]');
             t[0].value = '15:00'; t[0].dispatchEvent(new Event('change'));
             t[1].value = '09:00'; t[1].dispatchEvent(new Event('change'));")
        .await;
    admin.click("save-room").await;
    admin
        .wait_for_text(
            "room-status",
            "martes: la hora de cierre debe ser posterior",
        )
        .await;
    // A username that is taken, at registration.
    visitor.goto(&server.url(invite_path)).await;
    visitor.wait_for_text("register", "Crear cuenta").await;
    visitor.type_into("display-name", "Abuela de Leo").await;
    visitor.type_into("username", "directora").await;
    visitor.type_into("password", PASSWORD).await;
    visitor.click("register").await;
    visitor
        .wait_for_text("problem", "Ese usuario ya existe")
        .await;
    visitor.screenshot("refusal-username-taken-phone-es").await;
    failures.extend(check_page(visitor, "refusal-username-taken", true, "es").await);
    // With another username the invite is used, and the invites page says so.
    visitor.type_into("username", "abuela").await;
    visitor.click("register").await;
    visitor.wait_for_text("my-rooms", "Pollitos").await;
    admin.goto(&server.url("/invites")).await;
    admin.wait_for_text("invite-state", "Usada").await;
    failures
}
