//! WebSocket framing broken on purpose, written as raw bytes under a joined connection:
//! each violation gets the close code RFC 6455 asks for, the close frame arrives even to a
//! client that is still sending, and nobody else in the room notices.

mod common;

use std::time::Duration;

use common::*;
use nido_shared::{ErrorCode, Role, ServerMessage, SocketError};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::MaybeTlsStream;

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A client frame as it goes on the wire: `first` (FIN, RSV and opcode), then the length
/// (masked unless `masked` is false) and the payload, masked with a fixed key.
fn client_frame(first: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut wire = vec![first];
    match payload.len() {
        len @ 0..=125 => wire.push(mask_bit | len as u8),
        len @ 126..=65_535 => {
            wire.push(mask_bit | 126);
            wire.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            wire.push(mask_bit | 127);
            wire.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let key = [0x37, 0xfa, 0x21, 0x3d];
    if masked {
        wire.extend_from_slice(&key);
        wire.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    } else {
        wire.extend_from_slice(payload);
    }
    wire
}

/// Writes `bytes` under the client's WebSocket, as a broken client would.
async fn write_raw(client: &mut TestClient, bytes: &[u8]) -> std::io::Result<()> {
    let MaybeTlsStream::Plain(tcp) = client.socket.get_mut() else {
        panic!("the tests' server speaks plain HTTP");
    };
    tcp.write_all(bytes).await
}

/// What a joined viewer sends, and the close code it must get for it.
fn violations() -> Vec<(&'static str, Vec<u8>, u16)> {
    vec![
        (
            "a reserved bit",
            client_frame(FIN | RSV1 | BINARY, true, b"x"),
            1002,
        ),
        (
            "a reserved data opcode",
            client_frame(FIN | 0x3, true, b"x"),
            1002,
        ),
        (
            "a reserved control opcode",
            client_frame(FIN | 0xB, true, b""),
            1002,
        ),
        (
            "an unmasked frame",
            client_frame(FIN | TEXT, false, b"{}"),
            1002,
        ),
        (
            "a ping of 126 bytes",
            client_frame(FIN | PING, true, &[0; 126]),
            1002,
        ),
        ("a fragmented ping", client_frame(PING, true, b"x"), 1002),
        (
            "a continuation of nothing",
            client_frame(FIN, true, b"x"),
            1002,
        ),
        (
            "a close payload of one byte",
            client_frame(FIN | CLOSE, true, &[3]),
            1002,
        ),
        (
            "a close code no one may send",
            client_frame(FIN | CLOSE, true, &999u16.to_be_bytes()),
            1002,
        ),
        (
            "a text message that is not UTF-8",
            client_frame(FIN | TEXT, true, &[b'{', 0xff, 0xfe, b'}']),
            1007,
        ),
        (
            "a fragmented text message that is not UTF-8",
            [
                client_frame(TEXT, true, &[b'{', 0xc3]),
                client_frame(FIN, true, &[0x28, b'}']),
            ]
            .concat(),
            1007,
        ),
    ]
}

/// The close code the client gets, skipping whatever the server sent before it.
async fn close_code(client: &mut TestClient) -> Option<u16> {
    loop {
        if let Received::Closed(code) = client.next().await {
            return code;
        }
    }
}

#[tokio::test]
async fn each_framing_violation_gets_its_close_code() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;

    for (what, wire, expected) in violations() {
        let mut broken = server.join("sala-1", Role::Viewer, "Rota").await;
        write_raw(&mut broken, &wire).await.unwrap();
        assert_eq!(close_code(&mut broken).await, Some(expected), "{what}");
    }

    // The room carries on.
    let sent = frame(1, &jpeg(1, 1_000));
    camera.send_binary(sent.clone()).await;
    assert_eq!(viewer.next_frame().await, sent);
}

#[tokio::test]
async fn invalid_utf8_is_refused_as_a_malformed_message() {
    let server = TestServer::start().await;
    let mut broken = server.join("sala-1", Role::Viewer, "Rota").await;
    write_raw(&mut broken, &client_frame(FIN | TEXT, true, &[0xff]))
        .await
        .unwrap();
    broken
        .expect_error(ErrorCode::MalformedMessage, Some(1007))
        .await;
}

/// A family member of sala-1 whose socket takes at most a few KiB at a time, so that what
/// the server sends while it is not reading waits in the server's socket.
async fn viewer_with_a_small_window(server: &TestServer) -> TestClient {
    let account = server
        .person(nido_shared::UserRole::Family, "Lenta", &["sala-1"])
        .await;
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4_096).unwrap();
    let tcp = tcp.connect(server.addr).await.unwrap();
    let request = upgrade_request(&server.ws_url(), Some(&account.cookie));
    let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
        .await
        .unwrap();
    let mut viewer = TestClient { socket };
    viewer.join("sala-1", Role::Viewer, None).await;
    viewer
}

#[tokio::test]
async fn a_viewer_still_sending_after_an_oversized_message_gets_its_close() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = viewer_with_a_small_window(&server).await;
    // The viewer reads nothing for a while: video fills its socket and the server's.
    for sequence in 1..=15 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 50_000)))
            .await;
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    // Then it sends a message the server refuses from its header on, and goes on writing
    // its payload; the refusal and the close wait behind the video.
    let oversized = client_frame(FIN | BINARY, true, &[0; 4_000_000]);
    let writing = async {
        for chunk in oversized.chunks(64 * 1024) {
            if write_raw(&mut viewer, chunk).await.is_err() {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(300), writing).await;

    // When it reads again, all of it arrives: nothing was reset away.
    let refused = viewer
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Error(SocketError { code, .. })) => Some(*code),
            Received::Closed(code) => panic!("closed ({code:?}) before the error"),
            _ => None,
        })
        .await;
    assert_eq!(refused, ErrorCode::MessageTooLarge);
    assert_eq!(close_code(&mut viewer).await, Some(1009));
}
