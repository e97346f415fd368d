// Nido's capture-to-screen benchmark, run inside headless Chromium by
// `nido-bench --latency` (bench/src/capture_to_screen.rs). On the camera page it replaces the
// camera with the fake camera's picture carrying a time stamp: 32 black or white blocks
// across the top (24 bits of milliseconds and an 8-bit check), redrawn every 5 ms. On the
// viewer page it reads the stamp back from every picture Nido draws, right after it is
// drawn, and keeps now minus stamp. Both pages run on this machine, on the same clock.
// `nido-bench --slow-viewer` (bench/src/slow_viewer.rs) uses it too, with the classroom clip
// of codec_quality.js as the camera's picture.
window.nidoLatency = (() => {
  const WIDTH = 640, HEIGHT = 480, COLUMNS = 16, ROWS = 2, BLOCK = WIDTH / COLUMNS;
  const now = () => Math.round(performance.timeOrigin + performance.now());
  const check = (value) => ((value ^ (value >>> 8) ^ (value >>> 16)) & 0xff) ^ 0xa5;

  function bitsOf(time) {
    const value = time & 0xffffff;
    const word = value * 256 + check(value);
    return Array.from({ length: COLUMNS * ROWS }, (_, i) => Math.floor(word / 2 ** (31 - i)) % 2);
  }

  function timeOf(bits) {
    const word = bits.reduce((sum, bit) => sum * 2 + bit, 0);
    const value = Math.floor(word / 256);
    return check(value) === word % 256 ? value : null;
  }

  /**
   * The camera page: getUserMedia answers with the fake camera's picture, stamped; or, given
   * `clip` (`nidoCodec`, from codec_quality.js), with its classroom clip looping at its
   * frame rate, stamped.
   */
  function stampCamera(clip) {
    const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const canvas = document.createElement('canvas');
      canvas.width = WIDTH; canvas.height = HEIGHT;
      const g = canvas.getContext('2d', { willReadFrequently: Boolean(clip) });
      const picture = clip ? clipPictures(clip, g) : await cameraPicture(real, constraints, g);
      setInterval(() => {
        picture();
        bitsOf(now()).forEach((bit, i) => {
          g.fillStyle = bit ? '#fff' : '#000';
          g.fillRect((i % COLUMNS) * BLOCK, Math.floor(i / COLUMNS) * BLOCK, BLOCK, BLOCK);
        });
      }, 5);
      return canvas.captureStream();
    };
  }

  /** Draws the real (fake) camera's current picture into `g`. */
  async function cameraPicture(real, constraints, g) {
    const video = document.createElement('video');
    video.muted = true;
    video.srcObject = await real(constraints);
    await video.play();
    return () => g.drawImage(video, 0, 0, WIDTH, HEIGHT);
  }

  /** Draws the clip's current frame into `g`; every frame is made beforehand. */
  function clipPictures(clip, g) {
    const frames = Array.from({ length: clip.FRAMES }, (_, i) => {
      clip.draw(g, i);
      return g.getImageData(0, 0, WIDTH, HEIGHT);
    });
    const start = performance.now();
    return () => {
      const i = Math.floor(((performance.now() - start) * clip.FPS) / 1000) % clip.FRAMES;
      g.putImageData(frames[i], 0, 0);
    };
  }

  const delays = [];
  let unreadable = 0, last = null, decoderFailures = 0;

  /**
   * The viewer page: every picture drawn on Nido's canvas is read back, and the decoder
   * failures Nido logs are counted.
   */
  function watchViewer() {
    const warn = console.warn;
    console.warn = (...args) => {
      if (String(args[0]).includes('the decoder failed')) decoderFailures++;
      warn.apply(console, args);
    };
    const draw = CanvasRenderingContext2D.prototype.drawImage;
    CanvasRenderingContext2D.prototype.drawImage = function (...args) {
      const result = draw.apply(this, args);
      if (this.canvas.dataset.testid === 'picture') {
        const painted = now();
        const { width, height } = this.canvas;
        const scale = width / WIDTH;
        const strip = this.getImageData(0, 0, width, Math.ceil(ROWS * BLOCK * scale)).data;
        const bits = Array.from({ length: COLUMNS * ROWS }, (_, i) => {
          const x = Math.floor(((i % COLUMNS) + 0.5) * BLOCK * scale);
          const y = Math.floor((Math.floor(i / COLUMNS) + 0.5) * BLOCK * scale);
          const p = (y * width + x) * 4;
          return strip[p] + strip[p + 1] + strip[p + 2] > 3 * 128 ? 1 : 0;
        });
        const stamp = height > 0 ? timeOf(bits) : null;
        if (stamp === null) {
          unreadable++;
        } else if (stamp !== last) {
          last = stamp;
          delays.push((painted - stamp) & 0xffffff);
        }
      }
      return result;
    };
  }

  /** What was measured since the last call, which starts afresh. */
  function take() {
    const taken = { delays_ms: delays.splice(0), unreadable, decoder_failures: decoderFailures };
    unreadable = 0; decoderFailures = 0;
    return taken;
  }

  return { stampCamera, watchViewer, take };
})();
