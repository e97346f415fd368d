"""Draws the benchmark's test pictures: a classroom-like scene (wall, floor, window,
shelves, toys, children's drawings) with sensor-like noise, saved as JPEGs of about
20, 50 and 80 KB, the sizes a camera page sends. Run once; the JPEGs are checked in.
Needs Pillow: python3 -m pip install Pillow"""
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

TARGETS = {"frame-20k.jpg": (640, 360, 20_000), "frame-50k.jpg": (960, 540, 50_000),
           "frame-80k.jpg": (1280, 720, 80_000)}


def scene(width, height, seed):
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    floor = int(height * 0.62)
    for y in range(height):
        shade = int(40 * y / height)
        colour = (235 - shade, 222 - shade, 196 - shade) if y < floor else (176 - shade, 132 - shade, 92 - shade)
        draw.line([(0, y), (width, y)], fill=colour)
    draw.rectangle([width * 0.62, height * 0.08, width * 0.92, height * 0.45], fill=(170, 210, 240), outline=(250, 250, 250), width=6)
    for shelf in range(3):
        top = height * (0.25 + shelf * 0.12)
        draw.rectangle([width * 0.05, top, width * 0.4, top + 8], fill=(120, 80, 50))
        for _ in range(9):
            x = rng.uniform(width * 0.06, width * 0.37)
            draw.rectangle([x, top - rng.uniform(15, 45), x + rng.uniform(8, 22), top], fill=tuple(rng.randrange(40, 230) for _ in range(3)))
    for _ in range(6):
        x, y = rng.uniform(0.45, 0.6) * width, rng.uniform(0.1, 0.4) * height
        draw.rectangle([x, y, x + width * 0.06, y + height * 0.08], fill=(250, 250, 245))
        for _ in range(5):
            points = [(x + rng.uniform(0, width * 0.06), y + rng.uniform(0, height * 0.08)) for _ in range(3)]
            draw.line(points, fill=tuple(rng.randrange(0, 255) for _ in range(3)), width=2)
    for _ in range(25):
        x, y = rng.uniform(0, width), rng.uniform(floor, height)
        r = rng.uniform(8, 40)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(30, 250) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, noise, 0.08)


def save_near(image, path, target):
    best = None
    for quality in range(20, 96):
        image.save(path, quality=quality)
        size = path.stat().st_size
        if best is None or abs(size - target) < abs(best[1] - target):
            best = (quality, size)
    image.save(path, quality=best[0])
    return best


here = Path(__file__).parent
for seed, (name, (width, height, target)) in enumerate(TARGETS.items()):
    quality, size = save_near(scene(width, height, seed), here / name, target)
    print(f"{name}: {width}x{height}, quality {quality}, {size} bytes")
