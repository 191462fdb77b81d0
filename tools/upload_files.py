"""Upload files at the edges of what the page accepts, and broken or hostile ones.

Used by the tests (CPython and Pyodide read every file alike; the largest accepted files
stay within the memory budget) and by the benchmark (memory per upload).

* :func:`largest_accepted` -- one file per accepted format at the size limits, each with
  a drawn digit, so every one is decoded in full and read.
* :func:`broken` -- truncated, corrupt, mislabelled, oversized and damaged files: the page
  reads them or refuses them with a message, never with another exception.
"""

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["broken", "largest_accepted"]

LARGEST_SIDE = 4000  # 16 megapixels: the most decoded for formats without draft mode
PHOTO_SIZE = (10_900, 8_160)  # 89 megapixels: the largest JPEG photo accepted
WEBP_SIZE = (2_200, 1_700)  # 3.7 megapixels: the largest WebP accepted


def _digit_on_paper(size: tuple[int, int], mode: str = "L") -> Image.Image:
    """A dark "7" drawn on light paper, filling the middle of an image of ``size``."""
    width, height = size
    image = Image.new("L", size, 225)
    draw = ImageDraw.Draw(image)
    side = min(width, height) // 2
    x0, y0 = (width - side) // 2, (height - side) // 2
    stroke = max(3, side // 12)
    draw.line([(x0, y0), (x0 + side, y0), (x0 + side // 3, y0 + side)], fill=30, width=stroke)
    return image.convert(mode)


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def largest_accepted() -> dict[str, bytes]:
    """File name -> bytes: the biggest image of each kind the page accepts and decodes."""
    size = (LARGEST_SIDE, LARGEST_SIDE)
    grey = _digit_on_paper(size)
    wide = np.asarray(grey, dtype=np.uint16) * 257  # (H, W) 16-bit grey
    rgba = Image.new("RGBA", size)  # black ink, opaque where the grey image is dark
    rgba.putalpha(Image.eval(grey, lambda v: 255 - v))
    return {
        "photo-89mp.jpg": _encode(_digit_on_paper(PHOTO_SIZE, "RGB"), "JPEG", quality=80),
        "grey-16mp.png": _encode(grey, "PNG"),
        "grey16bit-16mp.png": _encode(Image.fromarray(wide), "PNG"),
        "rgba-16mp.png": _encode(rgba, "PNG"),
        "palette-16mp.gif": _encode(grey.convert("P"), "GIF"),
        "rgb-3.6mp.webp": _encode(_digit_on_paper(WEBP_SIZE, "RGB"), "WEBP", quality=60),
        "grey-16mp.bmp": _encode(grey, "BMP"),
    }


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int, bit_depth: int = 8, colour: int = 0) -> bytes:
    """A PNG whose header claims width x height pixels; the pixel data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)


def _ico_around(png: bytes, side: int = 256) -> bytes:
    """An ICO file whose directory claims a side x side icon, holding ``png``."""
    entry = struct.pack("<BBBBHHII", side % 256, side % 256, 0, 0, 1, 32, len(png), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


def broken(seed: int = 0) -> dict[str, bytes]:
    """File name -> bytes of broken files; all but the ``flipped-*`` ones are refused."""
    rng = np.random.default_rng(seed)
    small = _digit_on_paper((96, 96))
    png, jpeg = _encode(small, "PNG"), _encode(small.convert("RGB"), "JPEG", quality=85)
    files = {
        "empty.png": b"",
        "text.png": b"%PDF-1.4 this is not a picture\n" * 8,
        "half.png": png[: len(png) // 2],
        "half.jpg": jpeg[: len(jpeg) // 2],
        "header-only.jpg": jpeg[:200],
        "tiff-bad-offset.tif": bytes.fromhex("49492a00ffffffff"),
        "tiff.tif": _encode(small, "TIFF"),
        "ico-wrapping-9459px.ico": _ico_around(png_header_only(9459, 9459)),
        "claims-3.6-gigapixels.png": png_header_only(60_000, 60_000),
        "claims-49mp-16bit.png": png_header_only(7000, 7000, bit_depth=16),
        "claims-zero-width.png": png_header_only(0, 10),
        "gif-header-only.gif": b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0" * 7,
        "bmp-huge-header.bmp": b"BM" + bytes(12) + struct.pack("<IiiHH", 40, 50_000, 50_000, 1, 8),
        "webp-truncated.webp": _encode(small, "WEBP")[:40],
    }
    for index in range(6):  # bytes flipped at random inside valid files
        for name, data in (("png", png), ("jpg", jpeg)):
            damaged = np.frombuffer(data, np.uint8).copy()
            damaged[rng.integers(16, len(damaged), 8)] = rng.integers(0, 256, 8, dtype=np.uint8)
            files[f"flipped-{index}.{name}"] = damaged.tobytes()
    return files
