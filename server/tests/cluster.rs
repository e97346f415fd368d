//! One deployment, many nodes: real `nido-server` processes on one PostgreSQL and one NATS
//! server. A camera's frames reach viewers on every other node once per node; chat is
//! numbered once whichever node stores it and reaches everyone; presence counts every node;
//! one camera per room holds across nodes; access changed on one node closes sockets on the
//! others within a second, also while NATS is down; and a layered stream crosses nodes whole,
//! with JPEG beside it while a viewer on another node needs it, a keyframe asked for from
//! another node, and JPEG only once the camera falls back to it. A room that ties viewing to
//! attendance holds its rule on every node: a check-in or check-out on one node gives or
//! takes a family's picture on another within a second. A family's private thread reaches
//! the staff on another node, and its read state the family, also while NATS is down, and
//! nobody else.

mod common;

use std::time::Duration;

use common::deployment::{
    self, CAMERA_KEY, Deployment, camera_on, connect, sees_camera_live, vp8_camera_on,
    vp8_viewer_on,
};
use common::*;
use nido_shared::api::Me;
use nido_shared::{
    CameraStatus, ChatLine, ClientMessage, ErrorCode, FrameHeader, FrameKind, Role, ServerMessage,
    ThreadState,
};
use nido_testkit::frames::{DecoderCheck, LayeredStream};
use tokio::time::Instant;

const OTHER_CAMERA_KEY: &str = "camera-key-sala-1-0002";
/// Access changed on one node closes the sockets it affects on every node within this.
const ACCESS_WITHIN: Duration = Duration::from_secs(1);
/// When the layered streams' chunks say they were captured.
const CAPTURED: Timestamp = Timestamp::from_micros(1_796_212_800_000_000);

fn count(connection: &serde_json::Value, field: &str) -> u64 {
    connection[field].as_u64().unwrap()
}

fn subscribed(connection: &serde_json::Value, to: &str) -> bool {
    connection["subscriptions_list"]
        .as_array()
        .is_some_and(|subs| {
            subs.iter()
                .any(|s| s.as_str().is_some_and(|s| s.ends_with(to)))
        })
}

#[tokio::test]
async fn a_cameras_frames_reach_every_other_nodes_viewers_as_one_message_per_node() {
    let deployment = deployment::start(4, &[]).await;
    let family = deployment.family("abuela").await;
    // One viewer on node 1, five on node 2, nobody of the room on node 3.
    let mut viewers = vec![connect(&deployment, 1, &family).await];
    for _ in 0..5 {
        viewers.push(connect(&deployment, 2, &deployment.admin).await);
    }
    for viewer in &mut viewers {
        viewer.join("sala-1", Role::Viewer, None).await;
    }
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    for viewer in &mut viewers {
        sees_camera_live(viewer).await;
    }

    const FRAMES: u64 = 20;
    let mut sent = Vec::new();
    for sequence in 1..=FRAMES {
        let bytes = frame(sequence, &jpeg(sequence, 2_000 + sequence as usize));
        camera.send_binary(bytes.clone()).await;
        sent.push(bytes);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for viewer in &mut viewers {
        let mut last = 0;
        while last < FRAMES {
            let got = viewer.next_frame().await;
            let sequence = sequence_of(&got);
            assert!(sequence > last, "frames arrive in order");
            assert_eq!(&got[..], &sent[sequence as usize - 1][..], "byte for byte");
            last = sequence;
        }
    }

    let subject = "room.sala-1.video";
    let connections = deployment.nats_video_connections().await.unwrap();
    assert_eq!(connections.len(), 4, "one video connection per node");
    let published: u64 = connections.iter().map(|c| count(c, "in_msgs")).sum();
    assert!(
        published >= FRAMES - 1,
        "the camera's node published each frame: {published}"
    );
    let receiving: Vec<u64> = connections
        .iter()
        .filter(|c| count(c, "out_msgs") > 0)
        .map(|c| count(c, "out_msgs"))
        .collect();
    assert_eq!(
        receiving,
        [published, published],
        "each frame crosses NATS once for each node with viewers, whatever their number"
    );
    let subscribers = connections
        .iter()
        .filter(|c| subscribed(c, subject))
        .count();
    assert_eq!(
        subscribers, 3,
        "the nodes with members of the room subscribe, node 3 not"
    );
}

#[tokio::test]
async fn chat_is_numbered_once_across_nodes_and_everyone_sees_every_message() {
    let deployment = deployment::start(3, &[]).await;
    let family = deployment.family("mama-de-leo").await;
    let caregiver = deployment.caregiver("maestra").await;
    let cookies = [&deployment.admin, &family, &caregiver];
    let mut clients = Vec::new();
    for (node, cookie) in cookies.iter().enumerate() {
        let mut client = connect(&deployment, node, cookie).await;
        client.join("sala-1", Role::Viewer, None).await;
        client.next_backlog().await;
        clients.push(client);
    }
    // Under the chat rate limit of 10 messages in 10 s per person.
    const EACH: usize = 8;
    for round in 0..EACH {
        for (node, client) in clients.iter_mut().enumerate() {
            client
                .chat_with_id(
                    &format!("node{node}-msg{round:03}"),
                    &format!("hola {node} {round}"),
                )
                .await;
        }
    }
    let total = EACH * clients.len();
    for client in &mut clients {
        let mut seen: Vec<ChatLine> = Vec::new();
        while seen.len() < total {
            let line = client.next_chat().await;
            assert!(
                !seen.iter().any(|s| s.seq == line.seq),
                "seq {} delivered twice",
                line.seq
            );
            seen.push(line);
        }
        let mut seqs: Vec<u64> = seen.iter().map(|l| l.seq).collect();
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (1..=total as u64).collect::<Vec<_>>(),
            "gapless, once each"
        );
    }
    // A message resent to another node (a reconnect elsewhere) keeps its number.
    let mut resender = connect(&deployment, 2, &deployment.admin).await;
    resender.join("sala-1", Role::Viewer, None).await;
    resender.next_backlog().await;
    resender.chat_with_id("node0-msg003", "hola 0 3").await;
    let original = resender.next_chat().await;
    assert_eq!(original.id.as_str(), "node0-msg003");
    assert!(
        original.seq <= total as u64,
        "the stored message, not a new one"
    );
}

#[tokio::test]
async fn presence_counts_every_nodes_viewers_and_forgets_a_killed_nodes_within_10_s() {
    let mut deployment = deployment::start(3, &[]).await;
    let mut staff = connect(&deployment, 0, &deployment.admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    let family = deployment.family("tio").await;
    let mut on_1 = connect(&deployment, 1, &family).await;
    on_1.join("sala-1", Role::Viewer, None).await;
    let mut on_2 = connect(&deployment, 2, &family).await;
    on_2.join("sala-1", Role::Viewer, None).await;
    let everyone = staff.presence_where(|p| p.viewer_count == 3).await;
    assert_eq!(
        everyone.viewers.len(),
        3,
        "staff see every node's viewers by name"
    );
    let family_view = on_1.presence_where(|p| p.viewer_count == 3).await;
    assert!(family_view.viewers.is_empty(), "families see only a count");

    drop(on_1);
    staff.presence_where(|p| p.viewer_count == 2).await;
    let killed = Instant::now();
    deployment.kill_node(2).await;
    tokio::time::timeout(
        Duration::from_secs(10),
        staff.presence_where(|p| p.viewer_count == 1),
    )
    .await
    .expect("a killed node's viewers leave presence within 10 s");
    eprintln!(
        "a killed node's viewers left presence after {:?}",
        killed.elapsed()
    );
}

#[tokio::test]
async fn one_camera_per_room_across_nodes_and_the_same_camera_takes_its_seat_anywhere() {
    let mut deployment = deployment::start(3, &[]).await;
    let mut viewer = connect(&deployment, 2, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let mut first = camera_on(&deployment, 0, CAMERA_KEY).await;
    sees_camera_live(&mut viewer).await;

    let mut other = connect(&deployment, 1, &deployment.admin).await;
    other
        .send_join("sala-1", Role::Camera, Some(OTHER_CAMERA_KEY))
        .await;
    other.expect_error(ErrorCode::CameraBusy, None).await;

    // The same camera reconnecting to another node takes its seat at once; the old
    // connection is told and closed, and only the new one's frames are shown.
    let mut again = camera_on(&deployment, 1, CAMERA_KEY).await;
    first
        .expect_error(ErrorCode::CameraReplaced, Some(1008))
        .await;
    again.send_binary(frame(1, &jpeg(1, 900))).await;
    assert_eq!(sequence_of(&viewer.next_frame().await), 1);

    // Its node killed, the seat frees itself within 10 s for another camera.
    deployment.kill_node(1).await;
    let killed = Instant::now();
    loop {
        let mut replacement = connect(&deployment, 0, &deployment.admin).await;
        replacement
            .send_join("sala-1", Role::Camera, Some(OTHER_CAMERA_KEY))
            .await;
        match replacement.next().await {
            Received::Json(nido_shared::ServerMessage::Welcome { .. }) => break,
            _ => {
                assert!(
                    killed.elapsed() < Duration::from_secs(10),
                    "the seat was not freed in 10 s"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    eprintln!(
        "a killed node's camera seat was free after {:?}",
        killed.elapsed()
    );
}

/// Revokes the family member on node 0 and measures how long until their socket on node 2
/// closes with 1008.
async fn revocation_reaches_another_node(deployment: &Deployment, username: &str) -> Duration {
    let family = deployment.family(username).await;
    let me = deployment
        .api(0)
        .request(reqwest::Method::GET, "/api/me", Some(&family))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let me: Me = serde_json::from_str(&me).unwrap_or_else(|e| panic!("{e}: {me}"));
    let mut viewer = connect(deployment, 2, &family).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    viewer.next_backlog().await;
    let revoked = Instant::now();
    deployment
        .api(0)
        .post(
            &deployment.admin,
            &format!("/api/people/{}/revoke", me.id),
            &serde_json::json!({}),
            reqwest::StatusCode::NO_CONTENT,
        )
        .await
        .unwrap();
    viewer
        .expect_error(ErrorCode::AccessRevoked, Some(1008))
        .await;
    revoked.elapsed()
}

#[tokio::test]
async fn a_revocation_on_one_node_closes_the_sockets_on_another_within_1_s_also_without_nats() {
    let mut deployment = deployment::start(3, &[]).await;
    let took = revocation_reaches_another_node(&deployment, "primo").await;
    assert!(took < ACCESS_WITHIN, "with NATS: {took:?}");
    deployment.nats.kill().await;
    let took = revocation_reaches_another_node(&deployment, "prima").await;
    assert!(took < ACCESS_WITHIN, "without NATS: {took:?}");
}

#[tokio::test]
async fn a_pause_on_one_node_stops_the_frames_on_another_and_video_resumes_after_nats_restarts() {
    let mut deployment = deployment::start(2, &[]).await;
    let mut viewer = connect(&deployment, 1, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    sees_camera_live(&mut viewer).await;
    camera.send_binary(frame(1, &jpeg(1, 700))).await;
    assert_eq!(sequence_of(&viewer.next_frame().await), 1);

    // NATS killed and back: the nodes reconnect and resubscribe by themselves.
    deployment.nats.kill().await;
    deployment.nats.start_again().await.unwrap();
    let back = Instant::now();
    let mut sequence = 2;
    loop {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 700)))
            .await;
        let got = tokio::time::timeout(Duration::from_millis(100), viewer.next_frame()).await;
        if got.is_ok() {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(2),
            "video resumes within 2 s of NATS"
        );
        sequence += 1;
    }
    eprintln!("video resumed {:?} after NATS was back", back.elapsed());

    camera
        .send(&nido_shared::ClientMessage::SetPaused { paused: true })
        .await;
    let paused = Instant::now();
    viewer
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    assert!(
        paused.elapsed() < ACCESS_WITHIN,
        "paused everywhere within 1 s"
    );
    for sequence in 100..105 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 700)))
            .await;
    }
    let after_pause = tokio::time::timeout(Duration::from_millis(700), viewer.next_frame()).await;
    assert!(after_pause.is_err(), "no frame after the pause");
}

/// Access changed on one node while NATS is down reaches the others within this.
const ACCESS_WITHIN_WITHOUT_NATS: Duration = Duration::from_secs(2);

/// A new family member of `sala-1` watching on node 1: their session cookie, their id and
/// their socket.
async fn family_watching(
    deployment: &Deployment,
    username: &str,
) -> (String, nido_shared::UserId, TestClient) {
    let cookie = deployment.family(username).await;
    let me: Me = deployment
        .api(0)
        .get_json(&cookie, "/api/me")
        .await
        .unwrap();
    let mut viewer = connect(deployment, 1, &cookie).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    viewer.next_backlog().await;
    (cookie, me.id, viewer)
}

/// `PATCH path` on node 0 as the admin, expecting success.
async fn patch(deployment: &Deployment, path: &str, body: serde_json::Value) {
    let response = deployment
        .api(0)
        .request(reqwest::Method::PATCH, path, Some(&deployment.admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "PATCH {path}: {}",
        response.status()
    );
}

/// Makes each change that closes or silences a socket on node 0 and measures how long the
/// affected socket on node 1 takes to be told: logout, a role change, a room taken away,
/// viewing hours that close the room, and the privacy pause (by `staff`, on node 0, of the
/// camera on node 1).
async fn access_changes_reach_node_1(
    deployment: &Deployment,
    staff: &mut TestClient,
    round: &str,
) -> Vec<(&'static str, Duration)> {
    let mut took = Vec::new();

    let (cookie, _, mut viewer) = family_watching(deployment, &format!("{round}-salida")).await;
    let changed = Instant::now();
    deployment
        .api(0)
        .post(
            &cookie,
            "/api/logout",
            &serde_json::json!({}),
            reqwest::StatusCode::NO_CONTENT,
        )
        .await
        .unwrap();
    viewer
        .expect_error(ErrorCode::SessionEnded, Some(1008))
        .await;
    took.push(("logout", changed.elapsed()));

    let (_, id, mut viewer) = family_watching(deployment, &format!("{round}-rol")).await;
    let changed = Instant::now();
    patch(
        deployment,
        &format!("/api/people/{id}"),
        serde_json::json!({"role": "caregiver"}),
    )
    .await;
    viewer
        .expect_error(ErrorCode::AccessRevoked, Some(1008))
        .await;
    took.push(("role change", changed.elapsed()));

    let (_, id, mut viewer) = family_watching(deployment, &format!("{round}-sala")).await;
    let changed = Instant::now();
    patch(
        deployment,
        &format!("/api/people/{id}"),
        serde_json::json!({"rooms": []}),
    )
    .await;
    viewer
        .expect_error(ErrorCode::AccessRevoked, Some(1008))
        .await;
    took.push(("room taken away", changed.elapsed()));

    let (_, _, mut viewer) = family_watching(deployment, &format!("{round}-horas")).await;
    let closed = nido_shared::WeeklySchedule { days: [None; 7] };
    let changed = Instant::now();
    patch(
        deployment,
        "/api/rooms/sala-1",
        serde_json::json!({"schedule": closed}),
    )
    .await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Closed)
        .await;
    took.push(("viewing hours", changed.elapsed()));
    let always = serde_json::json!({"open": "00:00", "close": "24:00"});
    let open = serde_json::json!({"schedule": {"days": vec![always; 7]}});
    patch(deployment, "/api/rooms/sala-1", open).await;
    viewer
        .presence_where(|p| p.camera != CameraStatus::Closed)
        .await;

    let changed = Instant::now();
    staff
        .send(&nido_shared::ClientMessage::SetPaused { paused: true })
        .await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    took.push(("privacy pause", changed.elapsed()));
    staff
        .send(&nido_shared::ClientMessage::SetPaused { paused: false })
        .await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    took
}

#[tokio::test]
async fn every_access_change_on_one_node_reaches_another_within_1_s_and_2_s_without_nats() {
    let mut deployment = deployment::start(2, &[]).await;
    let _camera = camera_on(&deployment, 1, CAMERA_KEY).await;
    let mut staff = connect(&deployment, 0, &deployment.admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    for (change, took) in access_changes_reach_node_1(&deployment, &mut staff, "con").await {
        eprintln!("with NATS, {change} reached the other node in {took:?}");
        assert!(took < ACCESS_WITHIN, "with NATS, {change} took {took:?}");
    }
    deployment.nats.kill().await;
    for (change, took) in access_changes_reach_node_1(&deployment, &mut staff, "sin").await {
        eprintln!("without NATS, {change} reached the other node in {took:?}");
        assert!(
            took < ACCESS_WITHIN_WITHOUT_NATS,
            "without NATS, {change} took {took:?}"
        );
    }
}

#[tokio::test]
async fn a_killed_nodes_camera_and_viewers_go_on_from_the_other_nodes() {
    let mut deployment = deployment::start(3, &[]).await;
    let mut viewer = connect(&deployment, 2, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let _camera = camera_on(&deployment, 1, CAMERA_KEY).await;
    sees_camera_live(&mut viewer).await;

    // The camera's node dies: the same camera, reconnecting to another node, takes its seat
    // at once, before the dead node is even noticed.
    deployment.kill_node(1).await;
    let reconnected = Instant::now();
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    assert!(
        reconnected.elapsed() < Duration::from_secs(1),
        "the seat was taken back at once: {:?}",
        reconnected.elapsed()
    );

    // The viewers' node dies: they reconnect to another node and see live frames at once.
    deployment.kill_node(2).await;
    let reconnected = Instant::now();
    let mut viewer = connect(&deployment, 0, &deployment.admin).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let mut sequence = 1;
    loop {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 900)))
            .await;
        let got = tokio::time::timeout(Duration::from_millis(100), viewer.next_frame()).await;
        if got.is_ok() {
            break;
        }
        sequence += 1;
    }
    let live_after = reconnected.elapsed();
    eprintln!("a reconnected viewer saw a live frame {live_after:?} after reconnecting");
    assert!(live_after < Duration::from_secs(3), "{live_after:?}");
}

#[tokio::test]
async fn chat_sent_while_nats_is_down_and_back_reaches_every_node_once_in_order() {
    let mut deployment = deployment::start(2, &["--chat-per-10s", "100"]).await;
    let mut writer = connect(&deployment, 0, &deployment.admin).await;
    writer.join("sala-1", Role::Viewer, None).await;
    let mut reader = connect(&deployment, 1, &deployment.admin).await;
    reader.join("sala-1", Role::Viewer, None).await;
    reader.next_backlog().await;
    let mut sent = 0;
    let mut send_five = async |writer: &mut TestClient| {
        for _ in 0..5 {
            sent += 1;
            writer
                .chat_with_id(&format!("mensaje-{sent:03}"), &format!("número {sent}"))
                .await;
            assert_eq!(
                writer.next_chat().await.seq,
                sent,
                "acknowledged once, in order"
            );
        }
    };
    send_five(&mut writer).await;
    deployment.nats.kill().await;
    send_five(&mut writer).await;
    deployment.nats.start_again().await.unwrap();
    send_five(&mut writer).await;

    let mut seen = Vec::new();
    while seen.len() < 15 {
        seen.push(reader.next_chat().await.seq);
    }
    assert_eq!(
        seen,
        (1..=15).collect::<Vec<_>>(),
        "every message once, in order"
    );
    // Nothing more arrives: no message is delivered twice after NATS came back.
    let extra = tokio::time::timeout(Duration::from_secs(3), reader.next_chat()).await;
    assert!(
        extra.is_err(),
        "a message came twice: {:?}",
        extra.map(|line| line.seq)
    );
}

#[tokio::test]
async fn a_layered_stream_crosses_nodes_whole_and_a_jpeg_only_viewer_elsewhere_gets_jpeg() {
    let deployment = deployment::start(3, &[]).await;
    let family = deployment.family("abuela").await;
    let mut vp8_viewer = vp8_viewer_on(&deployment, 1).await;
    let mut jpeg_viewer = connect(&deployment, 2, &family).await;
    jpeg_viewer.join("sala-1", Role::Viewer, None).await;
    let mut camera = vp8_camera_on(&deployment, 0).await;
    // Node 2 reports a viewer that reads JPEG only.
    while !camera.next_video_demand().await {}
    sees_camera_live(&mut vp8_viewer).await;
    sees_camera_live(&mut jpeg_viewer).await;

    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(CAPTURED);
    camera.send_binary(config.to_vec()).await;
    let mut sent = Vec::new();
    for n in 1..=12u64 {
        let chunk = stream.next_chunk(3_000, CAPTURED, false);
        camera.send_binary(chunk.message.to_vec()).await;
        camera.send_binary(frame(n, &jpeg(n, 2_000))).await;
        sent.push(chunk.sequence);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut check = DecoderCheck::default();
    let mut got = Vec::new();
    while got.len() < sent.len() {
        let message = vp8_viewer.next_frame().await;
        got.extend(check.take(&stream, &message).unwrap().map(|c| c.sequence));
    }
    assert_eq!(
        got, sent,
        "every chunk, whole and in order, on another node"
    );
    let mut last = 0;
    while last < 12 {
        let got = jpeg_viewer.next_frame().await;
        assert_eq!(FrameHeader::decode(&got).unwrap().0.kind, FrameKind::Jpeg);
        last = sequence_of(&got);
    }
    drop(jpeg_viewer);
    while camera.next_video_demand().await {}
}

#[tokio::test]
async fn a_viewer_that_lost_its_chain_on_another_node_has_the_camera_asked_for_a_keyframe() {
    let deployment = deployment::start(2, &[]).await;
    let mut stalled = vp8_viewer_on(&deployment, 1).await;
    let mut camera = vp8_camera_on(&deployment, 0).await;
    sees_camera_live(&mut stalled).await;

    // One layer and no regular keyframe: once node 1 could not give its viewer, who reads
    // nothing for 3 s, a chunk, that viewer needs a keyframe only the camera on node 0 can
    // make, which node 1 finds out when the viewer reads again.
    let mut stream = LayeredStream::new(1, 1_000_000);
    camera.send_binary(stream.config(CAPTURED).to_vec()).await;
    let mut schedule = tokio::time::interval(Duration::from_millis(33));
    let mut asked = 0;
    for n in 0..150 {
        schedule.tick().await;
        let chunk = stream.next_chunk(100_000, CAPTURED, false);
        camera.send_binary(chunk.message.to_vec()).await;
        if n >= 90 {
            stalled.received_within(Duration::from_millis(1)).await;
        }
        asked += camera
            .received_within(Duration::from_millis(1))
            .await
            .iter()
            .filter(|r| matches!(r, Received::Json(ServerMessage::KeyframeRequest {})))
            .count();
    }
    assert!(asked >= 1, "the camera on node 0 was asked for a keyframe");
    assert!(
        asked <= 6,
        "at most once a second, node 1's asks and node 0's: {asked} in 5 s"
    );
}

#[tokio::test]
async fn a_camera_that_falls_back_to_jpeg_is_watched_as_jpeg_on_another_node() {
    let deployment = deployment::start(2, &[]).await;
    let mut viewer = vp8_viewer_on(&deployment, 1).await;
    let mut camera = vp8_camera_on(&deployment, 0).await;
    sees_camera_live(&mut viewer).await;
    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(CAPTURED);
    camera.send_binary(config.to_vec()).await;
    let key = stream.next_chunk(3_000, CAPTURED, false);
    camera.send_binary(key.message.to_vec()).await;
    assert_eq!(viewer.next_frame().await, config);
    assert_eq!(viewer.next_frame().await, key.message);

    // The camera's encoder failed for good; node 1 hears it from node 0's presence report and
    // sends its viewer the JPEG that crosses from node 0.
    camera.send(&nido_shared::ClientMessage::JpegOnly {}).await;
    let mut got_jpeg = false;
    for n in 1..=30u64 {
        camera.send_binary(frame(n, &jpeg(n, 2_000))).await;
        got_jpeg = viewer
            .received_within(Duration::from_millis(100))
            .await
            .iter()
            .any(|r| matches!(r, Received::Frame(f) if FrameHeader::decode(f).unwrap().0.kind == FrameKind::Jpeg));
        if got_jpeg {
            break;
        }
    }
    assert!(got_jpeg, "the viewer on node 1 watches the camera's JPEG");
}

/// A check-in on node 0 and the family's viewer on node 1 (no camera there) once it hears
/// the child's day: whether that says the child is in.
async fn tap_and_hear(
    deployment: &Deployment,
    child: i64,
    action: &str,
    viewer: &mut TestClient,
) -> (bool, Duration) {
    let tapped = Instant::now();
    let response = deployment
        .api(0)
        .request(
            reqwest::Method::POST,
            &format!("/api/children/{child}/attendance"),
            Some(&deployment.admin),
        )
        .json(&serde_json::json!({ "action": action }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{action}: {}",
        response.status()
    );
    let children = viewer
        .wait_for(|received| match received {
            Received::Json(ServerMessage::Attendance(children)) => Some(children.clone()),
            _ => None,
        })
        .await;
    (children[0].today().is_in(), tapped.elapsed())
}

#[tokio::test]
async fn attendance_on_one_node_gives_and_takes_a_familys_picture_on_another_within_1_s() {
    let mut deployment = deployment::start(2, &[]).await;
    let (_, family, mut viewer) = family_watching(&deployment, "madre").await;
    patch(
        &deployment,
        "/api/rooms/sala-1",
        serde_json::json!({"attendance_required": true}),
    )
    .await;
    let created: serde_json::Value = deployment
        .api(0)
        .request(
            reqwest::Method::POST,
            "/api/children",
            Some(&deployment.admin),
        )
        .json(&serde_json::json!({"name": "Lucía", "room": "sala-1", "families": [family]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let child = created["id"].as_i64().unwrap();
    let mut camera = camera_on(&deployment, 0, CAMERA_KEY).await;
    sees_camera_live(&mut viewer).await;
    let mut staff = connect(&deployment, 1, &deployment.admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    let mut sequence = 0;
    let mut frame_reaches = async |viewer: &mut TestClient, staff: &mut TestClient| {
        sequence += 1;
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 700)))
            .await;
        assert_eq!(
            sequence_of(&staff.next_frame().await),
            sequence,
            "staff see it"
        );
        // Newly given the picture, it may first get the frame before (the picture at once).
        let got = viewer.received_within(Duration::from_millis(400)).await;
        got.iter().rev().find_map(|received| match received {
            Received::Frame(frame) => Some(sequence_of(frame)),
            _ => None,
        }) == Some(sequence)
    };
    assert!(
        !frame_reaches(&mut viewer, &mut staff).await,
        "not arrived yet"
    );

    let (is_in, took) = tap_and_hear(&deployment, child, "check_in", &mut viewer).await;
    assert!(
        is_in && took < ACCESS_WITHIN,
        "checked in, heard in {took:?}"
    );
    assert!(frame_reaches(&mut viewer, &mut staff).await);
    let (is_in, took) = tap_and_hear(&deployment, child, "check_out", &mut viewer).await;
    assert!(
        !is_in && took < ACCESS_WITHIN,
        "checked out, heard in {took:?}"
    );
    assert!(!frame_reaches(&mut viewer, &mut staff).await);

    // Without NATS, the other node reads the change when the access epoch moves.
    deployment.nats.kill().await;
    let (is_in, took) = tap_and_hear(&deployment, child, "check_in", &mut viewer).await;
    assert!(
        is_in && took < ACCESS_WITHIN_WITHOUT_NATS,
        "without NATS, heard in {took:?}"
    );
}

/// The next message of a private thread, or of its state, `client` receives.
async fn next_in_thread(client: &mut TestClient) -> ServerMessage {
    client
        .wait_for(|r| match r {
            Received::Json(message @ ServerMessage::Chat(line)) if line.thread.is_some() => {
                Some(message.clone())
            }
            Received::Json(message @ ServerMessage::Threads { replace: false, .. }) => {
                Some(message.clone())
            }
            _ => None,
        })
        .await
}

/// Waits for message `seq` of a private thread.
async fn thread_line(client: &mut TestClient, seq: u64) -> ChatLine {
    loop {
        if let ServerMessage::Chat(line) = next_in_thread(client).await
            && line.seq == seq
        {
            return line;
        }
    }
}

/// Waits for a thread's state that `want` accepts.
async fn thread_state(client: &mut TestClient, want: impl Fn(&ThreadState) -> bool) -> ThreadState {
    loop {
        if let ServerMessage::Threads { threads, .. } = next_in_thread(client).await
            && let Some(state) = threads.into_iter().find(|state| want(state))
        {
            return state;
        }
    }
}

#[tokio::test]
async fn a_private_thread_crosses_nodes_to_its_readers_only_also_while_nats_is_down() {
    let mut deployment = deployment::start(2, &["--chat-per-10s", "100"]).await;
    let ana = deployment.family("ana").await;
    let luis = deployment.family("luis").await;
    let me: Me = deployment.api(0).get_json(&ana, "/api/me").await.unwrap();
    let thread = me.id;
    let mut writer = connect(&deployment, 0, &ana).await;
    writer.join("sala-1", Role::Viewer, None).await;
    let mut staff = connect(&deployment, 1, &deployment.admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    let mut other_family = connect(&deployment, 1, &luis).await;
    other_family.join("sala-1", Role::Viewer, None).await;
    let write = async |client: &mut TestClient, text: &str| {
        client
            .send(&ClientMessage::Chat {
                id: new_chat_id(),
                text: text.into(),
                thread: Some(thread),
            })
            .await;
    };

    // Ana writes on node 0: the staff on node 1 hear it, with it unread.
    write(&mut writer, "¿Ha comido?").await;
    assert_eq!(thread_line(&mut staff, 1).await.text, "¿Ha comido?");
    thread_state(&mut staff, |s| s.last_seq == 1 && s.unread == 1).await;
    // They read it on node 1: Ana's page on node 0 sees it seen.
    staff
        .send(&ClientMessage::ReadThread { thread, seq: 1 })
        .await;
    thread_state(&mut writer, |s| s.seen_seq == 1).await;
    // Their answer reaches her, unread.
    write(&mut staff, "Sí, todo").await;
    assert!(thread_line(&mut writer, 2).await.staff);
    thread_state(&mut writer, |s| s.last_seq == 2 && s.unread == 1).await;

    // With NATS down, the database fills the gap: the message, and both sides' states.
    deployment.nats.kill().await;
    write(&mut writer, "Gracias").await;
    thread_line(&mut staff, 3).await;
    thread_state(&mut staff, |s| s.last_seq == 3 && s.unread == 1).await;
    staff
        .send(&ClientMessage::ReadThread { thread, seq: 3 })
        .await;
    thread_state(&mut writer, |s| s.seen_seq == 3).await;
    deployment.nats.start_again().await.unwrap();

    // The other family, on node 1 all along, heard nothing of it.
    let heard = other_family
        .received_within(Duration::from_millis(500))
        .await;
    assert!(
        !heard.iter().any(|r| matches!(r,
            Received::Json(ServerMessage::Chat(line)) if line.thread.is_some())),
        "{heard:?}"
    );
}
