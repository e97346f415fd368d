//! A camera broadcast: the open camera, the capture loop that sends frames only while the
//! uplink keeps up, the send statistics, and the screen wake lock. Dropping it stops all of it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use nido_shared::limits::{MAX_CAMERA_FPS, MIN_CAMERA_FPS};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlVideoElement, MediaStream, VisibilityState};

use crate::browser::window;
use crate::capture::FrameEncoder;
use crate::clock::ClockOffset;
use crate::media::{CameraError, CameraRequest, camera_ended, open_camera, stop_camera};
use crate::room::RoomLink;
use crate::wake_lock::ScreenWakeLock;

/// A frame is captured only while less than this is still waiting in the browser's send
/// buffer: a slow uplink skips frames instead of building a backlog of old pictures.
const BACKLOG_LIMIT_BYTES: u32 = 64 * 1024;
const STATS_EVERY_MS: u32 = 1_000;

/// What the camera page shows about the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendStats {
    pub frames_per_second: f64,
    pub kilobits_per_second: f64,
}

/// Settings the page may change while streaming.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    pub quality: f64,
    pub paused: bool,
}

/// Everything chosen before streaming starts.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    pub request: CameraRequest,
    pub fps: u32,
    pub settings: LiveSettings,
}

pub struct Broadcast {
    link: Rc<RoomLink>,
    camera: Rc<Camera>,
    capture: Rc<CaptureLoop>,
    _ticker: Interval,
    _stats: Interval,
    wake_lock: ScreenWakeLock,
    on_visibility: Closure<dyn FnMut()>,
}

/// The open camera and the preview element showing it.
struct Camera {
    video: HtmlVideoElement,
    request: CameraRequest,
    stream: RefCell<Option<MediaStream>>,
}

struct CaptureLoop {
    camera: Rc<Camera>,
    link: Rc<RoomLink>,
    clock: RwSignal<ClockOffset>,
    encoder: Cell<Option<FrameEncoder>>,
    settings: Cell<LiveSettings>,
    frames_sent: Cell<u32>,
    bytes_sent: Cell<f64>,
}

impl Broadcast {
    /// Opens the camera into `video`, then (so that the room sees a camera only once there
    /// is a picture) joins the room through `join_room` and starts sending.
    pub async fn start(
        video: HtmlVideoElement,
        plan: StreamPlan,
        join_room: impl FnOnce() -> RoomLink,
        clock: RwSignal<ClockOffset>,
        stats: RwSignal<SendStats>,
    ) -> Result<Self, CameraError> {
        let StreamPlan {
            request,
            fps,
            settings,
        } = plan;
        let camera = Rc::new(Camera {
            video,
            request,
            stream: RefCell::new(None),
        });
        camera.open().await?;
        let link = Rc::new(join_room());
        let capture = Rc::new(CaptureLoop {
            camera: Rc::clone(&camera),
            link: Rc::clone(&link),
            clock,
            encoder: Cell::new(FrameEncoder::new()),
            settings: Cell::new(settings),
            frames_sent: Cell::new(0),
            bytes_sent: Cell::new(0.0),
        });
        let ticker = Interval::new(1_000 / fps.clamp(MIN_CAMERA_FPS, MAX_CAMERA_FPS), {
            let capture = Rc::clone(&capture);
            move || CaptureLoop::tick(&capture)
        });
        let stats_ticker = Interval::new(STATS_EVERY_MS, {
            let capture = Rc::clone(&capture);
            move || stats.set(capture.take_stats())
        });

        let wake_lock = ScreenWakeLock::default();
        wake_lock.acquire();
        let on_visibility = Closure::<dyn FnMut()>::new({
            let wake_lock = wake_lock.clone();
            let camera = Rc::clone(&camera);
            move || {
                if window().document().map(|d| d.visibility_state())
                    != Some(VisibilityState::Visible)
                {
                    return;
                }
                wake_lock.acquire();
                let camera = Rc::clone(&camera);
                spawn_local(async move { camera.reopen_if_ended().await });
            }
        });
        if let Some(document) = window().document() {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            );
        }
        Ok(Self {
            link,
            camera,
            capture,
            _ticker: ticker,
            _stats: stats_ticker,
            wake_lock,
            on_visibility,
        })
    }

    pub fn link(&self) -> &RoomLink {
        &self.link
    }

    pub fn update(&self, settings: LiveSettings) {
        self.capture.settings.set(settings);
    }
}

impl Drop for Broadcast {
    fn drop(&mut self) {
        if let Some(document) = window().document() {
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                self.on_visibility.as_ref().unchecked_ref(),
            );
        }
        self.wake_lock.release();
        self.camera.close();
    }
}

impl Camera {
    async fn open(&self) -> Result<(), CameraError> {
        let stream = open_camera(&self.request).await?;
        self.video.set_muted(true);
        self.video.set_src_object(Some(&stream));
        if let Ok(playing) = self.video.play() {
            let _ = wasm_bindgen_futures::JsFuture::from(playing).await;
        }
        if let Some(old) = self.stream.replace(Some(stream)) {
            stop_camera(&old);
        }
        Ok(())
    }

    /// After the page was hidden the system may have taken the camera: open it again.
    async fn reopen_if_ended(&self) {
        let ended = self.stream.borrow().as_ref().is_some_and(camera_ended);
        if ended && let Err(error) = self.open().await {
            leptos::logging::warn!("could not reopen the camera: {error:?}");
        }
    }

    fn close(&self) {
        if let Some(stream) = self.stream.take() {
            stop_camera(&stream);
        }
        self.video.set_src_object(None);
    }
}

impl CaptureLoop {
    fn tick(this: &Rc<Self>) {
        if this.settings.get().paused {
            return;
        }
        if this.link.socket().buffered_amount() > BACKLOG_LIMIT_BYTES {
            return;
        }
        // `None` while the previous frame is still being encoded: skip this tick.
        let Some(mut encoder) = this.encoder.take() else {
            return;
        };
        let this = Rc::clone(this);
        spawn_local(async move {
            let capture_time = this.clock.get_untracked().server_now();
            let quality = this.settings.get().quality;
            if let Some(frame) = encoder
                .encode(&this.camera.video, quality, capture_time)
                .await
            {
                // Checked again: the caregiver may have paused while this frame was encoded.
                if !this.settings.get().paused && this.link.socket().send_blob(&frame) {
                    this.frames_sent.set(this.frames_sent.get() + 1);
                    this.bytes_sent.set(this.bytes_sent.get() + frame.size());
                }
            }
            this.encoder.set(Some(encoder));
        });
    }

    fn take_stats(&self) -> SendStats {
        let seconds = f64::from(STATS_EVERY_MS) / 1000.0;
        SendStats {
            frames_per_second: f64::from(self.frames_sent.replace(0)) / seconds,
            kilobits_per_second: self.bytes_sent.replace(0.0) * 8.0 / 1000.0 / seconds,
        }
    }
}
