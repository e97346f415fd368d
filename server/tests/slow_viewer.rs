//! A viewer that never reads delays nobody and does not grow the server's memory. Alone in
//! its own test process, so that resident memory measures this test and nothing else.

mod common;

use common::*;
use nido_shared::Role;

#[tokio::test]
async fn a_viewer_that_never_reads_neither_delays_others_nor_grows_memory() {
    let server = TestServer::start().await;
    let mut stalled = server.join("sala-1", Role::Viewer, "Dormida").await;
    let mut viewers = vec![
        server.join("sala-1", Role::Viewer, "Ana").await,
        server.join("sala-1", Role::Viewer, "Bea").await,
    ];
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let _ = &mut stalled; // joined, and from now on never read

    // 50 frames a second, under the server's flood limit, like a fast real camera.
    let mut schedule = tokio::time::interval(std::time::Duration::from_millis(20));
    let before = resident_bytes();
    for sequence in 1..=250 {
        schedule.tick().await;
        let sent = frame(sequence, &jpeg(sequence, 300_000));
        camera.send_binary(sent.clone()).await;
        for viewer in &mut viewers {
            assert_eq!(viewer.next_frame().await, sent, "frame {sequence}");
        }
    }
    let grown = resident_bytes().saturating_sub(before);
    // 250 frames of 300 kB went out (75 MB); the stalled viewer may hold a few in flight.
    assert!(grown < 30_000_000, "resident memory grew by {grown} bytes");
}
