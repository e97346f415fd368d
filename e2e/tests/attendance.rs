//! Viewing tied to attendance and the family's watermark, in headless Chromiums with a fake
//! camera: a caregiver checks a child in on a phone-sized attendance page and the child's
//! family starts seeing the picture, with their name and the time over it; the caregiver
//! checks the child out and the family's viewer stops within a second and says why; staff
//! watch without a watermark. Screenshots at phone and laptop width, Spanish and English.

use std::time::Instant;

use nido_e2e::*;
use nido_shared::UserRole;

const ROOM: &str = "pollitos";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_starts_a_familys_watermarked_picture_and_a_check_out_stops_it_saying_why() {
    let server = classroom(ROOM).await;
    server.room_options(ROOM, true, true).await;
    let ana_id = server
        .person(UserRole::Family, "ana", "Ana López", &[ROOM])
        .await;
    let luis_id = server
        .person(UserRole::Family, "luis", "Luis Pérez", &[ROOM])
        .await;
    let lucia = server.child("Lucía", ROOM, &[ana_id, luis_id]).await;
    server
        .person(UserRole::Caregiver, "paula", "Seño Paula", &[ROOM])
        .await;
    let driver = Driver::start().await;
    let camera = driver.camera_page(&server, ROOM, "").await;
    camera.wait_for_text("watermarked", "watermark").await;
    camera.wait_for_text("attendance-rule", "checked in").await;

    // Ana, on her phone in Spanish: Lucía has not arrived, so there is no picture.
    let ana = driver.browser(PHONE).await;
    ana.log_in(&server, "ana", "Ana López").await;
    ana.choose_language("es").await;
    ana.wait_for_text("my-children", "Lucía todavía no ha llegado")
        .await;
    ana.click(&format!("watch-{ROOM}")).await;
    ana.wait_for_text("stage-overlay", "Lucía todavía no ha llegado")
        .await;
    assert_eq!(ana.picture_sample().await, None, "no picture");
    ana.screenshot("attendance-viewer-not-arrived-phone-es")
        .await;

    // Paula checks Lucía in on her phone.
    let paula = driver.browser(PHONE).await;
    paula.log_in(&server, "paula", "Seño Paula").await;
    paula.choose_language("es").await;
    paula.click(&format!("attendance-{ROOM}")).await;
    paula
        .wait_for_text("children-out", "Lucía todavía no ha llegado")
        .await;
    paula.screenshot("attendance-page-before-phone-es").await;
    let checked_in = Instant::now();
    paula.click(&format!("check-in-{lucia}")).await;
    eventually("Ana's first picture", || ana.picture_sample()).await;
    let took = checked_in.elapsed();
    eprintln!("the family's picture started {took:?} after the tap");
    assert!(
        took.as_secs_f64() < 1.0,
        "started within 1 s, took {took:?}"
    );
    paula
        .wait_for_text("children-in", "Lucía llegó a las")
        .await;
    paula
        .wait_for_text("attendance-summary", "1 dentro de 1")
        .await;
    paula
        .screenshot("attendance-page-checked-in-phone-es")
        .await;

    // Ana's picture starts, watermarked, and her page says why the watermark is there.
    ana.wait_for_moving_picture().await;
    ana.wait_for_text("received", "VP8").await;
    ana.wait_for_text("watermark-note", "Tu nombre y la hora")
        .await;
    ana.screenshot("attendance-viewer-watermarked-phone-es")
        .await;
    ana.resize(LAPTOP).await;
    ana.screenshot("attendance-viewer-watermarked-laptop-es")
        .await;
    ana.resize(PHONE).await;

    // Luis, the other parent, on a laptop in English, sees it too.
    let luis = driver.browser(LAPTOP).await;
    luis.log_in(&server, "luis", "Luis Pérez").await;
    luis.wait_for_text("my-children", "Lucía arrived at").await;
    luis.click(&format!("watch-{ROOM}")).await;
    luis.wait_for_moving_picture().await;
    luis.wait_for_text("received", "VP8").await;
    luis.wait_for_text("watermark-note", "Your name and the time")
        .await;
    luis.screenshot("attendance-viewer-watermarked-laptop-en")
        .await;
    luis.resize(PHONE).await;
    luis.screenshot("attendance-viewer-watermarked-phone-en")
        .await;
    luis.resize(LAPTOP).await;

    // Staff watch without a watermark.
    paula.goto(&server.url(&format!("/watch/{ROOM}"))).await;
    paula.wait_for_moving_picture().await;
    paula.wait_for_text("received", "VP8").await;
    let staff_note_hidden = paula
        .js("return document.querySelector(\"[data-testid='watermark-note']\").hidden")
        .await;
    assert_eq!(staff_note_hidden, true, "no watermark for staff");
    paula.resize(LAPTOP).await;
    paula
        .screenshot("attendance-staff-viewer-no-watermark-laptop-es")
        .await;

    // Paula (in English now) checks Lucía out: both parents' pictures stop within a second
    // and say why.
    paula
        .goto(&server.url(&format!("/attendance/{ROOM}")))
        .await;
    paula.wait_for_text("children-in", "Lucía").await;
    paula.choose_language("en").await;
    paula.resize(PHONE).await;
    paula.wait_for_text("children-in", "Lucía arrived at").await;
    paula
        .screenshot("attendance-page-checked-in-phone-en")
        .await;
    let checked_out = Instant::now();
    paula.click(&format!("check-out-{lucia}")).await;
    ana.wait_for_text("stage-overlay", "Lucía se fue a casa a las")
        .await;
    let took = checked_out.elapsed();
    eprintln!("the family's viewer stopped {took:?} after the tap");
    assert!(
        took.as_secs_f64() < 1.0,
        "stopped within 1 s, took {took:?}"
    );
    luis.wait_for_text("stage-overlay", "Lucía went home at")
        .await;
    assert_eq!(ana.picture_sample().await, None, "blank, not frozen");
    assert_eq!(luis.picture_sample().await, None, "blank, not frozen");
    ana.screenshot("attendance-viewer-went-home-phone-es").await;
    luis.screenshot("attendance-viewer-went-home-laptop-en")
        .await;

    // A mistaken tap is undone: Lucía is in again, and so is the picture.
    paula.click(&format!("undo-{lucia}")).await;
    paula.wait_for_text("children-in", "Lucía arrived at").await;
    luis.wait_for_moving_picture().await;
}

/// Sets the value of the `index`th input matching `selector` as a person's picker does.
async fn set_input(browser: &Browser, selector: &str, index: usize, value: &str) {
    browser
        .js(&format!(
            "const e = document.querySelectorAll(\"{selector}\")[{index}];
             e.value = '{value}'; e.dispatchEvent(new Event('change'));"
        ))
        .await;
}

/// Scrolls the day's record into the window, for its screenshot.
async fn show_day_record(browser: &Browser) {
    browser
        .js("document.querySelector('[data-testid=day-record]').scrollIntoView()")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_adds_a_child_ties_the_room_to_attendance_and_corrects_a_days_record() {
    let server = classroom(ROOM).await;
    server
        .person(UserRole::Admin, "directora", "Carmen (dirección)", &[])
        .await;
    let ana = server
        .person(UserRole::Family, "ana", "Ana López", &[ROOM])
        .await;
    let driver = Driver::start().await;
    let director = driver.browser(LAPTOP).await;
    director
        .log_in(&server, "directora", "Carmen (dirección)")
        .await;
    director.choose_language("es").await;

    // The room's two options, turned on and saved; they are still on after a reload.
    director.goto(&server.url("/admin/rooms")).await;
    director.click("attendance-required").await;
    director.click("watermark").await;
    director.click("save-room").await;
    director.wait_for_text("room-status", "Guardado").await;
    director.screenshot("admin-room-options-laptop-es").await;
    director.goto(&server.url("/admin/rooms")).await;
    director.find("save-room").await;
    let options = director
        .js("return ['attendance-required', 'watermark'].map(t => document.querySelector(`[data-testid=${t}]`).checked)")
        .await;
    assert_eq!(options, serde_json::json!([true, true]), "saved");

    // Leo, in Pollitos, linked to Ana's account.
    director.goto(&server.url("/admin/children")).await;
    director.type_into("new-child-name", "Leo").await;
    set_input(&director, "[data-testid=new-child-room]", 0, ROOM).await;
    director.click(&format!("family-{ana}")).await;
    director.click("add-child").await;
    director
        .wait_for_text("children", "Leo todavía no ha llegado")
        .await;

    // Yesterday's record (for the server it is 25 November): a forgotten stay added, then
    // its check-out corrected.
    director.click("day-record").await;
    set_input(&director, "[data-testid=record-day]", 0, "2026-11-24").await;
    director
        .wait_for_text("no-stays", "2026-11-24: nada registrado")
        .await;
    set_input(&director, ".stay-row input[type=time]", 0, "09:00").await;
    set_input(&director, ".stay-row input[type=time]", 1, "12:00").await;
    director.click("add-stay").await;
    director
        .wait_for_text("day-record-status", "Guardado")
        .await;
    director.find("save-stay").await;
    set_input(&director, ".stay-row input[type=time]", 1, "12:30").await;
    director.click("save-stay").await;
    eventually("the corrected check-out", || async {
        let shown = director
            .js("return [...document.querySelectorAll('.stay-row input[type=time]')].map(e => e.value)")
            .await;
        (shown == serde_json::json!(["09:00", "12:30", "", ""])).then_some(())
    })
    .await;
    show_day_record(&director).await;
    director
        .screenshot("admin-children-day-record-laptop-es")
        .await;

    // A stay in the future is refused, in Spanish.
    set_input(&director, "[data-testid=record-day]", 0, "2026-11-26").await;
    director
        .wait_for_text("no-stays", "2026-11-26: nada registrado")
        .await;
    set_input(&director, ".stay-row input[type=time]", 0, "09:00").await;
    director.click("add-stay").await;
    director
        .wait_for_text("day-record-status", "ninguna en el futuro")
        .await;

    // Both corrections are in the security log.
    director.goto(&server.url("/admin/audit")).await;
    let log = director
        .wait_for_text("security-events", "Asistencia corregida")
        .await;
    assert_eq!(log.matches("Asistencia corregida").count(), 2, "{log}");

    // The same page on a phone, in English.
    director.goto(&server.url("/admin/children")).await;
    director.find("day-record").await;
    director.choose_language("en").await;
    director.resize(PHONE).await;
    director.click("day-record").await;
    set_input(&director, "[data-testid=record-day]", 0, "2026-11-24").await;
    director.find("save-stay").await;
    director.wait_for_text("children", "Day's record").await;
    show_day_record(&director).await;
    director
        .screenshot("admin-children-day-record-phone-en")
        .await;
}
