//! A camera broadcast: the open camera, the capture loop that sends frames only while the
//! uplink keeps up (VP8 chunks where the browser encodes them, JPEG where it does not and
//! beside VP8 while a viewer needs it), the send statistics, and the screen wake lock.
//! Dropping it stops all of it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use nido_shared::VideoCodec;
use nido_shared::limits::{MAX_CAMERA_FPS, MIN_CAMERA_FPS};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlVideoElement, MediaStream, VisibilityState};

use crate::browser::window;
use crate::media::{CameraError, CameraRequest, camera_ended, open_camera, stop_camera};
use crate::room::{RoomLink, RoomSignals};
use crate::video::capture::Capture;
use crate::video::chunk_encoder::ChunkEncoder;
use crate::video::support::{EncoderPlan, vp8_encoding};
use crate::wake_lock::ScreenWakeLock;

/// A frame is captured only while less than this is still waiting in the browser's send
/// buffer: a slow uplink skips frames instead of building a backlog of old pictures.
const BACKLOG_LIMIT_BYTES: u32 = 64 * 1024;
const STATS_EVERY_MS: u32 = 1_000;
/// VP8's bitrate aims at this many bits per pixel per frame: 250 kbit/s at 640×480 and
/// 10 fps (docs/performance.md, "Video in fewer bytes").
const VP8_BITS_PER_PIXEL: f64 = 0.08;
/// After this many VP8 encoder failures, each less than [`ENCODER_FAILURES_FORGOTTEN_MS`]
/// after the one before, the camera sends JPEG only (a browser whose encoder cannot work).
const MAX_ENCODER_FAILURES: u32 = 3;
const ENCODER_FAILURES_FORGOTTEN_MS: f64 = 60_000.0;

/// What the camera page shows about the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendStats {
    pub frames_per_second: f64,
    pub kilobits_per_second: f64,
    /// The temporal layering of the VP8 sent, if VP8 is sent.
    pub vp8: Option<&'static str>,
    /// Whether JPEG frames are sent (alone, or beside VP8 for a viewer that needs them).
    pub jpeg: bool,
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
    signals: RoomSignals,
    capture: Capture,
    /// A JPEG is being encoded: the next waits.
    jpeg_busy: Cell<bool>,
    /// How this browser encodes VP8, if it does.
    vp8_plan: Option<EncoderPlan>,
    vp8: RefCell<Option<ChunkEncoder>>,
    /// The server's keyframe requests handled so far.
    keyframes_handled: Cell<u64>,
    encoder_failures: Cell<u32>,
    last_encoder_failure_ms: Cell<f64>,
    /// VP8 failed for good: JPEG only until the broadcast ends.
    vp8_given_up: Cell<bool>,
    settings: Cell<LiveSettings>,
    jpeg_frames_sent: Cell<u32>,
    jpeg_bytes_sent: Cell<f64>,
    sending_jpeg: Cell<bool>,
}

impl Broadcast {
    /// Opens the camera into `video`, asks the browser whether it encodes VP8 at the
    /// camera's size, then (so that the room sees a camera only once there is a picture)
    /// joins the room through `join_room`, saying which codec it sends, and starts sending.
    pub async fn start(
        video: HtmlVideoElement,
        plan: StreamPlan,
        join_room: impl FnOnce(Option<VideoCodec>) -> RoomLink,
        signals: RoomSignals,
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
        let fps = fps.clamp(MIN_CAMERA_FPS, MAX_CAMERA_FPS);
        let (width, height) = (camera.video.video_width(), camera.video.video_height());
        let bits_per_second = VP8_BITS_PER_PIXEL * f64::from(width * height * fps);
        let vp8_plan = vp8_encoding(width, height, fps, bits_per_second as u32).await;
        let link = Rc::new(join_room(vp8_plan.as_ref().map(|_| VideoCodec::Vp8)));
        let vp8 = vp8_plan
            .clone()
            .and_then(|plan| ChunkEncoder::start(plan, Rc::clone(&link)));
        let capture = Rc::new(CaptureLoop {
            camera: Rc::clone(&camera),
            link: Rc::clone(&link),
            signals,
            capture: Capture::new().ok_or(CameraError::Failed)?,
            jpeg_busy: Cell::new(false),
            vp8_plan,
            vp8: RefCell::new(vp8),
            keyframes_handled: Cell::new(0),
            encoder_failures: Cell::new(0),
            last_encoder_failure_ms: Cell::new(f64::NEG_INFINITY),
            vp8_given_up: Cell::new(false),
            settings: Cell::new(settings),
            jpeg_frames_sent: Cell::new(0),
            jpeg_bytes_sent: Cell::new(0.0),
            sending_jpeg: Cell::new(false),
        });
        let ticker = Interval::new(1_000 / fps, {
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
        let now_ms = window().performance().map_or(0.0, |p| p.now());
        let backlog = this.link.socket().buffered_amount();
        this.keep_vp8_going(backlog, now_ms);
        if backlog > BACKLOG_LIMIT_BYTES || !this.capture.draw(&this.camera.video) {
            return;
        }
        let capture_time = this.signals.clock.get_untracked().server_now();
        let vp8 = this.vp8.borrow();
        if let Some(encoder) = vp8.as_ref()
            && let Some(frame) = this.capture.video_frame(capture_time)
        {
            encoder.encode(&frame, now_ms);
            frame.close();
        }
        let jpeg_wanted = vp8.is_none() || this.signals.jpeg_wanted.get_untracked();
        drop(vp8);
        this.sending_jpeg.set(jpeg_wanted);
        if jpeg_wanted && !this.jpeg_busy.replace(true) {
            let this = Rc::clone(this);
            spawn_local(async move {
                let quality = this.settings.get().quality;
                if let Some(frame) = this.capture.jpeg_frame(quality, capture_time).await
                    // Checked again: the caregiver may have paused while this was encoded.
                    && !this.settings.get().paused
                    && this.link.socket().send_blob(&frame)
                {
                    this.jpeg_frames_sent.set(this.jpeg_frames_sent.get() + 1);
                    this.jpeg_bytes_sent
                        .set(this.jpeg_bytes_sent.get() + frame.size());
                }
                this.jpeg_busy.set(false);
            });
        }
    }

    /// Passes the server's keyframe requests on, follows the uplink, and replaces an encoder
    /// the browser closed after an error (its first picture is a keyframe); after
    /// [`MAX_ENCODER_FAILURES`] failures close together, it sends JPEG only.
    fn keep_vp8_going(&self, backlog: u32, now_ms: f64) {
        let Some(plan) = &self.vp8_plan else { return };
        if self.vp8_given_up.get() {
            return;
        }
        let failed = self
            .vp8
            .borrow()
            .as_ref()
            .is_none_or(ChunkEncoder::has_failed);
        if failed {
            let plan = self
                .vp8
                .borrow()
                .as_ref()
                .map_or(plan.clone(), ChunkEncoder::plan);
            self.vp8.replace(None);
            if now_ms - self.last_encoder_failure_ms.replace(now_ms) > ENCODER_FAILURES_FORGOTTEN_MS
            {
                self.encoder_failures.set(0);
            }
            self.encoder_failures.set(self.encoder_failures.get() + 1);
            if self.encoder_failures.get() >= MAX_ENCODER_FAILURES {
                leptos::logging::warn!("Nido video: the VP8 encoder keeps failing; sending JPEG");
                self.vp8_given_up.set(true);
                self.link.send_jpeg_only();
                return;
            }
            self.vp8
                .replace(ChunkEncoder::start(plan, Rc::clone(&self.link)));
        }
        let vp8 = self.vp8.borrow();
        let Some(encoder) = vp8.as_ref() else { return };
        let asked = self.signals.keyframes_asked.get_untracked();
        if self.keyframes_handled.replace(asked) != asked {
            encoder.request_keyframe(now_ms);
        }
        encoder.adapt(backlog, BACKLOG_LIMIT_BYTES, now_ms);
    }

    fn take_stats(&self) -> SendStats {
        let seconds = f64::from(STATS_EVERY_MS) / 1000.0;
        let vp8 = self.vp8.borrow();
        let (chunks, chunk_bytes) = vp8.as_ref().map_or((0, 0.0), ChunkEncoder::take_sent);
        let jpeg_frames = self.jpeg_frames_sent.replace(0);
        let bytes = self.jpeg_bytes_sent.replace(0.0) + chunk_bytes;
        SendStats {
            // Pictures taken: each is sent as a chunk, a JPEG or both.
            frames_per_second: f64::from(chunks.max(jpeg_frames)) / seconds,
            kilobits_per_second: bytes * 8.0 / 1000.0 / seconds,
            vp8: vp8.as_ref().map(|encoder| encoder.plan().scalability_mode),
            jpeg: self.sending_jpeg.get(),
        }
    }
}
