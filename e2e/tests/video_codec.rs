//! Video in VP8 with temporal layers, in headless Chromiums with a fake camera: the camera
//! page finds it can encode VP8 and sends it; a viewer decodes it and its picture moves; a
//! viewer whose browser has no WebCodecs watches JPEG beside it, which the camera then sends
//! as well and says so; a late joiner gets a picture without anyone asking for a keyframe;
//! and a viewer whose decoder fails recovers by itself.

use nido_e2e::*;

const ROOM: &str = "pollitos";

/// The server's count of keyframes asked of cameras, as `/metrics` says it.
fn keyframes_requested(server: &InProcessServer) -> u64 {
    let live_cameras = server.state.hub.live_camera_count();
    server
        .state
        .metrics
        .encode(live_cameras)
        .lines()
        .find_map(|line| line.strip_prefix("nido_video_keyframes_requested_total "))
        .map_or(0, |count| count.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp8_reaches_viewers_beside_jpeg_late_joiners_see_at_once_and_a_broken_decoder_recovers() {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;

    // A viewer that decodes VP8 waits for the camera.
    let ana = driver
        .viewer_page(&server, ROOM, PHONE, Reached::Locally, "ana")
        .await;
    let support = ana
        .js("return typeof VideoDecoder === 'function' && (await VideoDecoder.isConfigSupported({codec: 'vp8'})).supported")
        .await;
    assert_eq!(support, true, "this Chromium decodes VP8");

    let camera = driver.camera_page(&server, ROOM, "").await;
    camera.wait_for_text("sent-codec", "VP8 L1T").await;

    ana.wait_for_moving_picture().await;
    ana.wait_for_text("received", "VP8").await;
    let also_jpeg = camera
        .js("return document.querySelector(\"[data-testid='also-jpeg']\") !== null")
        .await;
    assert_eq!(also_jpeg, false, "nobody needs JPEG yet");

    // A browser without WebCodecs watches JPEG; the camera sends it too, and says so.
    let bea = driver
        .viewer_page(&server, ROOM, PHONE, Reached::WithoutWebCodecs, "bea")
        .await;
    assert_eq!(bea.js("return typeof VideoDecoder").await, "undefined");
    bea.wait_for_moving_picture().await;
    bea.wait_for_text("received", "JPEG").await;
    camera.wait_for_text("also-jpeg", "Also sent as JPEG").await;
    ana.wait_for_text("received", "VP8").await;

    // A late joiner gets a picture from the room's cached keyframe, asking for none.
    let asked_before = keyframes_requested(&server);
    let carla = driver
        .viewer_page(&server, ROOM, LAPTOP, Reached::Locally, "carla")
        .await;
    carla.wait_for_moving_picture().await;
    carla.wait_for_text("received", "VP8").await;
    assert_eq!(keyframes_requested(&server), asked_before);

    // Ana's decoder is fed a broken keyframe: it fails, a fresh decoder takes over at the
    // next keyframe, and the picture moves again.
    ana.js(
        "window.nidoDecoders = 0;
         const Original = VideoDecoder;
         window.VideoDecoder = class extends Original {
           constructor(init) { super(init); window.nidoDecoders++; }
         };
         const decode = Original.prototype.decode;
         Original.prototype.decode = function (chunk) {
           Original.prototype.decode = decode;
           const broken = new EncodedVideoChunk({ type: 'key', timestamp: chunk.timestamp, data: new Uint8Array(64) });
           return decode.call(this, broken);
         };",
    )
    .await;
    eventually("a fresh decoder after the failure", || async {
        let made = ana.js("return window.nidoDecoders").await;
        (made.as_u64() >= Some(1)).then_some(())
    })
    .await;
    ana.wait_for_moving_picture().await;
    eventually("the recovered picture's frame rate to show", || async {
        (!ana.text_of("fps").await.starts_with('0')).then_some(())
    })
    .await;

    // The viewer shows what it receives, in both languages, on a phone and a laptop.
    for lang in ["en", "es"] {
        for page in [&ana, &carla] {
            page.choose_language(lang).await;
        }
        ana.wait_for_text("received", "kbit/s").await;
        ana.screenshot(&format!("viewer-vp8-phone-{lang}")).await;
        carla.screenshot(&format!("viewer-vp8-laptop-{lang}")).await;
        camera.choose_language(lang).await;
        camera
            .screenshot(&format!("camera-vp8-and-jpeg-laptop-{lang}"))
            .await;
    }
    camera
        .wait_for_text("also-jpeg", "También se envía en JPEG")
        .await;
}

/// A camera whose encoder falls behind (a busy phone: Chromium takes pictures in at once and
/// turns them out late, its `encodeQueueSize` at 0) is given one picture at a time, so that
/// no backlog of pictures reaches viewers late; a picture the encoder drops does not stop it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_encoder_is_given_one_picture_at_a_time_and_a_dropped_one_does_not_stop_it() {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;
    // Every chunk comes out 400 ms after its picture went in; the third never does.
    let camera = driver
        .camera_page(
            &server,
            ROOM,
            "window.nidoEncoder = { given: 0, out: 0, most: 0 };
             const Original = VideoEncoder;
             window.VideoEncoder = class extends Original {
               constructor(init) {
                 let outputs = 0;
                 super({ error: init.error, output: (chunk, metadata) => {
                   if (++outputs === 3) { nidoEncoder.out++; return; }
                   setTimeout(() => { nidoEncoder.out++; init.output(chunk, metadata); }, 400);
                 } });
               }
               encode(frame, options) {
                 nidoEncoder.given++;
                 nidoEncoder.most = Math.max(nidoEncoder.most, nidoEncoder.given - nidoEncoder.out);
                 return super.encode(frame, options);
               }
             };",
        )
        .await;
    camera.wait_for_text("sent-codec", "VP8 L1T").await;

    let ana = driver
        .viewer_page(&server, ROOM, PHONE, Reached::Locally, "ana")
        .await;
    ana.wait_for_moving_picture().await;
    ana.wait_for_text("received", "VP8").await;
    let encoder = eventually("a dozen pictures encoded", || async {
        let encoder = camera.js("return window.nidoEncoder").await;
        (encoder["given"].as_u64() >= Some(12)).then_some(encoder)
    })
    .await;
    assert_eq!(
        encoder["most"], 1,
        "never more than one picture in the encoder: {encoder}"
    );
}

/// A camera whose VP8 encoder keeps failing (a browser that offers one that cannot work)
/// sends JPEG only and says so, and a viewer that decodes VP8 is sent that JPEG.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_whose_encoder_keeps_failing_sends_jpeg_to_every_viewer() {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;
    let ana = driver
        .viewer_page(&server, ROOM, PHONE, Reached::Locally, "ana")
        .await;
    // Every encoder fails at its first picture, as the browser reports a broken one: it
    // closes the encoder and calls its error callback.
    let camera = driver
        .camera_page(
            &server,
            ROOM,
            "window.nidoEncodersMade = 0;
             const Original = VideoEncoder;
             window.VideoEncoder = class extends Original {
               constructor(init) { super(init); this.onError = init.error; window.nidoEncodersMade++; }
               encode() {
                 this.close();
                 this.onError(new DOMException('the encoder broke', 'EncodingError'));
               }
             };",
        )
        .await;
    camera.wait_for_text("sent-codec", "JPEG").await;
    ana.wait_for_moving_picture().await;
    ana.wait_for_text("received", "JPEG").await;
    assert_eq!(
        camera.js("return window.nidoEncodersMade").await,
        3,
        "two fresh encoders were tried before JPEG"
    );
}

/// A viewer whose decoder is slower than the stream (a busy phone: the browser takes chunks
/// in at once and turns pictures out as the CPU allows) is given no chunk of the top layer
/// while it is behind, so that its pictures stay current instead of queueing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_decoder_skips_the_top_layer_instead_of_queueing_pictures() {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;
    let ana = driver
        .viewer_page(&server, ROOM, PHONE, Reached::Locally, "ana")
        .await;
    // Pictures come out of the decoder one every 150 ms: fewer than the camera's 10 a second.
    ana.js("window.nidoDecoder = { given: 0, out: 0, most: 0 };
         const Original = VideoDecoder;
         window.VideoDecoder = class extends Original {
           constructor(init) {
             const waiting = [];
             super({ error: init.error, output: (frame) => waiting.push(frame) });
             setInterval(() => {
               const frame = waiting.shift();
               if (frame) { nidoDecoder.out++; init.output(frame); }
             }, 150);
           }
           decode(chunk) {
             nidoDecoder.given++;
             nidoDecoder.most = Math.max(nidoDecoder.most, nidoDecoder.given - nidoDecoder.out);
             return super.decode(chunk);
           }
         };")
        .await;
    let camera = driver.camera_page(&server, ROOM, "").await;
    camera.wait_for_text("sent-codec", "VP8 L1T3").await;
    ana.wait_for_moving_picture().await;
    let decoder = eventually("40 chunks decoded", || async {
        let decoder = ana.js("return window.nidoDecoder").await;
        (decoder["given"].as_u64() >= Some(40)).then_some(decoder)
    })
    .await;
    assert!(
        decoder["most"].as_u64() <= Some(4),
        "a few chunks in the decoder at most, not a growing queue: {decoder}"
    );
    ana.wait_for_moving_picture().await;
}
