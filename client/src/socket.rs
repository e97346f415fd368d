//! A room's WebSocket that rejoins by itself: after a network loss or a server restart it
//! reconnects with growing, jittered delays and sends its join again, without a page reload.
//!
//! The listener closures live in the `Link` that owns the socket and are detached and
//! dropped with it, so nothing leaks per connection or per page visit.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use gloo_timers::callback::Timeout;
use js_sys::ArrayBuffer;
use nido_shared::{ClientMessage, CloseCode, ErrorCode, ServerMessage, SocketError, Timestamp};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{BinaryType, Blob, CloseEvent, Event, MessageEvent, WebSocket};

const FIRST_RETRY_MS: f64 = 500.0;
/// Short enough that viewers are live again within about 2 s of the server coming back;
/// the jitter keeps a whole room from reconnecting in the same instant.
const LONGEST_RETRY_MS: f64 = 2_000.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    Connecting,
    /// Joined: the server welcomed us.
    Joined,
    /// Lost; the next attempt starts at `retry_at` (this device's clock).
    Reconnecting {
        retry_at: Timestamp,
    },
    /// The server refused us for good (the reason, if it gave one).
    Refused(Option<ErrorCode>),
}

/// What the page wants to hear about.
pub struct SocketEvents {
    pub on_message: Box<dyn Fn(ServerMessage)>,
    pub on_frame: Box<dyn Fn(ArrayBuffer)>,
    pub on_status: Box<dyn Fn(LinkStatus)>,
}

/// The page's handle; dropping it closes the socket and stops reconnecting.
pub struct RoomSocket {
    link: Rc<RefCell<Link>>,
}

/// Builds the `join` message anew for each connection (it says how much chat the page has).
pub type JoinMessage = Box<dyn Fn() -> ClientMessage>;

struct Link {
    url: String,
    join: JoinMessage,
    events: Rc<SocketEvents>,
    socket: Option<WebSocket>,
    listeners: Option<Listeners>,
    retry: Option<Timeout>,
    failed_attempts: u32,
    last_error: Option<ErrorCode>,
}

struct Listeners {
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl RoomSocket {
    pub fn open(url: String, join: JoinMessage, events: SocketEvents) -> Self {
        let link = Rc::new(RefCell::new(Link {
            url,
            join,
            events: Rc::new(events),
            socket: None,
            listeners: None,
            retry: None,
            failed_attempts: 0,
            last_error: None,
        }));
        connect(&link);
        Self { link }
    }

    pub fn send(&self, message: &ClientMessage) {
        if let Some(socket) = self.open_socket()
            && let Ok(json) = serde_json::to_string(message)
        {
            let _ = socket.send_with_str(&json);
        }
    }

    /// Sends a binary message; false if there is no open connection.
    pub fn send_blob(&self, blob: &Blob) -> bool {
        self.open_socket()
            .is_some_and(|socket| socket.send_with_blob(blob).is_ok())
    }

    /// Sends a binary message held in JavaScript memory; false if there is no open
    /// connection.
    pub fn send_bytes(&self, bytes: &js_sys::Uint8Array) -> bool {
        self.open_socket()
            .is_some_and(|socket| socket.send_with_js_u8_array(bytes).is_ok())
    }

    /// Bytes queued in the browser but not yet sent: the uplink's backlog.
    pub fn buffered_amount(&self) -> u32 {
        self.link
            .borrow()
            .socket
            .as_ref()
            .map_or(0, WebSocket::buffered_amount)
    }

    fn open_socket(&self) -> Option<WebSocket> {
        let link = self.link.borrow();
        let socket = link.socket.as_ref()?;
        (socket.ready_state() == WebSocket::OPEN).then(|| socket.clone())
    }
}

fn connect(link: &Rc<RefCell<Link>>) {
    let url = link.borrow().url.clone();
    let events = Rc::clone(&link.borrow().events);
    let Ok(socket) = WebSocket::new(&url) else {
        schedule_retry(link);
        return;
    };
    socket.set_binary_type(BinaryType::Arraybuffer);
    (events.on_status)(LinkStatus::Connecting);

    let weak = Rc::downgrade(link);
    let on_open = Closure::<dyn FnMut(Event)>::new({
        let weak = weak.clone();
        move |_| {
            let Some(link) = weak.upgrade() else { return };
            let link = link.borrow();
            if let (Some(socket), Ok(join)) = (&link.socket, serde_json::to_string(&(link.join)()))
            {
                let _ = socket.send_with_str(&join);
            }
        }
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let weak = weak.clone();
        move |event: MessageEvent| {
            if let Some(link) = weak.upgrade() {
                receive(&link, &event);
            }
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
        if let Some(link) = weak.upgrade() {
            closed(&link, event.code());
        }
    });
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    let mut state = link.borrow_mut();
    state.socket = Some(socket);
    state.listeners = Some(Listeners {
        _open: on_open,
        _message: on_message,
        _close: on_close,
    });
}

fn receive(link: &Rc<RefCell<Link>>, event: &MessageEvent) {
    let data = event.data();
    // Release the borrow before calling the page: it may send in response.
    let events = Rc::clone(&link.borrow().events);
    if let Ok(buffer) = data.clone().dyn_into::<ArrayBuffer>() {
        (events.on_frame)(buffer);
        return;
    }
    let Some(text) = data.as_string() else { return };
    let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
        return;
    };
    match &message {
        ServerMessage::Welcome { .. } => {
            link.borrow_mut().failed_attempts = 0;
            (events.on_status)(LinkStatus::Joined);
        }
        ServerMessage::Error(SocketError { code, .. }) => {
            link.borrow_mut().last_error = Some(*code)
        }
        _ => {}
    }
    (events.on_message)(message);
}

fn closed(link: &Rc<RefCell<Link>>, code: u16) {
    let (events, last_error) = {
        let mut state = link.borrow_mut();
        state.detach();
        (Rc::clone(&state.events), state.last_error.take())
    };
    if CloseCode::from_u16(code).is_some_and(CloseCode::refuses_for_good) {
        (events.on_status)(LinkStatus::Refused(last_error));
    } else {
        schedule_retry(link);
    }
}

fn schedule_retry(link: &Rc<RefCell<Link>>) {
    let (events, delay_ms) = {
        let mut state = link.borrow_mut();
        let backoff = FIRST_RETRY_MS * 2f64.powi(state.failed_attempts.min(10) as i32);
        // Jitter spreads out the reconnections of a whole room after a server restart.
        let delay_ms = backoff.min(LONGEST_RETRY_MS) * (0.5 + js_sys::Math::random() / 2.0);
        state.failed_attempts += 1;
        let weak: Weak<RefCell<Link>> = Rc::downgrade(link);
        state.retry = Some(Timeout::new(delay_ms as u32, move || {
            if let Some(link) = weak.upgrade() {
                connect(&link);
            }
        }));
        (Rc::clone(&state.events), delay_ms as u32)
    };
    let retry_at = crate::clock::now() + Duration::from_millis(u64::from(delay_ms));
    (events.on_status)(LinkStatus::Reconnecting { retry_at });
}

impl Link {
    /// Unhooks the listeners from the socket before they are dropped.
    fn detach(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
        }
        self.listeners = None;
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(socket) = &self.socket {
            let _ = socket.close_with_code(1000);
        }
        self.detach();
        self.retry = None;
    }
}
