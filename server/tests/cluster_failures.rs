//! What a deployment of many nodes does when a part of it fails or is set up wrong: while
//! PostgreSQL restarts the nodes say they are not ready and refuse chat instead of
//! acknowledging it, keep streaming, and recover by themselves without taking each other for
//! dead; with NATS down they say so;
//! a NATS that cannot carry the largest frame, or a backplane without PostgreSQL, stops the
//! node at start with a reason.

mod common;

use std::time::Duration;

use common::deployment::{self, CAMERA_KEY, Deployment, camera_on, connect, sees_camera_live};
use common::*;
use nido_shared::{Role, ServerMessage};
use nido_testkit::NatsServer;
use nido_testkit::postgres::{PrivateServer, fresh_database_on};

/// `GET /readyz` on a node: its status and what it says.
async fn readiness(deployment: &Deployment, node: usize) -> (u16, String) {
    let response = reqwest::get(format!("http://{}/readyz", deployment.addr(node)))
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn while_postgresql_restarts_a_node_is_not_ready_refuses_chat_keeps_streaming_and_recovers() {
    let postgres = PrivateServer::start().await.unwrap();
    let database = fresh_database_on(&postgres.url(), "restarted").await;
    let deployment = Deployment::start_on(nido_binary(), 2, &[], database).await;
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    let mut viewer = connect(&deployment, 1, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    viewer.next_backlog().await;
    sees_camera_live(&mut viewer).await;
    assert_eq!(readiness(&deployment, 1).await.0, 200);

    postgres.stop().await.unwrap();
    eventually("node 1 says it is not ready", || async {
        let (status, body) = readiness(&deployment, 1).await;
        status == 503 && body.contains("database: does not answer")
    })
    .await;
    viewer.chat_with_id("durante-el-corte", "¿se oye?").await;
    let refused = viewer
        .wait_for(|received| match received {
            Received::Json(ServerMessage::Error(error)) => Some(error.clone()),
            Received::Json(ServerMessage::Chat(line)) => panic!("acknowledged unstored: {line:?}"),
            _ => None,
        })
        .await;
    assert_eq!(
        refused.chat_id.map(String::from).as_deref(),
        Some("durante-el-corte")
    );
    assert_eq!(refused.close, None, "the connection stays");
    camera.send_binary(frame(1, &jpeg(1, 800))).await;
    assert_eq!(sequence_of(&viewer.next_frame().await), 1, "video goes on");
    // Longer than a heartbeat may be missed: when the database is back, every node's is
    // stale, and none may take another for dead before they all beat again.
    tokio::time::sleep(OUTAGE_LONGER_THAN_DEATH).await;

    postgres.start_again().await.unwrap();
    eventually("node 1 is ready again", || async {
        readiness(&deployment, 1).await.0 == 200
    })
    .await;
    viewer.chat_with_id("durante-el-corte", "¿se oye?").await;
    let stored = viewer.next_chat().await;
    assert_eq!((stored.id.as_str(), stored.seq), ("durante-el-corte", 1));
    // A node taken for dead would close its connections at its next heartbeat.
    tokio::time::sleep(Duration::from_secs(3)).await;
    camera.send_binary(frame(2, &jpeg(2, 800))).await;
    assert_eq!(
        sequence_of(&viewer.next_frame().await),
        2,
        "the camera and the viewer kept their connections"
    );
}

/// A node whose heartbeat is older than 5 s is dead.
const OUTAGE_LONGER_THAN_DEATH: Duration = Duration::from_secs(6);

/// `GET /metrics` on a node.
async fn metrics(deployment: &Deployment, node: usize) -> String {
    let url = format!("http://{}/metrics", deployment.addr(node));
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn readiness_and_metrics_report_the_backplane() {
    let mut deployment = deployment::start(2, &[]).await;
    let (status, body) = readiness(&deployment, 0).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ready\ndatabase: ok\nbackplane: ok\n")
    );
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    let mut viewer = connect(&deployment, 1, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    sees_camera_live(&mut viewer).await;
    camera.send_binary(frame(1, &jpeg(1, 800))).await;
    viewer.next_frame().await;
    let sent = metrics(&deployment, 0).await;
    assert!(sent.contains("nido_backplane_frames_out_total 1"), "{sent}");
    let received = metrics(&deployment, 1).await;
    assert!(
        received.contains("nido_backplane_frames_in_total 1"),
        "{received}"
    );
    assert!(
        received.contains("nido_backplane_lag_seconds_count 1"),
        "{received}"
    );

    deployment.nats.kill().await;
    eventually("the nodes say the backplane is down", || async {
        let (status, body) = readiness(&deployment, 0).await;
        status == 503 && body.contains("backplane: disconnected")
    })
    .await;
    deployment.nats.start_again().await.unwrap();
    eventually("the nodes reconnect", || async {
        readiness(&deployment, 0).await.0 == 200
    })
    .await;
    let reconnected = metrics(&deployment, 0).await;
    assert!(
        reconnected.contains("nido_backplane_reconnects_total 2"),
        "both connections came back: {reconnected}"
    );
}

/// Runs `nido-server` with these options until it exits: its status and its log.
async fn refused_start(options: &[&str]) -> (std::process::ExitStatus, String) {
    let data = tempfile::tempdir().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        nido_binary()
            .command(data.path())
            .args(["--listen", "127.0.0.1:0"])
            .args(options)
            .output(),
    )
    .await
    .expect("the node gives up at once")
    .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_nats_too_small_for_the_largest_frame_or_no_database_stops_the_node_with_a_reason() {
    let nats = NatsServer::start_with_max_payload("256KB").await.unwrap();
    let database = nido_testkit::postgres::fresh_database("payload").await;
    let (status, log) = refused_start(&["--database", &database, "--backplane", &nats.url()]).await;
    assert!(!status.success());
    assert!(log.contains("raise max_payload"), "{log}");
    // With frames this NATS can carry, the node starts.
    let data = tempfile::tempdir().unwrap();
    let options = [
        "--listen",
        "127.0.0.1:0",
        "--database",
        &database,
        "--backplane",
        &nats.url(),
        "--max-frame-bytes",
        "200000",
    ];
    nido_binary()
        .start(data.path(), &options, 0, |_| false)
        .await
        .expect("the node starts");

    let (status, log) = refused_start(&["--backplane", &nats.url()]).await;
    assert!(!status.success());
    assert!(
        log.contains("--backplane joins nodes that share one PostgreSQL"),
        "{log}"
    );
}

/// Sends `kill -SIGNAL` to node `index`.
async fn signal_node(deployment: &Deployment, index: usize, signal: &str) {
    let pid = deployment.pid(index).expect("the node runs").to_string();
    let sent = tokio::process::Command::new("kill")
        .args([signal, &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_node_loses_only_video_and_slows_neither_the_camera_nor_the_others() {
    const FRAMES: u64 = 90;
    let deployment = deployment::start(3, &[]).await;
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    let mut steady = connect(&deployment, 1, &deployment.admin).await;
    steady.join("sala-1", Role::Viewer, None).await;
    let mut stalled = connect(&deployment, 2, &deployment.admin).await;
    stalled.join("sala-1", Role::Viewer, None).await;
    for viewer in [&mut steady, &mut stalled] {
        sees_camera_live(viewer).await;
    }
    camera.send_binary(frame(1, &jpeg(1, 50_000))).await;
    for viewer in [&mut steady, &mut stalled] {
        assert_eq!(sequence_of(&viewer.next_frame().await), 1);
    }

    // Node 2 stops reading anything (SIGSTOP) while the camera streams 3 s of 50 KB at
    // 30 fps: node 1's viewer gets every frame as it is sent.
    signal_node(&deployment, 2, "-STOP").await;
    let streaming = tokio::spawn(async move {
        let mut sent_at = Vec::new();
        let mut every = tokio::time::interval(Duration::from_millis(33));
        for sequence in 2..=FRAMES {
            every.tick().await;
            camera
                .send_binary(frame(sequence, &jpeg(sequence, 50_000)))
                .await;
            sent_at.push((sequence, tokio::time::Instant::now()));
        }
        (camera, sent_at)
    });
    let mut arrived = Vec::new();
    while arrived
        .last()
        .is_none_or(|(sequence, _)| *sequence < FRAMES)
    {
        let sequence = sequence_of(&steady.next_frame().await);
        arrived.push((sequence, tokio::time::Instant::now()));
    }
    let (mut camera, sent_at) = streaming.await.unwrap();
    let slowest = arrived
        .iter()
        .filter_map(|(sequence, at)| {
            let (_, sent) = sent_at.iter().find(|(sent, _)| sent == sequence)?;
            Some(at.saturating_duration_since(*sent))
        })
        .max()
        .unwrap();
    eprintln!(
        "with node 2 stalled, node 1 got {} of {} frames, the slowest {slowest:?} after it was sent",
        arrived.len(),
        FRAMES - 1
    );
    assert!(
        arrived.len() as u64 >= FRAMES - 1 - 3,
        "{} frames",
        arrived.len()
    );
    assert!(slowest < Duration::from_millis(500), "{slowest:?}");

    // Chat written meanwhile reaches node 2's viewer once it runs again, and its picture is
    // the camera's current one.
    steady
        .chat_with_id("durante-la-pausa", "¿seguís ahí?")
        .await;
    assert_eq!(steady.next_chat().await.seq, 1);
    signal_node(&deployment, 2, "-CONT").await;
    let line = stalled.next_chat().await;
    assert_eq!((line.seq, line.text.as_str()), (1, "¿seguís ahí?"));
    let mut sequence = 1000;
    loop {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 50_000)))
            .await;
        let got = tokio::time::timeout(Duration::from_millis(100), async {
            loop {
                if sequence_of(&stalled.next_frame().await) >= 1000 {
                    break;
                }
            }
        })
        .await;
        if got.is_ok() {
            break;
        }
        sequence += 1;
    }
}
