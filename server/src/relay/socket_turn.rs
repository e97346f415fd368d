//! Whose turn it is to write a viewer's socket: its connection's writer task, or the room's
//! fan-out. A writer with nothing to send parks, and while it is parked the fan-out writes
//! each new frame straight to its socket with one non-blocking vectored write, instead of
//! waking the writer of every viewer for every frame. Anything else for the connection (a
//! control message, presence, a close) takes the turn back to the writer first, and so does
//! a socket that does not take a whole frame at once: the writer finishes that frame and goes
//! on as any slow viewer's writer does, with the newest frame whenever the socket is ready.
//! So every connection still gets whole frames, in order, control messages before video,
//! and a slow viewer skips frames without holding up anyone.

use std::sync::{Arc, Mutex};

use bytes::Buf;
use tokio::sync::Notify;

use crate::infra::mutex::lock;
use crate::relay::websocket::{DirectSocket, SendBuffer, SharedBinary, WireFrame, write_now};

/// One connection's turn, shared by its writer task, its outbox and the fan-out of the room
/// it watches.
#[derive(Debug)]
pub struct SocketTurn {
    state: Mutex<TurnState>,
    /// Wakes a parked writer when the fan-out gives the turn back.
    handed_back: Notify,
}

#[derive(Debug)]
struct TurnState {
    /// The writer has parked: until it takes the turn back, only the fan-out writes.
    parked: bool,
    /// The socket the fan-out may write to: none for TLS, and none once the writer stopped.
    direct: Option<DirectSocket>,
    /// The rest of a frame the fan-out started, for the writer to finish.
    unsent: Option<WireFrame>,
    /// The newest frame (numbered as in `FrameChannel`) whose fate is known: sent, by
    /// either side, or replaced before it was; nothing up to it is sent any more.
    settled: Option<u64>,
    send_buffer: SendBuffer,
}

impl SocketTurn {
    /// A connection's turn, the writer's to start with. `direct` is its plain socket, if it
    /// has one; without it, every frame goes through the writer.
    pub fn new(direct: Option<DirectSocket>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(TurnState {
                parked: false,
                direct,
                unsent: None,
                settled: None,
                send_buffer: SendBuffer::default(),
            }),
            handed_back: Notify::new(),
        })
    }

    /// Something was queued for the writer, which is woken for it: from now on the fan-out
    /// leaves the socket alone until the writer has sent it and parked again. A write of the
    /// fan-out under way finishes first, so no frame follows what was queued.
    pub fn claim_for_writer(&self) {
        lock(&self.state).parked = false;
    }

    /// The writer takes the turn, and with it the rest of a frame the fan-out started.
    pub fn take(&self) -> Option<WireFrame> {
        let mut state = lock(&self.state);
        state.parked = false;
        state.unsent.take()
    }

    /// The writer has nothing to send and parks, unless a frame newer than the last one sent
    /// is already in the slot (`newest`), which it must send itself (the fan-out offered it
    /// before the writer parked), or `something_waiting` says a message came in since the
    /// writer looked: its claim may have come before this. True when parked.
    pub fn park(&self, newest: Option<u64>, something_waiting: impl FnOnce() -> bool) -> bool {
        let mut state = lock(&self.state);
        let newer_frame =
            newest.is_some_and(|newest| state.settled.is_none_or(|settled| newest > settled));
        if newer_frame || something_waiting() {
            return false;
        }
        state.parked = true;
        true
    }

    /// Resolves once the fan-out has given a parked writer its turn back.
    pub async fn handed_back(&self) {
        self.handed_back.notified().await;
    }

    /// Records that the writer is sending frame `number`: how many frames it passes over
    /// that were not counted yet, or `None` if that frame was sent already or replaced.
    pub fn take_frame(&self, number: u64) -> Option<u64> {
        let mut state = lock(&self.state);
        let skipped = skipped_before(state.settled, number)?;
        state.settled = Some(number);
        Some(skipped)
    }

    /// Bounds the send buffer of the writer's `socket` to the video's rate.
    pub fn fit_send_buffer(&self, socket: socket2::SockRef<'_>, bytes_per_second: usize) {
        lock(&self.state).send_buffer.fit(socket, bytes_per_second);
    }

    /// The fan-out's offer of frame `number`, made to every viewer of the room: the frames
    /// before it that this viewer was not sent are missed for good. It is written at once
    /// if the writer is parked, the socket is plain and `still_current` (checked here,
    /// after any writer's claim) says no pause or newer frame replaced it (the writer
    /// finishes what the socket did not take); otherwise it is left to the writer.
    pub fn offer(
        &self,
        number: u64,
        message: &SharedBinary,
        bytes_per_second: usize,
        still_current: impl FnOnce() -> bool,
    ) -> Offered {
        let mut state = lock(&self.state);
        let missed = state.settle_before(number);
        let left_to_writer = Offered {
            missed,
            written: false,
        };
        let already_sent = state.settled.is_some_and(|settled| settled >= number);
        if !state.parked || already_sent || !still_current() {
            return left_to_writer;
        }
        if !self.write_direct(&mut state, message, bytes_per_second) {
            return left_to_writer;
        }
        state.settled = Some(number);
        Offered {
            missed,
            written: true,
        }
    }

    /// The fan-out's offer of a chunk of a layered stream, which the viewer's layer gate
    /// has chosen to send it: written at once if the writer is parked, the socket plain and
    /// `still_current` says no pause replaced it. True if written (or started, for the
    /// writer to finish); otherwise the writer sends it.
    pub fn offer_chunk(
        &self,
        message: &SharedBinary,
        bytes_per_second: usize,
        still_current: impl FnOnce() -> bool,
    ) -> bool {
        let mut state = lock(&self.state);
        state.parked && still_current() && self.write_direct(&mut state, message, bytes_per_second)
    }

    /// Gives a parked writer its turn back, for what only it can send (a chunk that needs
    /// a decoder configuration first, or chunks that waited while it was busy).
    pub fn wake_writer(&self) {
        let mut state = lock(&self.state);
        if state.parked {
            self.hand_back(&mut state);
        }
    }

    /// Writes `message` to the parked writer's plain socket with one non-blocking write;
    /// what the socket does not take is left to the writer. False, with the turn handed
    /// back, when there is no plain socket or it took nothing.
    fn write_direct(
        &self,
        state: &mut TurnState,
        message: &SharedBinary,
        bytes_per_second: usize,
    ) -> bool {
        let Some(socket) = state.direct.clone() else {
            self.hand_back(state);
            return false;
        };
        state.send_buffer.fit(
            socket2::SockRef::from(socket.as_ref().as_ref()),
            bytes_per_second,
        );
        let mut wire = message.wire();
        match write_now(&socket, &mut wire) {
            Ok(()) => {
                if wire.has_remaining() {
                    state.unsent = Some(wire);
                    self.hand_back(state);
                }
                true
            }
            // Full, or broken: the writer sends the newest frame when the socket is ready,
            // or finds out what went wrong.
            Err(_) => {
                self.hand_back(state);
                false
            }
        }
    }

    /// The writer has stopped: nobody writes the socket any more, and it is let go of.
    pub fn retire(&self) {
        let mut state = lock(&self.state);
        state.parked = false;
        state.direct = None;
    }

    fn hand_back(&self, state: &mut TurnState) {
        state.parked = false;
        self.handed_back.notify_one();
    }
}

/// What the fan-out's offer of a frame came to for one viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offered {
    /// Frames before this one the viewer was never sent, and now never will be.
    pub missed: u64,
    /// Whether the fan-out wrote this frame to the viewer's socket (or started it, for
    /// the writer to finish).
    pub written: bool,
}

impl TurnState {
    /// Frame `number` has replaced every frame before it: those not sent yet are missed,
    /// and counted now. A viewer's first offer counts nothing: what came before it was not
    /// this viewer's to miss.
    fn settle_before(&mut self, number: u64) -> u64 {
        let replaced = number.saturating_sub(1);
        let missed = self
            .settled
            .map_or(0, |settled| replaced.saturating_sub(settled));
        self.settled = Some(
            self.settled
                .map_or(replaced, |settled| settled.max(replaced)),
        );
        missed
    }
}

/// How many frames sending `number` after `last` passes over; `None` if it is not newer.
fn skipped_before(last: Option<u64>, number: u64) -> Option<u64> {
    match last {
        Some(last) if number <= last => None,
        Some(last) => Some(number - last - 1),
        None => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::{Buf, Bytes};
    use futures_util::FutureExt;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A plain server-side socket, shared as the writer and fan-out share it, and its client.
    async fn socket_pair() -> (DirectSocket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (_read, write) = server.into_split();
        (Arc::new(write), client)
    }

    fn written(missed: u64) -> Offered {
        Offered {
            missed,
            written: true,
        }
    }

    fn left_to_writer(missed: u64) -> Offered {
        Offered {
            missed,
            written: false,
        }
    }

    fn frame(len: usize) -> SharedBinary {
        SharedBinary::new(&vec![9; len])
    }

    fn wire(frame: &SharedBinary) -> Bytes {
        let mut wire = frame.wire();
        wire.copy_to_bytes(wire.remaining())
    }

    async fn read_exactly(client: &mut TcpStream, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        client.read_exact(&mut bytes).await.unwrap();
        bytes
    }

    #[tokio::test]
    async fn a_parked_writers_socket_gets_each_frame_whole_from_the_fan_out_and_counts_skips() {
        let (socket, mut client) = socket_pair().await;
        let turn = SocketTurn::new(Some(socket));
        assert!(turn.park(None, || false));
        let first = frame(1_000);
        assert_eq!(turn.offer(1, &first, 30_000, || true), written(0));
        assert_eq!(
            read_exactly(&mut client, wire(&first).len()).await,
            wire(&first)
        );
        let third = frame(2_000);
        assert_eq!(
            turn.offer(3, &third, 60_000, || true),
            written(1),
            "frame 2 was skipped"
        );
        assert_eq!(
            read_exactly(&mut client, wire(&third).len()).await,
            wire(&third)
        );
        assert_eq!(
            turn.take_frame(3),
            None,
            "the writer does not send it again"
        );
        assert_eq!(turn.take_frame(4), Some(0));
    }

    #[tokio::test]
    async fn anything_queued_for_the_writer_keeps_the_fan_out_off_its_socket() {
        let (socket, mut client) = socket_pair().await;
        let turn = SocketTurn::new(Some(socket));
        assert_eq!(
            turn.offer(1, &frame(100), 3_000, || true),
            left_to_writer(0),
            "a new connection's socket is its writer's"
        );
        assert!(turn.park(None, || false));
        turn.claim_for_writer();
        assert_eq!(
            turn.offer(1, &frame(100), 3_000, || true),
            left_to_writer(0)
        );
        let mut byte = [0];
        assert!(
            client.read(&mut byte).now_or_never().is_none(),
            "nothing was written"
        );
    }

    #[test]
    fn a_viewer_whose_writer_is_stuck_misses_each_frame_a_newer_one_replaces() {
        let turn = SocketTurn::new(None);
        // The writer sends frame 1, and its socket takes no more.
        assert_eq!(turn.take_frame(1), Some(0));
        let missed: u64 = (2..=10)
            .map(|number| turn.offer(number, &frame(100), 3_000, || true).missed)
            .sum();
        assert_eq!(
            missed, 8,
            "frames 2 to 9, counted though no later frame was sent"
        );
        assert_eq!(
            turn.take_frame(9),
            None,
            "a replaced frame is never sent late"
        );
        assert_eq!(turn.take_frame(10), Some(0), "nothing is counted twice");
    }

    #[test]
    fn a_writer_does_not_park_while_a_message_waits_for_it() {
        let turn = SocketTurn::new(None);
        assert!(!turn.park(None, || true));
        assert!(turn.park(None, || false));
    }

    #[tokio::test]
    async fn a_frame_the_room_replaced_or_cleared_is_not_written() {
        let (socket, _client) = socket_pair().await;
        let turn = SocketTurn::new(Some(socket));
        assert!(turn.park(None, || false));
        assert_eq!(
            turn.offer(1, &frame(100), 3_000, || false),
            left_to_writer(0)
        );
        assert_eq!(turn.take_frame(1), Some(0), "frame 1 was never sent");
    }

    #[tokio::test]
    async fn what_the_socket_does_not_take_goes_to_the_writer_whole_and_then_the_newest_frame() {
        let (socket, mut client) = socket_pair().await;
        socket2::SockRef::from(client.as_ref())
            .set_recv_buffer_size(4_096)
            .unwrap();
        let turn = SocketTurn::new(Some(socket));
        assert!(turn.park(None, || false));
        // Far more than the socket's buffers hold while the client reads nothing.
        let big = frame(8_000_000);
        assert_eq!(turn.offer(1, &big, 1_000, || true), written(0));
        turn.handed_back()
            .now_or_never()
            .expect("the writer is woken to finish the frame");
        let rest = turn.take().expect("the rest of the frame is the writer's");
        assert!(rest.remaining() > 0 && rest.remaining() < wire(&big).len());
        assert!(
            !turn.park(Some(2), || false),
            "a newer frame is waiting: the writer sends it"
        );
        assert_eq!(
            turn.offer(2, &frame(100), 1_000, || true),
            left_to_writer(0),
            "the writer's turn"
        );
        // The client gets the start of the frame the fan-out wrote, then the writer's rest.
        let written = wire(&big).len() - rest.remaining();
        let start =
            tokio::time::timeout(Duration::from_secs(10), read_exactly(&mut client, written))
                .await
                .expect("the start arrives");
        assert_eq!(start, wire(&big)[..written]);
    }

    #[tokio::test]
    async fn a_full_socket_leaves_the_frame_to_the_writer() {
        let (socket, _client) = socket_pair().await;
        let filler = [0; 65_536];
        while socket.try_write(&filler).is_ok() {}
        let turn = SocketTurn::new(Some(socket));
        assert!(turn.park(None, || false));
        assert_eq!(
            turn.offer(1, &frame(100), 1_000, || true),
            left_to_writer(0),
            "nothing fits"
        );
        turn.handed_back()
            .now_or_never()
            .expect("the writer is woken");
        assert!(turn.take().is_none(), "nothing of it was written");
        assert_eq!(
            turn.take_frame(1),
            Some(0),
            "the writer sends it when it can"
        );
    }

    #[tokio::test]
    async fn without_a_plain_socket_or_once_retired_the_fan_out_writes_nothing() {
        let through_tls = SocketTurn::new(None);
        assert!(through_tls.park(None, || false));
        assert_eq!(
            through_tls.offer(1, &frame(100), 3_000, || true),
            left_to_writer(0)
        );
        through_tls
            .handed_back()
            .now_or_never()
            .expect("its writer sends every frame");

        let (socket, mut client) = socket_pair().await;
        let retired = SocketTurn::new(Some(socket));
        assert!(retired.park(None, || false));
        retired.retire();
        assert_eq!(
            retired.offer(1, &frame(100), 3_000, || true),
            left_to_writer(0)
        );
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "the socket closed with nothing written");
    }
}
