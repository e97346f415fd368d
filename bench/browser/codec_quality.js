// Nido's codec benchmark, run inside headless Chromium by `nido-bench --codec`
// (bench/src/codec_quality.rs). It makes a reproducible classroom-like clip (a room with
// textured walls, shelves and floor, children and a caregiver moving about, sensor noise on
// every frame), encodes it the two ways Nido's camera page does (JPEG through the canvas,
// VP8 through WebCodecs' VideoEncoder in real time), decodes what a viewer would receive,
// and compares every decoded picture with its source by SSIM, on luma and on R, G and B.
window.nidoCodec = (() => {
  const WIDTH = 640, HEIGHT = 480, FPS = 10, FRAMES = 100;

  // A small seeded generator (mulberry32): the same clip on every run and machine.
  function random(seed) {
    return () => {
      seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // The room without anyone in it: painted walls with a window, shelves of toys, a tiled
  // floor and a rug, each with a fine texture.
  function room() {
    const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
    const g = canvas.getContext('2d');
    const wall = g.createLinearGradient(0, 0, 0, 300);
    wall.addColorStop(0, '#e8dcc4'); wall.addColorStop(1, '#d6c7a8');
    g.fillStyle = wall; g.fillRect(0, 0, WIDTH, 300);
    g.fillStyle = '#b9d7ea'; g.fillRect(430, 40, 160, 120);
    g.fillStyle = '#f7f3e8'; g.fillRect(505, 40, 10, 120); g.fillRect(430, 95, 160, 8);
    const pick = random(7);
    for (let shelf = 0; shelf < 3; shelf++) {
      g.fillStyle = '#8a6a48'; g.fillRect(30, 80 + shelf * 70, 300, 10);
      for (let x = 40; x < 320; x += 22 + pick() * 18) {
        const hue = Math.floor(pick() * 360);
        g.fillStyle = `hsl(${hue}, 60%, ${45 + pick() * 20}%)`;
        const h = 20 + pick() * 35;
        g.fillRect(x, 80 + shelf * 70 - h, 14 + pick() * 10, h);
      }
    }
    for (let y = 300; y < HEIGHT; y += 30) {
      for (let x = 0; x < WIDTH; x += 30) {
        g.fillStyle = ((x + y) / 30) % 2 ? '#c9b59a' : '#bda88c';
        g.fillRect(x, y, 30, 30);
      }
    }
    g.fillStyle = '#c0504d'; g.beginPath(); g.ellipse(330, 400, 190, 55, 0, 0, 2 * Math.PI); g.fill();
    g.fillStyle = '#e6b34a'; g.beginPath(); g.ellipse(330, 400, 150, 38, 0, 0, 2 * Math.PI); g.fill();
    // Paint and fabric texture: soft, in 3×3-pixel grains.
    const pixels = g.getImageData(0, 0, WIDTH, HEIGHT);
    const grain = random(11);
    const grains = Array.from({ length: Math.ceil(WIDTH / 3) * Math.ceil(HEIGHT / 3) }, () => (grain() - 0.5) * 8);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const d = grains[Math.floor(y / 3) * Math.ceil(WIDTH / 3) + Math.floor(x / 3)];
        const i = (y * WIDTH + x) * 4;
        pixels.data[i] += d; pixels.data[i + 1] += d; pixels.data[i + 2] += d;
      }
    }
    // Seen through a webcam's lens: softly. The blur fades the picture's edges into
    // transparency, so it is drawn over the sharp picture: every pixel stays opaque, as a
    // camera's are (JPEG and VP8 drop transparency, which would count as loss).
    g.putImageData(pixels, 0, 0);
    const seen = new OffscreenCanvas(WIDTH, HEIGHT).getContext('2d');
    seen.drawImage(canvas, 0, 0);
    seen.filter = 'blur(1.2px)';
    seen.drawImage(canvas, 0, 0);
    return seen.getImageData(0, 0, WIDTH, HEIGHT);
  }

  const people = [
    { color: '#3b7dd8', skin: '#f1c9a5', size: 1.0, phase: 0.0, x: 180, y: 330 },
    { color: '#e05d8b', skin: '#c68e62', size: 0.9, phase: 1.7, x: 330, y: 360 },
    { color: '#5cb85c', skin: '#f5d3b3', size: 0.95, phase: 3.1, x: 470, y: 340 },
    { color: '#f0ad4e', skin: '#8d5b3c', size: 0.85, phase: 4.4, x: 260, y: 420 },
    { color: '#6f5499', skin: '#f1c9a5', size: 1.7, phase: 2.2, x: 540, y: 250 },
  ];

  let background;
  /** Frame `i` of the clip, drawn into `g`. */
  function draw(g, i) {
    background ??= room();
    g.putImageData(background, 0, 0);
    const t = i / FPS;
    g.filter = 'blur(0.8px)';
    for (const p of people) {
      const x = p.x + Math.sin(t * 0.7 + p.phase) * 60 * p.size;
      const y = p.y + Math.sin(t * 1.1 + p.phase * 2) * 18;
      const wave = Math.sin(t * 4 + p.phase) * 0.5;
      g.fillStyle = p.color;
      g.beginPath(); g.ellipse(x, y, 22 * p.size, 38 * p.size, wave * 0.2, 0, 2 * Math.PI); g.fill();
      g.fillStyle = p.skin;
      g.beginPath(); g.arc(x + wave * 4, y - 52 * p.size, 16 * p.size, 0, 2 * Math.PI); g.fill();
      g.strokeStyle = p.skin; g.lineWidth = 7 * p.size;
      g.beginPath(); g.moveTo(x - 18 * p.size, y - 18 * p.size);
      g.lineTo(x - 40 * p.size, y - 10 * p.size - wave * 30); g.stroke();
    }
    g.filter = 'none';
    // Sensor noise, different in every frame, as a webcam's own denoising leaves it.
    const pixels = g.getImageData(0, 0, WIDTH, HEIGHT);
    const noise = random(1000 + i);
    for (let j = 0; j < pixels.data.length; j += 4) {
      const d = (noise() - 0.5) * 2;
      pixels.data[j] += d;
      pixels.data[j + 1] += d;
      pixels.data[j + 2] += d;
    }
    g.putImageData(pixels, 0, 0);
  }

  // The planes a picture is scored on: luma as JPEG defines it (BT.601), and each of red,
  // green and blue, which no codec's own colour matrix favours.
  const PLANES = { luma: [0.299, 0.587, 0.114], red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1] };

  function plane(data, [r, g, b]) {
    const out = new Float32Array(WIDTH * HEIGHT);
    for (let i = 0, p = 0; p < out.length; i += 4, p++) {
      out[p] = r * data[i] + g * data[i + 1] + b * data[i + 2];
    }
    return out;
  }

  let sources;
  /** Every source frame's pixels, made once. */
  function sourcePixels() {
    if (!sources) {
      const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
      const g = canvas.getContext('2d', { willReadFrequently: true });
      sources = [];
      for (let i = 0; i < FRAMES; i++) {
        draw(g, i);
        const data = g.getImageData(0, 0, WIDTH, HEIGHT).data;
        for (let a = 3; a < data.length; a += 4) {
          if (data[a] !== 255) throw new Error(`frame ${i} of the clip is not opaque`);
        }
        sources.push(data);
      }
    }
    return sources;
  }

  /** A decoded picture's SSIM against source frame `i`: on luma, and the mean of R, G, B. */
  function score(i, decoded) {
    const source = sourcePixels()[i];
    const on = (weights) => ssim(plane(source, weights), plane(decoded, weights));
    return {
      luma: on(PLANES.luma),
      rgb: (on(PLANES.red) + on(PLANES.green) + on(PLANES.blue)) / 3,
    };
  }

  /** Mean SSIM over 8×8 windows of luma (Wang et al. 2004, constants for 8-bit). */
  function ssim(a, b) {
    const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
    let sum = 0, windows = 0;
    for (let y0 = 0; y0 + 8 <= HEIGHT; y0 += 8) {
      for (let x0 = 0; x0 + 8 <= WIDTH; x0 += 8) {
        let ma = 0, mb = 0;
        for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) { ma += a[y * WIDTH + x]; mb += b[y * WIDTH + x]; }
        ma /= 64; mb /= 64;
        let va = 0, vb = 0, cov = 0;
        for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) {
          const da = a[y * WIDTH + x] - ma, db = b[y * WIDTH + x] - mb;
          va += da * da; vb += db * db; cov += da * db;
        }
        va /= 63; vb /= 63; cov /= 63;
        sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        windows++;
      }
    }
    return sum / windows;
  }

  function spread(values) {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      p5: sorted[Math.floor(sorted.length * 0.05)],
    };
  }

  function summary(name, bytes, scores, decoded) {
    return {
      name,
      bytes_per_second: Math.round(bytes * FPS / FRAMES),
      frames_decoded: decoded,
      luma_ssim: spread(scores.map((s) => s.luma)),
      rgb_ssim: spread(scores.map((s) => s.rgb)),
    };
  }

  /** The camera page's JPEG: canvas to JPEG at `quality`, decoded as the viewer does. */
  async function jpeg(quality) {
    const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    let bytes = 0; const scores = [];
    for (let i = 0; i < FRAMES; i++) {
      draw(g, i);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      bytes += blob.size + 24;
      const bitmap = await createImageBitmap(blob);
      g.drawImage(bitmap, 0, 0); bitmap.close();
      scores.push(score(i, g.getImageData(0, 0, WIDTH, HEIGHT).data));
    }
    return summary(`JPEG q${quality}`, bytes, scores, FRAMES);
  }

  /**
   * The camera page's VP8 at `bitrate` in `mode` (L1T3…), a keyframe every 3 s; decoded
   * whole, and with only the base layer when `baseOnly` (the data saver).
   */
  async function vp8(bitrate, mode, baseOnly) {
    const chunks = []; let encodeError = null;
    const encoder = new VideoEncoder({
      output: (chunk, metadata) => {
        const data = new Uint8Array(chunk.byteLength); chunk.copyTo(data);
        chunks.push({ type: chunk.type, timestamp: chunk.timestamp, data, layer: metadata?.svc?.temporalLayerId ?? 0 });
      },
      error: (e) => { encodeError = String(e); },
    });
    encoder.configure({
      codec: 'vp8', width: WIDTH, height: HEIGHT, bitrate, framerate: FPS,
      latencyMode: 'realtime', hardwareAcceleration: 'no-preference', scalabilityMode: mode,
    });
    const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    for (let i = 0; i < FRAMES; i++) {
      draw(g, i);
      const frame = new VideoFrame(canvas, { timestamp: Math.round(i * 1e6 / FPS) });
      encoder.encode(frame, { keyFrame: i % (3 * FPS) === 0 });
      frame.close();
    }
    await encoder.flush(); encoder.close();
    if (encodeError) throw new Error(encodeError);

    const sent = chunks.filter((c) => !baseOnly || c.layer === 0);
    const scores = []; let decodeError = null;
    const decoder = new VideoDecoder({
      output: (frame) => {
        const i = Math.round(frame.timestamp * FPS / 1e6);
        g.drawImage(frame, 0, 0); frame.close();
        scores.push(score(i, g.getImageData(0, 0, WIDTH, HEIGHT).data));
      },
      error: (e) => { decodeError = String(e); },
    });
    decoder.configure({ codec: 'vp8', codedWidth: WIDTH, codedHeight: HEIGHT, optimizeForLatency: true });
    for (const c of sent) decoder.decode(new EncodedVideoChunk(c));
    await decoder.flush(); decoder.close();
    if (decodeError) throw new Error(decodeError);
    const bytes = sent.reduce((sum, c) => sum + c.data.length + 32, 0);
    const name = `VP8 ${mode} ${Math.round(bitrate / 1000)} kbit/s${baseOnly ? ', base layer only' : ''}`;
    return summary(name, bytes, scores, scores.length);
  }

  return { jpeg, vp8, draw, WIDTH, HEIGHT, FPS, FRAMES };
})();
