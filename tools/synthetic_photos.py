"""Seeded synthetic phone photos of one handwritten digit on paper, for tests and the benchmark.

Every photo has a digit -- real pen strokes (``pendigits``) or an MNIST digit -- in one of
several ink colours and pen widths, on tinted, grainy paper, under a lighting gradient and a
vignette, with camera blur, sensor noise and JPEG compression. Each condition adds one
difficulty:

* ``plain`` -- nothing more;
* ``ruled`` / ``squared`` -- faint printed lines under the ink, sometimes a margin line;
* ``shadow`` -- a shadow across part of the page;
* ``desk`` -- the sheet lies turned on a darker desk that fills the edges of the frame;
* ``tilted`` -- the page turned up to 15 degrees and seen in perspective;
* ``dim`` -- low light: dark, noisy and blurred.

``python -m tools.synthetic_photos OUT_DIR [--count N]`` writes a sample as JPEG files.
"""

import argparse
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tools import unipen

__all__ = ["CONDITIONS", "Photo", "make_photo", "mnist_scan_png", "photo_set"]

CONDITIONS = ("plain", "ruled", "squared", "shadow", "desk", "tilted", "dim")
INKS = {  # RGB of the ink at full coverage
    "black": (25, 25, 30),
    "blue": (30, 45, 140),
    "pencil": (95, 95, 100),
    "red": (150, 25, 30),
    "green": (25, 90, 45),
}
PAPERS = {"white": (246, 246, 244), "cream": (243, 236, 214), "sticky": (250, 236, 140)}


@dataclass(frozen=True)
class Photo:
    """A JPEG photo of one digit: its bytes, the digit, the condition, the ink's name and
    where the digit came from ("pen" or "mnist")."""

    jpeg: bytes
    label: int
    condition: str
    ink: str
    source: str


def _digit_coverage(source, size: int, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (size, size) float32 in [0, 1] of a pen digit or an MNIST image."""
    if isinstance(source, np.ndarray):  # (28, 28) uint8 MNIST digit, white on black
        image = Image.fromarray(source).resize((size, size), Image.Resampling.BICUBIC)
        values = np.asarray(image, np.float32) / 255.0
        return np.clip((values - 0.15) / 0.6, 0.0, 1.0)
    scale = 3  # drawn larger, then reduced: anti-aliased strokes
    side = size * scale
    width = rng.uniform(0.05, 0.12) * side * 0.7
    strokes = unipen.fit_to_canvas(source.strokes, side, margin_fraction=0.15)
    canvas = Image.new("L", (side, side), 0)
    pen = ImageDraw.Draw(canvas)
    for stroke in strokes:
        points = [tuple(p) for p in stroke.astype(float)]
        if len(points) > 1:
            pen.line(points, fill=255, width=max(1, round(width)), joint="curve")
        for x, y in points:
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    reduced = canvas.resize((size, size), Image.Resampling.BOX)
    return np.asarray(reduced, np.float32) / 255.0


def _lines(height: int, width: int, rng: np.random.Generator, squared: bool) -> np.ndarray:
    """Printed line coverage (H, W) float32: ruled rows, or a square grid."""
    coverage = np.zeros((height, width), np.float32)
    spacing = rng.uniform(0.035, 0.06 if squared else 0.09) * height
    thickness = max(1, round(rng.uniform(0.0015, 0.004) * height))
    strength = rng.uniform(0.25, 0.55)
    offset = rng.uniform(0, spacing)
    for row in np.arange(offset, height, spacing).astype(int):
        coverage[row : row + thickness] = strength
    if squared:
        for col in np.arange(rng.uniform(0, spacing), width, spacing).astype(int):
            coverage[:, col : col + thickness] = strength
    elif rng.random() < 0.4:  # a margin line
        col = int(rng.uniform(0.08, 0.15) * width)
        coverage[:, col : col + thickness + 1] = max(strength, 0.5)
    return coverage


def _paper(source, height: int, width: int, rng, condition: str, ink: str) -> Image.Image:
    """The sheet with its digit, flat-lit: RGB (H, W)."""
    paper_rgb = np.array(PAPERS[rng.choice(list(PAPERS))], np.float32) * rng.uniform(0.95, 1.0)
    grain = np.asarray(
        Image.fromarray(rng.normal(128, 40, (height, width)).clip(0, 255).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(1.0)
        ),
        np.float32,
    )
    page = paper_rgb * (1.0 + (grain[..., None] - 128.0) / 128.0 * rng.uniform(0.01, 0.04))
    if condition in ("ruled", "squared"):
        lines = _lines(height, width, rng, condition == "squared")[..., None]  # (H, W, 1)
        line_rgb = np.array([120, 150, 210] if rng.random() < 0.7 else [150, 150, 150], np.float32)
        page = page * (1 - lines) + line_rgb * lines
    size = int(rng.uniform(0.3, 0.6) * min(height, width))
    top = int(np.clip(height / 2 - size / 2 + rng.uniform(-0.12, 0.12) * height, 0, height - size))
    left = int(np.clip(width / 2 - size / 2 + rng.uniform(-0.12, 0.12) * width, 0, width - size))
    coverage = np.zeros((height, width), np.float32)
    coverage[top : top + size, left : left + size] = _digit_coverage(source, size, rng)
    alpha = (coverage * rng.uniform(0.8, 1.0))[..., None]  # (H, W, 1)
    page = page * (1 - alpha) + np.array(INKS[ink], np.float32) * alpha
    return Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))


def _on_desk(paper: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The sheet, turned, on a larger desk."""
    width, height = paper.size
    scale = rng.uniform(1.2, 1.7)
    desk_size = (int(width * scale), int(height * scale))
    colour = np.array([[90, 60, 35], [40, 40, 45], [120, 110, 100], [20, 20, 22]][rng.integers(4)])
    texture = rng.normal(0, 10, (desk_size[1], desk_size[0], 1)) * np.ones(3)
    desk = Image.fromarray(np.clip(colour + texture, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(2)
    )
    angle = rng.uniform(-20, 20)
    turned = paper.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    mask = Image.new("L", paper.size, 255).rotate(angle, expand=True)
    x = (
        int(rng.uniform(0.05, 0.95) * (desk_size[0] - turned.size[0]))
        if desk_size[0] > turned.size[0]
        else 0
    )
    y = (
        int(rng.uniform(0.05, 0.95) * (desk_size[1] - turned.size[1]))
        if desk_size[1] > turned.size[1]
        else 0
    )
    desk.paste(turned, (x, y), mask)
    return desk


def _tilted(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The page turned up to 15 degrees and seen in perspective (corners moved up to 8 %)."""
    width, height = photo.size
    fill = tuple(int(v) for v in np.asarray(photo)[0, 0])
    turned = photo.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BICUBIC, fillcolor=fill)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    moved = corners + rng.uniform(-0.08, 0.08, (4, 2)) * [width, height]
    # Solve for the 8 coefficients mapping output corners to input corners.
    rows = []
    for (x, y), (u, v) in zip(corners, moved, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coefficients = np.linalg.solve(np.array(rows), moved.ravel())
    return turned.transform(
        photo.size,
        Image.Transform.PERSPECTIVE,
        tuple(coefficients),
        Image.Resampling.BICUBIC,
        fillcolor=fill,
    )


def _lighting(photo: np.ndarray, rng: np.random.Generator, condition: str) -> np.ndarray:
    """Gradient and vignette, a shadow for ``shadow``, dimming for ``dim``: (H, W, 3)."""
    height, width = photo.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / height - 0.5, xx / width - 0.5  # (H, W) each
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx + np.sin(angle) * yy  # -0.7..0.7
    light = 1.0 - rng.uniform(0.0, 0.35) * (ramp + 0.7) / 1.4
    light *= 1.0 - rng.uniform(0.0, 0.45) * (xx**2 + yy**2) / 0.5
    if condition == "shadow":
        angle = rng.uniform(0, 2 * np.pi)
        side = np.cos(angle) * xx + np.sin(angle) * yy - rng.uniform(-0.2, 0.2)
        softness = rng.uniform(0.01, 0.08)
        light *= 1.0 - rng.uniform(0.35, 0.6) / (1.0 + np.exp(-side / softness))
    if condition == "dim":
        light *= rng.uniform(0.35, 0.6)
    return photo * light[..., None]


def make_photo(source, label: int, condition: str, rng: np.random.Generator) -> Photo:
    """One photo of ``source`` (a ``tools.unipen.PenDigit`` or a (28, 28) uint8 MNIST digit)."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; one of {CONDITIONS}")
    long_side = int(rng.uniform(640, 1100))
    aspect = rng.uniform(0.72, 1.0)
    height, width = (long_side, int(long_side * aspect))
    if rng.random() < 0.5:
        height, width = width, height
    ink = str(rng.choice(list(INKS)))
    photo = _paper(source, height, width, rng, condition, ink)
    if condition == "desk":
        photo = _on_desk(photo, rng).resize((width, height), Image.Resampling.BILINEAR)
    elif condition == "tilted":
        photo = _tilted(photo, rng)
    pixels = _lighting(np.asarray(photo, np.float32), rng, condition)
    noise = rng.uniform(6, 12) if condition == "dim" else rng.uniform(1, 6)
    pixels = pixels + rng.normal(0, noise, pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    blur = rng.uniform(1.0, 2.0) if condition == "dim" else rng.uniform(0.0, 1.2)
    image = image.filter(ImageFilter.GaussianBlur(blur))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(55, 96)))
    source_name = "mnist" if isinstance(source, np.ndarray) else "pen"
    return Photo(buffer.getvalue(), int(label), condition, ink, source_name)


def mnist_scan_png(image: np.ndarray) -> bytes:
    """An MNIST digit ((28, 28) uint8, white on black) as a black-on-white 112x112 PNG, like
    a scan of ink on paper."""
    picture = Image.fromarray(255 - image).resize((112, 112), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def photo_set(
    count: int,
    seed: int,
    pen_digits: Sequence[unipen.PenDigit] = (),
    mnist: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Photo]:
    """``count`` photos, conditions in turn, the digit taken alternately from the pen digits
    and the MNIST images (whichever are given), at random."""
    if not pen_digits and mnist is None:
        raise ValueError("give pen digits, MNIST images, or both")
    rng = np.random.default_rng(seed)
    photos = []
    for index in range(count):
        condition = CONDITIONS[index % len(CONDITIONS)]
        use_pen = bool(pen_digits) and (mnist is None or index % 2 == 0)
        if use_pen:
            digit = pen_digits[rng.integers(len(pen_digits))]
            source, label = digit, digit.label
        else:
            images, labels = mnist
            pick = rng.integers(len(labels))
            source, label = images[pick], labels[pick]
        photos.append(make_photo(source, label, condition, rng))
    return photos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the JPEG files")
    parser.add_argument("--pen-file", type=Path, required=True, help="pendigits-orig.tra")
    parser.add_argument("--count", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    digits = unipen.load_pendigits(args.pen_file)
    for index, photo in enumerate(photo_set(args.count, args.seed, digits)):
        name = f"{index:03d}-{photo.condition}-{photo.ink}-{photo.label}.jpg"
        (args.out / name).write_bytes(photo.jpeg)
    return 0


if __name__ == "__main__":
    main()
