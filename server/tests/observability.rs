//! What the daycare's monitoring sees: `/healthz`, `/readyz`, and `/metrics` moving under
//! video, chat and a failed login, readable only from allowed addresses or with the token.

mod common;

use std::collections::HashMap;

use common::*;
use nido_shared::Role;

/// Every sample of the metrics text, by its name and labels as written.
async fn scrape(server: &TestServer) -> HashMap<String, f64> {
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "a complete exposition");
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .map(|(name, value)| (name.to_owned(), value.parse().unwrap()))
        .collect()
}

fn value(samples: &HashMap<String, f64>, name: &str) -> f64 {
    *samples
        .get(name)
        .unwrap_or_else(|| panic!("{name} in {samples:?}"))
}

#[tokio::test]
async fn metrics_move_with_video_chat_and_failed_logins() {
    let server = TestServer::start().await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "nido_frames_received_total"), 0.0);
    assert_eq!(value(&before, "nido_live_cameras"), 0.0);

    let mut camera = server.join("sala-1", Role::Camera, "Seño Marta").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Mamá de Leo").await;
    const FRAMES: u64 = 20;
    for sequence in 1..=FRAMES {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 2_000)))
            .await;
        viewer.next_frame().await;
    }
    viewer.chat("¿Ha dormido la siesta?").await;
    viewer.next_chat().await;
    assert_eq!(server.log_in("user0", "not the password").await, Err(401));

    let during = scrape(&server).await;
    assert_eq!(value(&during, "nido_connections{role=\"caregiver\"}"), 1.0);
    assert_eq!(value(&during, "nido_connections{role=\"family\"}"), 1.0);
    assert_eq!(value(&during, "nido_live_cameras"), 1.0);
    assert_eq!(value(&during, "nido_frames_received_total"), FRAMES as f64);
    assert!(value(&during, "nido_frames_sent_total") >= FRAMES as f64);
    assert!(value(&during, "nido_bytes_sent_total") >= (FRAMES * 2_000) as f64);
    assert_eq!(value(&during, "nido_chat_messages_total"), 1.0);
    assert_eq!(value(&during, "nido_auth_failures_total"), 1.0);
    assert!(value(&during, "nido_frame_time_in_server_seconds_count") >= FRAMES as f64);
    assert!(value(&during, "nido_frame_time_in_server_seconds_sum") > 0.0);

    drop(camera);
    drop(viewer);
    eventually(
        "the connections and the camera to be counted out",
        || async {
            let samples = scrape(&server).await;
            value(&samples, "nido_connections{role=\"caregiver\"}") == 0.0
                && value(&samples, "nido_connections{role=\"family\"}") == 0.0
                && value(&samples, "nido_live_cameras") == 0.0
        },
    )
    .await;
}

#[tokio::test]
async fn a_viewer_that_stops_reading_shows_the_frames_it_misses() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Seño Marta").await;
    let mut reading = server.join("sala-1", Role::Viewer, "Mamá de Leo").await;
    let _stalled = server.join("sala-1", Role::Viewer, "Papá de Sol").await;
    // The stalled viewer never reads again: 20 MB of frames overflow its socket's buffers,
    // and it gets no later frame that would show what it missed.
    const FRAMES: u64 = 100;
    // 40 a second, under the server's flood limit.
    let mut schedule = tokio::time::interval(std::time::Duration::from_millis(25));
    for sequence in 1..=FRAMES {
        schedule.tick().await;
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 200_000)))
            .await;
        reading.next_frame().await;
    }
    let samples = scrape(&server).await;
    let skipped = value(&samples, "nido_frames_skipped_total");
    let sent = value(&samples, "nido_frames_sent_total");
    assert!(skipped >= 1.0, "the stalled viewer's misses are counted");
    // Each frame is sent to each viewer or missed by it, counted once, but for the stalled
    // viewer's frame stuck half-written and the newest, still waiting for it.
    let accounted = sent + skipped;
    let offered = (2 * FRAMES) as f64;
    assert!(
        (offered - 2.0..=offered).contains(&accounted),
        "{sent} sent and {skipped} skipped of {offered}"
    );
}

#[tokio::test]
async fn metrics_are_refused_outside_the_allowed_addresses_without_the_token() {
    let server = TestServer::start_with(|config| {
        config.metrics_allow = vec!["10.0.0.0/8".parse().unwrap()];
        config.metrics_token = Some("monitoring-secret".into());
    })
    .await;
    let http = reqwest::Client::new();
    let refused = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let wrong = http
        .get(server.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let allowed = http
        .get(server.url("/metrics"))
        .bearer_auth("monitoring-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[tokio::test]
async fn health_says_alive_and_readiness_follows_the_database() {
    let server = TestServer::start().await;
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready\ndatabase: ok\n")] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), body);
    }
    server.state.store.close().await;
    let response = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let alive = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(alive.status(), 200, "the process still answers");
}
