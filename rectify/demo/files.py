"""Small real evidence files (Pillow): site photos (JPEG/PNG) and a scanned record (PDF), each
different, deterministic from its seed, a few kilobytes each."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

PALETTES = [
    ((118, 140, 96), (160, 168, 150)),  # vegetation, dust
    ((96, 110, 128), (200, 200, 196)),  # sky, concrete
    ((140, 120, 90), (90, 100, 80)),  # soil, grass
    ((80, 90, 110), (170, 150, 120)),  # water, bank
]


def _picture(seed: str, size: tuple[int, int]) -> Image.Image:
    rng = random.Random(seed)
    ground, detail = rng.choice(PALETTES)
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((0, 0, w, h * rng.randint(30, 55) // 100), fill=(180 + rng.randint(0, 40), 200, 220))
    for _ in range(rng.randint(4, 9)):
        x, y = rng.randrange(w), rng.randrange(h // 3, h)
        dx, dy = rng.randint(8, w // 3), rng.randint(6, h // 4)
        tint = tuple(min(255, max(0, c + rng.randint(-30, 30))) for c in detail)
        draw.rectangle((x, y, x + dx, y + dy), fill=tint)
    draw.text((4, h - 12), f"2022-{rng.randint(6, 9):02d}-{rng.randint(1, 28):02d}", fill=(255, 255, 255))
    return image


def photo(seed: str, *, fmt: str = "JPEG") -> bytes:
    """A site photo (整改现场照片)."""
    out = io.BytesIO()
    image = _picture(seed, (160, 120))
    if fmt == "PNG":
        image.save(out, "PNG", optimize=False)
    else:
        image.save(out, "JPEG", quality=70)
    return out.getvalue()


def scanned_record(seed: str) -> bytes:
    """A one-page scanned record (检查记录/验收报告) as PDF."""
    rng = random.Random(seed)
    page = Image.new("RGB", (210, 297), (250, 250, 246))
    draw = ImageDraw.Draw(page)
    draw.rectangle((20, 18, 190, 30), fill=(200, 30, 30))
    for row in range(40, 270, 9):
        draw.line((24, row, 24 + rng.randint(90, 162), row), fill=(60, 60, 60), width=2)
    draw.ellipse((140, 240, 186, 286), outline=(200, 30, 30), width=3)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=72)
    return out.getvalue()
