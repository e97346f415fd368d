//! Layered video (VP8 chunks with temporal layers, frame header version 2): relayed whole to
//! the viewers that decode it and JPEG beside it to those that do not, a joiner's picture
//! from the cached keyframe, a slow viewer losing layers but never a chunk it needs, the
//! data saver, keyframe requests, malformed headers refused, and a family that joins a paused
//! stream waiting idle.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use nido_shared::{
    CameraStatus, ClientMessage, ErrorCode, FrameHeader, FrameKind, Role, ServerMessage, VideoCodec,
};
use nido_testkit::frames::{DecoderCheck, LayeredStream, SentChunk};
use nido_testkit::proc_stats;

const NOW: Timestamp = Timestamp::from_micros(1_796_212_800_000_000);

/// Someone made for the occasion joins `sala-1`, saying what video it reads or sends.
async fn join_with(
    server: &TestServer,
    role: Role,
    name: &str,
    decodes: Vec<VideoCodec>,
    encodes: Option<VideoCodec>,
) -> TestClient {
    let mut client = server.connect_new("sala-1", role, name).await;
    client
        .send_join_with_video("sala-1", role, None, decodes, encodes)
        .await;
    client.welcome().await;
    client
}

async fn vp8_viewer(server: &TestServer, name: &str) -> TestClient {
    join_with(server, Role::Viewer, name, vec![VideoCodec::Vp8], None).await
}

async fn vp8_camera(server: &TestServer) -> TestClient {
    join_with(
        server,
        Role::Camera,
        "Cámara",
        Vec::new(),
        Some(VideoCodec::Vp8),
    )
    .await
}

fn frames(received: &[Received]) -> Vec<Bytes> {
    received
        .iter()
        .filter_map(|r| match r {
            Received::Frame(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

fn keyframe_requests(received: &[Received]) -> usize {
    received
        .iter()
        .filter(|r| matches!(r, Received::Json(ServerMessage::KeyframeRequest {})))
        .count()
}

async fn metrics_text(server: &TestServer) -> String {
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    response.text().await.unwrap()
}

async fn send(camera: &mut TestClient, chunk: &SentChunk) {
    camera.send_binary(chunk.message.to_vec()).await;
}

#[tokio::test]
async fn chunks_reach_viewers_that_decode_them_whole_and_jpeg_only_viewers_get_jpeg() {
    let server = TestServer::start().await;
    let mut vp8 = vp8_viewer(&server, "Ana").await;
    let mut jpeg_only = server.join("sala-1", Role::Viewer, "Bea").await;
    let mut camera = vp8_camera(&server).await;
    assert!(camera.next_video_demand().await, "Bea reads JPEG only");

    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(NOW);
    camera.send_binary(config.to_vec()).await;
    let mut check = DecoderCheck::default();
    for n in 1..=12u64 {
        let chunk = stream.next_chunk(1_000 + n as usize * 37, NOW, false);
        send(&mut camera, &chunk).await;
        let jpeg_frame = frame(n, &jpeg(n, 3_000));
        camera.send_binary(jpeg_frame.clone()).await;
        if n == 1 {
            let first = vp8.next_frame().await;
            assert_eq!(first, config, "the configuration first");
            check.take(&stream, &first).unwrap();
        }
        let got = vp8.next_frame().await;
        assert_eq!(got, chunk.message, "chunk {n} whole, in order, and no JPEG");
        check.take(&stream, &got).unwrap();
        assert_eq!(jpeg_only.next_frame().await, jpeg_frame, "JPEG {n}");
    }
    drop(jpeg_only);
    assert!(
        !camera.next_video_demand().await,
        "nobody needs JPEG any more"
    );
}

#[tokio::test]
async fn a_late_joiner_starts_from_the_cached_keyframe_without_a_keyframe_request() {
    let server = TestServer::start().await;
    let mut camera = vp8_camera(&server).await;
    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(NOW);
    camera.send_binary(config.to_vec()).await;
    let sent: Vec<SentChunk> = (0..6)
        .map(|_| stream.next_chunk(2_000, NOW, false))
        .collect();
    for chunk in &sent {
        send(&mut camera, chunk).await;
    }

    let mut late = vp8_viewer(&server, "Tardía").await;
    let mut check = DecoderCheck::default();
    let caught_up = frames(&late.received_within(Duration::from_millis(300)).await);
    assert_eq!(
        caught_up,
        [config, sent[0].message.clone(), sent[4].message.clone()],
        "the configuration, the keyframe and the base layer since"
    );
    for message in &caught_up {
        check.take(&stream, message).unwrap();
    }
    // The rest of this group is above the base layer, which the joiner lacks.
    let rest: Vec<SentChunk> = (0..2)
        .map(|_| stream.next_chunk(2_000, NOW, false))
        .collect();
    let next_group: Vec<SentChunk> = (0..4)
        .map(|_| stream.next_chunk(2_000, NOW, false))
        .collect();
    assert!(
        next_group[0].sequence == next_group[0].key_sequence,
        "a keyframe"
    );
    for chunk in rest.iter().chain(&next_group) {
        send(&mut camera, chunk).await;
    }
    for chunk in &next_group {
        let got = late.next_frame().await;
        assert_eq!(got, chunk.message, "every layer from the next keyframe");
        check.take(&stream, &got).unwrap();
    }
    let camera_heard = camera.received_within(Duration::from_millis(300)).await;
    assert_eq!(
        keyframe_requests(&camera_heard),
        0,
        "nobody paid for the join"
    );
}

#[tokio::test]
async fn a_viewer_that_stops_reading_loses_layers_but_never_a_chunk_it_needs() {
    let server = TestServer::start().await;
    let mut stalled = vp8_viewer(&server, "Dormida").await;
    let mut keeping_up = vp8_viewer(&server, "Ana").await;
    let mut camera = vp8_camera(&server).await;
    let mut stream = LayeredStream::new(3, 40);
    let config = stream.config(NOW);
    camera.send_binary(config.to_vec()).await;

    // 30 chunks a second of 100 kB: far more than the stalled viewer's buffers hold.
    let mut schedule = tokio::time::interval(Duration::from_millis(33));
    let mut sent = Vec::new();
    for _ in 0..120 {
        schedule.tick().await;
        let chunk = stream.next_chunk(100_000, NOW, false);
        send(&mut camera, &chunk).await;
        if sent.is_empty() {
            assert_eq!(keeping_up.next_frame().await, config);
        }
        assert!(
            keeping_up.next_frame().await == chunk.message,
            "the others get everything, chunk {} too",
            chunk.sequence
        );
        sent.push(chunk);
    }

    let mut check = DecoderCheck::default();
    let mut got = Vec::new();
    for message in frames(&stalled.received_within(Duration::from_millis(500)).await) {
        if let Some(chunk) = check.take(&stream, &message).unwrap() {
            got.push(chunk);
        }
    }
    assert!(
        got.len() < sent.len(),
        "it could not have taken all {}",
        sent.len()
    );
    let base_sent = sent.iter().filter(|c| c.layer == 0).count();
    let base_got = got.iter().filter(|c| c.layer == 0).count();
    let top_got = got.iter().filter(|c| c.layer == 2).count();
    assert!(
        top_got * base_sent < base_got * sent.iter().filter(|c| c.layer == 2).count(),
        "the top layer went first: {base_got} of {base_sent} base chunks, {top_got} top"
    );
    let metrics = metrics_text(&server).await;
    assert!(
        !metrics.contains("nido_video_layers_dropped_total 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_data_saver_sends_the_base_layer_only() {
    let server = TestServer::start().await;
    let mut saver = vp8_viewer(&server, "Ana").await;
    saver.send(&ClientMessage::SetDataSaver { on: true }).await;
    let mut camera = vp8_camera(&server).await;
    let mut stream = LayeredStream::new(3, 8);
    camera.send_binary(stream.config(NOW).to_vec()).await;
    let sent: Vec<SentChunk> = (0..16)
        .map(|_| stream.next_chunk(1_000, NOW, false))
        .collect();
    for chunk in &sent {
        send(&mut camera, chunk).await;
    }
    let mut check = DecoderCheck::default();
    let mut got = Vec::new();
    for message in frames(&saver.received_within(Duration::from_millis(300)).await) {
        got.extend(check.take(&stream, &message).unwrap());
    }
    // It may start from the second keyframe if the first group went by while its feed was
    // being set up (the camera came after it): latest keyframe wins.
    let base: Vec<u64> = sent
        .iter()
        .filter(|chunk| chunk.layer == 0)
        .map(|chunk| chunk.sequence)
        .collect();
    let got: Vec<u64> = got.iter().map(|chunk| chunk.sequence).collect();
    assert!(
        base.ends_with(&got) && got.len() >= 2,
        "layer 0 only, to the end: {got:?} of {base:?}"
    );
}

#[tokio::test]
async fn a_broken_chain_waits_for_a_keyframe_asked_for_at_most_once_a_second() {
    let server = TestServer::start().await;
    let mut viewer = vp8_viewer(&server, "Ana").await;
    let mut camera = vp8_camera(&server).await;
    let mut stream = LayeredStream::new(1, 1_000);
    camera.send_binary(stream.config(NOW).to_vec()).await;
    let first = stream.next_chunk(1_000, NOW, false);
    send(&mut camera, &first).await;
    let _ = viewer.next_frame().await;
    let _ = viewer.next_frame().await;
    // Chunk 2 is lost on the way: what follows cannot be decoded.
    let _lost = stream.next_chunk(1_000, NOW, false);
    for _ in 0..20 {
        send(&mut camera, &stream.next_chunk(1_000, NOW, false)).await;
    }
    let heard = camera.received_within(Duration::from_millis(300)).await;
    assert_eq!(keyframe_requests(&heard), 1, "{heard:?}");
    assert!(
        frames(&viewer.received_within(Duration::from_millis(100)).await).is_empty(),
        "no delta after the gap"
    );
    let key = stream.next_chunk(1_000, NOW, true);
    send(&mut camera, &key).await;
    assert_eq!(
        viewer.next_frame().await,
        key.message,
        "the picture is back"
    );
    let metrics = metrics_text(&server).await;
    assert!(
        metrics.contains("nido_video_keyframes_requested_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn malformed_or_unannounced_chunks_are_refused_and_close_the_camera() {
    let server = TestServer::start().await;
    let mut stream = LayeredStream::new(3, 8);
    let key = stream.next_chunk(1_000, NOW, false);

    // A camera that did not say it sends VP8.
    let mut jpeg_camera = server.join("sala-1", Role::Camera, "Cámara").await;
    jpeg_camera.send_binary(key.message.to_vec()).await;
    jpeg_camera
        .expect_error(ErrorCode::InvalidFrame, Some(1007))
        .await;

    // A keyframe with one byte changed: (why, offset, new value).
    let cases = [
        ("a keyframe above the base layer", 24, 1),
        ("an unknown codec", 6, 7),
        ("a key flag on a VP8 delta", 32, 0x11),
        ("a stray flag", 7, 0x81),
    ];
    for (why, at, value) in cases {
        let mut camera = vp8_camera(&server).await;
        let mut bytes = key.message.to_vec();
        bytes[at] = value;
        assert!(FrameHeader::validate(&bytes, 1 << 20).is_err(), "{why}");
        camera.send_binary(bytes).await;
        camera
            .expect_error(ErrorCode::InvalidFrame, Some(1007))
            .await;
    }
    let mut camera = vp8_camera(&server).await;
    let mut config = stream.config(NOW).to_vec();
    config.truncate(config.len() - 5);
    camera.send_binary(config).await;
    camera
        .expect_error(ErrorCode::InvalidFrame, Some(1007))
        .await;

    // A version-1 JPEG from a camera that sends VP8 still reaches JPEG viewers.
    let mut jpeg_viewer = server.join("sala-1", Role::Viewer, "Bea").await;
    let mut camera = vp8_camera(&server).await;
    let sent = frame(1, &jpeg(1, 500));
    camera.send_binary(sent.clone()).await;
    let got = jpeg_viewer.next_frame().await;
    assert_eq!(got, sent);
    assert_eq!(FrameHeader::decode(&got).unwrap().0.kind, FrameKind::Jpeg);
}

#[tokio::test]
async fn a_camera_whose_encoder_failed_for_good_is_relayed_as_jpeg_to_everyone() {
    let server = TestServer::start().await;
    let mut viewer = vp8_viewer(&server, "Ana").await;
    let mut camera = vp8_camera(&server).await;
    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(NOW);
    camera.send_binary(config.to_vec()).await;
    let key = stream.next_chunk(1_000, NOW, false);
    send(&mut camera, &key).await;
    assert_eq!(viewer.next_frame().await, config);
    assert_eq!(viewer.next_frame().await, key.message);

    camera.send(&ClientMessage::JpegOnly {}).await;
    let picture = frame(1, &jpeg(1, 2_000));
    camera.send_binary(picture.to_vec()).await;
    assert_eq!(
        viewer.next_frame().await,
        picture,
        "the viewer that decodes VP8 is sent the camera's JPEG now"
    );
    // A chunk after that is one the camera no longer announces; a viewer cannot say it.
    send(&mut camera, &stream.next_chunk(1_000, NOW, true)).await;
    camera
        .expect_error(ErrorCode::InvalidFrame, Some(1007))
        .await;
    viewer.send(&ClientMessage::JpegOnly {}).await;
    viewer.expect_error(ErrorCode::NotCamera, Some(1008)).await;
}

/// A family that opens the viewer while the room is paused, after the camera's chunks were
/// cleared, waits without costing the server anything, and gets the picture from the next
/// keyframe once the room resumes. Its writer once went round for ever instead (it saw
/// chunks it had not decided about that were no longer there), which froze a node on two
/// cores; on the real binary, so that a spin shows as the server process's CPU time.
#[tokio::test]
async fn a_family_joining_a_paused_layered_stream_waits_idle_then_starts_at_the_next_keyframe() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let (server, addr) = spawn_server(data.path(), &["--listen", "127.0.0.1:0"]).await;
    let api = Api::new(&addr);
    let admin = api.log_in("directora", PASSWORD).await.unwrap();
    let room = nido_shared::RoomId::try_from("sala-1".to_owned()).unwrap();
    api.create_open_room(&admin, &room, "Sala 1").await.unwrap();
    let invite = api
        .invite(&admin, nido_shared::UserRole::Family, &[room], 1)
        .await
        .unwrap();
    let family = api.register(&invite, "familia", PASSWORD).await.unwrap();
    let url = format!("ws://{addr}/ws");

    let mut camera = TestClient::connect(&url, Some(&admin)).await;
    camera
        .send_join_with_video(
            "sala-1",
            Role::Camera,
            None,
            Vec::new(),
            Some(VideoCodec::Vp8),
        )
        .await;
    camera.welcome().await;
    let mut stream = LayeredStream::new(3, 8);
    let config = stream.config(NOW);
    camera.send_binary(config.to_vec()).await;
    for _ in 0..4 {
        send(&mut camera, &stream.next_chunk(2_000, NOW, false)).await;
    }
    camera
        .send(&ClientMessage::SetPaused { paused: true })
        .await;
    camera
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;

    let mut viewer = TestClient::connect(&url, Some(&family)).await;
    viewer
        .send_join_with_video("sala-1", Role::Viewer, None, vec![VideoCodec::Vp8], None)
        .await;
    viewer.welcome().await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    let pid = server.id().expect("the server runs");
    let before = proc_stats::sample(Some(pid)).unwrap();
    let waited = viewer.received_within(Duration::from_secs(1)).await;
    let after = proc_stats::sample(Some(pid)).unwrap();
    assert!(frames(&waited).is_empty(), "nothing is sent while paused");
    let busy = after.cpu_seconds - before.cpu_seconds;
    assert!(
        busy < 0.5,
        "a paused room with one family waiting cost the server {busy:.2} s of CPU in 1 s"
    );

    camera
        .send(&ClientMessage::SetPaused { paused: false })
        .await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    send(&mut camera, &stream.next_chunk(2_000, NOW, false)).await;
    camera
        .wait_for(|r| matches!(r, Received::Json(ServerMessage::KeyframeRequest {})).then_some(()))
        .await;
    let key = stream.next_chunk(2_000, NOW, true);
    send(&mut camera, &key).await;
    assert_eq!(viewer.next_frame().await, config, "the configuration first");
    assert_eq!(viewer.next_frame().await, key.message, "then the keyframe");
}
