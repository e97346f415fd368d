//! A parent's phone loses its connection while the caregiver keeps chatting: when it comes
//! back, the page shows every missed message, in order, and the message the parent wrote
//! while offline is sent once, by itself.

use nido_e2e::*;
use nido_shared::UserRole;

const ROOM: &str = "pollitos";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_back_from_offline_shows_every_missed_message_in_order() {
    let server = classroom(ROOM).await;
    server
        .person(UserRole::Family, "ana", "Ana (mamá de Leo)", &[ROOM])
        .await;
    let network = Cuttable::start(server.addr).await;
    let driver = Driver::start().await;

    let seño = driver.browser(LAPTOP).await;
    seño.log_in(&server, "marta", "Seño Marta").await;
    seño.goto(&server.url(&format!("/watch/{ROOM}"))).await;
    seño.wait_for_text("connection", "Connected").await;

    let ana = driver.browser(PHONE).await;
    ana.log_in_at(&network.url("/login"), "ana", "Ana (mamá de Leo)")
        .await;
    ana.goto(&network.url(&format!("/watch/{ROOM}"))).await;
    ana.wait_for_text("connection", "Connected").await;
    say(&seño, "Buenos días").await;
    ana.wait_for_text("chat-lines", "Buenos días").await;

    // Ana's phone loses the network; the classroom keeps talking, and Ana writes too.
    network.cut();
    ana.wait_for_text("connection", "Connection lost").await;
    one_state_counting_down(&ana).await;
    let missed = [
        "Ha desayunado bien",
        "Ahora juega con bloques",
        "<i>Duerme</i> la siesta",
    ];
    for line in missed {
        say(&seño, line).await;
        seño.wait_for_text("chat-lines", line).await;
    }
    say(&ana, "¿Le habéis dado la medicina?").await;
    ana.wait_for_text("pending-message", "Sending").await;
    ana.screenshot("chat-offline-pending-phone-en").await;

    network.restore();
    ana.wait_for_text("connection", "Connected").await;
    // The message written offline shows at once as pending, so the page is read only once
    // it was sent: by then the missed messages have arrived before it.
    ana.wait_until_gone("pending-message").await;
    let shown = ana
        .wait_for_text("chat-lines", "¿Le habéis dado la medicina?")
        .await;
    let positions: Vec<usize> = ["Buenos días"]
        .iter()
        .chain(&missed)
        .chain(&["¿Le habéis dado la medicina?"])
        .map(|line| {
            shown
                .find(line)
                .unwrap_or_else(|| panic!("{line:?} missing in {shown:?}"))
        })
        .collect();
    assert!(positions.is_sorted(), "in order: {shown:?}");
    let heard = seño
        .wait_for_text("chat-lines", "¿Le habéis dado la medicina?")
        .await;
    assert_eq!(
        heard.matches("¿Le habéis dado la medicina?").count(),
        1,
        "sent once"
    );
    eventually("the newest message in view", || async {
        let at_bottom = ana
            .js("const l = document.querySelector('.chat-lines'); return l.scrollTop + l.clientHeight >= l.scrollHeight - 2")
            .await;
        (at_bottom == true).then_some(())
    })
    .await;
    ana.screenshot("chat-back-online-phone-en").await;
    // The caregiver can delete Ana's message or mute her.
    seño.wait_for_text("chat-lines", "Mute").await;
    seño.screenshot("chat-moderation-laptop-en").await;

    // Muted, Ana is told until when and cannot write; the caregiver sees it and unmutes her.
    seño.js("const s = document.querySelector('select.mute'); s.value = '15'; s.dispatchEvent(new Event('change'));")
        .await;
    ana.wait_for_text("muted-notice", "muted you in this chat until")
        .await;
    let disabled = ana
        .js("return document.querySelector('[data-testid=chat-input]').disabled")
        .await;
    assert_eq!(disabled, true, "a muted parent's chat box is closed");
    ana.screenshot("chat-muted-phone-en").await;
    seño.wait_for_text("muted-list", "Ana (mamá de Leo)").await;
    seño.screenshot("chat-muted-list-laptop-en").await;
    seño
        .js("document.querySelector('[data-testid^=unmute-]').click()")
        .await;
    ana.wait_until_gone("muted-notice").await;
    say(&ana, "Gracias").await;
    seño.wait_for_text("chat-lines", "Gracias").await;
}

/// While the connection is down the page says only that, with the seconds to the next
/// attempt counting down: no camera state it cannot know, no "Connecting…" beside it.
async fn one_state_counting_down(page: &Browser) {
    let seconds = |text: &str| -> Option<u64> {
        let inside = text.split('(').nth(1)?.split(' ').next()?;
        inside.parse().ok()
    };
    let overlay = page.text_of("stage-overlay").await;
    assert!(overlay.contains("Connection lost"), "{overlay:?}");
    let camera_badges = page
        .js("return document.querySelectorAll('[data-testid=camera-state]').length")
        .await;
    assert_eq!(camera_badges, 0, "a camera state while disconnected");
    // Each wait (1 to 2 s) ticks down second by second before the next attempt.
    let last = std::cell::Cell::new(None::<u64>);
    eventually("the seconds to count down", || async {
        let now = seconds(&page.text_of("connection").await);
        let counted_down = matches!((last.get(), now), (Some(before), Some(now)) if now < before);
        if now.is_some() {
            last.set(now);
        }
        counted_down.then_some(())
    })
    .await;
}

async fn say(page: &Browser, line: &str) {
    page.type_into("chat-input", line).await;
    page.js("document.querySelector('.chat-form button').click()")
        .await;
}
