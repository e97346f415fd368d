//! Private conversations with the staff, in headless Chromiums with a fake camera: a parent
//! on a phone writes to the staff while watching; the caregiver streaming sees the unread
//! count on the camera page and answers; the parent sees the answer and that the room saw
//! her message; the caregiver adds the parent's mother, who then reads it; another family
//! of the room sees nothing of it. Screenshots at phone and
//! laptop width, Spanish and English.

use nido_e2e::*;
use nido_shared::UserRole;

const ROOM: &str = "pollitos";
const QUESTION: &str = "¿Ha dormido la siesta Lucía?";
const ANSWER: &str = "Sí, una hora y media";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_writes_to_the_staff_while_watching_and_only_the_staff_read_it() {
    let server = classroom(ROOM).await;
    server
        .person(UserRole::Family, "ana", "Ana López", &[ROOM])
        .await;
    server
        .person(UserRole::Family, "luis", "Luis Pérez", &[ROOM])
        .await;
    let abuela = server
        .person(UserRole::Family, "abuela", "Abuela de Lucía", &[ROOM])
        .await;
    let driver = Driver::start().await;
    let camera = driver.camera_page(&server, ROOM, "").await;
    camera.choose_language("es").await;

    // Ana, on her phone in Spanish, watches and writes to the staff.
    let ana = driver.browser(PHONE).await;
    ana.log_in(&server, "ana", "Ana López").await;
    ana.choose_language("es").await;
    ana.click(&format!("watch-{ROOM}")).await;
    ana.wait_for_moving_picture().await;
    ana.click("thread-tab").await;
    ana.wait_for_text("chat-title", "Mensajes al equipo").await;
    ana.wait_for_text("private-note", "solo tú y el equipo")
        .await;
    ana.type_into("chat-input", QUESTION).await;
    ana.click("chat-send").await;
    ana.wait_for_text("chat-lines", QUESTION).await;

    // The caregiver sees it waiting on the camera page, reads it and answers.
    camera.wait_for_text("families-tab", "1").await;
    camera.screenshot("threads-camera-unread-laptop-es").await;
    camera.click("families-tab").await;
    camera.wait_for_text("thread-list", "Ana López").await;
    camera.screenshot("threads-camera-list-laptop-es").await;
    camera
        .js("document.querySelector('.thread-row').click()")
        .await;
    camera.wait_for_text("chat-lines", QUESTION).await;
    camera
        .wait_for_text("private-note", "solo esta familia")
        .await;
    // Read once shown: no unread count left.
    eventually("the thread read", || async {
        let read = camera
            .js("return [...document.querySelectorAll('[data-testid=unread]')].every(e => e.hidden)")
            .await;
        (read == true).then_some(())
    })
    .await;
    camera.type_into("chat-input", ANSWER).await;
    camera.click("chat-send").await;
    camera.wait_for_text("chat-lines", ANSWER).await;
    camera.screenshot("threads-camera-answer-laptop-es").await;

    // Ana asked for her mother to read it too: the caregiver adds her account.
    camera
        .wait_for_text("thread-readers", "También la leen")
        .await;
    camera
        .js(&format!(
            "const s = document.querySelector('[data-testid=add-reader]'); s.value = '{abuela}'; s.dispatchEvent(new Event('change'));"
        ))
        .await;
    camera.click("add-reader-button").await;
    camera.find(&format!("take-off-{abuela}")).await;
    camera.screenshot("threads-camera-readers-laptop-es").await;

    // Ana sees the answer, and that the room saw her message.
    ana.wait_for_text("chat-lines", ANSWER).await;
    eventually("her message seen by the room", || async {
        let seen = ana
            .js("return [...document.querySelectorAll('[data-testid=seen]')].some(e => !e.hidden)")
            .await;
        (seen == true).then_some(())
    })
    .await;
    ana.wait_for_text("chat-lines", "Visto por la sala").await;
    ana.screenshot("threads-parent-phone-es").await;
    ana.resize(LAPTOP).await;
    ana.screenshot("threads-parent-laptop-es").await;

    // Her mother, on her phone, finds Ana's conversation beside her own.
    let grandmother = driver.browser(PHONE).await;
    grandmother
        .log_in(&server, "abuela", "Abuela de Lucía")
        .await;
    grandmother.choose_language("es").await;
    grandmother.click(&format!("watch-{ROOM}")).await;
    grandmother
        .wait_for_text("conversations", "Mensajes al equipo · Ana López")
        .await;
    grandmother
        .js("[...document.querySelectorAll('[data-testid=thread-tab]')].find(t => t.innerText.includes('Ana López')).click()")
        .await;
    grandmother.wait_for_text("chat-lines", ANSWER).await;
    grandmother
        .screenshot("threads-added-relative-phone-es")
        .await;

    // Luis, another family of the room, on a laptop in English: nothing of it, in the room's
    // chat or in his own conversation with the staff.
    let luis = driver.browser(LAPTOP).await;
    luis.log_in(&server, "luis", "Luis Pérez").await;
    luis.click(&format!("watch-{ROOM}")).await;
    luis.wait_for_moving_picture().await;
    luis.wait_for_text("room-chat-tab", "Room chat").await;
    luis.click("thread-tab").await;
    luis.wait_for_text("chat-title", "Message the staff").await;
    luis.wait_for_text("private-note", "only you and the room's staff")
        .await;
    luis.screenshot("threads-other-family-laptop-en").await;
    luis.resize(PHONE).await;
    luis.screenshot("threads-other-family-phone-en").await;
    luis.click("room-chat-tab").await;
    luis.wait_for_text("chat-title", "Room chat").await;
    let page = luis.js("return document.body.innerText").await;
    let page = page.as_str().unwrap_or_default();
    assert!(
        !page.contains(QUESTION) && !page.contains(ANSWER),
        "another family reads nothing of it: {page}"
    );
}
