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
    /// The number of the last frame sent (see `FrameChannel`), by either side.
    last_frame: Option<u64>,
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
                last_frame: None,
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
    /// is already in the slot (`newest`), which it must send itself: the fan-out offered it
    /// before the writer parked. True when parked.
    pub fn park(&self, newest: Option<u64>) -> bool {
        let mut state = lock(&self.state);
        if newest.is_some_and(|newest| state.last_frame.is_none_or(|last| newest > last)) {
            return false;
        }
        state.parked = true;
        true
    }

    /// Resolves once the fan-out has given a parked writer its turn back.
    pub async fn handed_back(&self) {
        self.handed_back.notified().await;
    }

    /// Records that the writer is sending frame `number`: how many frames it skipped, or
    /// `None` if that frame was sent already.
    pub fn take_frame(&self, number: u64) -> Option<u64> {
        let mut state = lock(&self.state);
        let skipped = skipped_before(state.last_frame, number)?;
        state.last_frame = Some(number);
        Some(skipped)
    }

    /// Bounds the send buffer of the writer's `socket` to the video's rate.
    pub fn fit_send_buffer(&self, socket: socket2::SockRef<'_>, bytes_per_second: usize) {
        lock(&self.state).send_buffer.fit(socket, bytes_per_second);
    }

    /// The fan-out's offer of frame `number`: written at once if the writer is parked, the
    /// socket is plain and `still_current` (checked here, after any writer's claim) says no
    /// pause or newer frame replaced it. The skipped frames' count when written or started
    /// (the writer finishes what the socket did not take); `None` when left to the writer.
    pub fn offer(
        &self,
        number: u64,
        message: &SharedBinary,
        bytes_per_second: usize,
        still_current: impl FnOnce() -> bool,
    ) -> Option<u64> {
        let mut state = lock(&self.state);
        if !state.parked || !still_current() {
            return None;
        }
        let skipped = skipped_before(state.last_frame, number)?;
        let Some(socket) = state.direct.clone() else {
            self.hand_back(&mut state);
            return None;
        };
        state.send_buffer.fit(
            socket2::SockRef::from(socket.as_ref().as_ref()),
            bytes_per_second,
        );
        let mut wire = message.wire();
        match write_now(&socket, &mut wire) {
            Ok(()) => {
                state.last_frame = Some(number);
                if wire.has_remaining() {
                    state.unsent = Some(wire);
                    self.hand_back(&mut state);
                }
                Some(skipped)
            }
            // Full, or broken: the writer sends the newest frame when the socket is ready,
            // or finds out what went wrong.
            Err(_) => {
                self.hand_back(&mut state);
                None
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

/// How many frames sending `number` after `last` passes over; `None` if it is not newer.
fn skipped_before(last: Option<u64>, number: u64) -> Option<u64> {
    match last {
        Some(last) if number <= last => None,
        Some(last) => Some(number - last - 1),
        None => Some(0),
    }
}
