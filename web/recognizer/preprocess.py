"""Turn a drawing or an image into an MNIST-style 28x28 digit.

MNIST digits are white ink on black, scaled so the longest side of the digit's
bounding box is 20 pixels (aspect ratio kept), anti-aliased, and placed in a
28x28 field so that the ink's centre of mass is at pixel (14, 14) (row, column
index coordinates, as measured on the MNIST test set). This module reproduces
that: :func:`mnist_from_ink` does the geometry, :func:`ink_from_rgba` reads the
page's canvas, :func:`read_image_bytes` reads an uploaded image file (a photo, a scan or
a screenshot; ``recognizer.photo`` finds the digit's ink in it).

Everything is NumPy and Pillow, so the module runs unchanged under Pyodide.
"""

import io
import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, UnidentifiedImageError

from . import photo
from .input_spec import IMAGE_SIZE

__all__ = [
    "BOX_SIZE",
    "CENTRE",
    "EDGE_INK_RAMP",
    "FAINT_INK",
    "INK_THRESHOLD",
    "MAX_DECODED_BYTES",
    "MAX_DECODED_PIXELS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "UPLOAD_INK_RAMP",
    "UPLOAD_RESAMPLE",
    "ImageInputError",
    "ImageReading",
    "crisp_ink",
    "drawn_from_image_bytes",
    "ink_box",
    "ink_from_rgba",
    "mnist_from_image_bytes",
    "mnist_from_ink",
    "read_image_bytes",
]

BOX_SIZE = 20  # longest side of the digit's bounding box in the output, pixels
CENTRE = 14.0  # target centre of mass, output pixel index coordinates (row and column)
INK_THRESHOLD = 24  # ink values above this (0..255) define the bounding box
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # largest accepted image file
MAX_IMAGE_PIXELS = 89_000_000  # largest accepted image, width x height (a JPEG photo)
MAX_DECODED_PIXELS = 16_000_000  # most pixels decoded: JPEGs are decoded at 1/2..1/8 scale
MAX_DECODED_BYTES = 72 * 1024 * 1024  # most bytes the decoder may hold (decoded_bytes)
DECODE_BYTES_PER_PIXEL = {"WEBP": 20}  # decoders that hold several full-size buffers
WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")  # more than 8 bits of grey
STRIP_PIXELS = 1_000_000  # full-size pixels converted and reduced at once
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")  # Pillow's names of the accepted formats
ANALYSIS_SIDE = 512  # uploaded images are reduced to at most this side before analysis
RESAMPLE = Image.Resampling.BILINEAR  # final anti-aliasing filter (best on pen data)
UPLOAD_RESAMPLE = Image.Resampling.BOX  # for images: area means keep a scan's edges as they are
UPLOAD_INK_RAMP = (80, 200)  # uploaded ink maps 80..200 onto 0..255 (crisp_ink)...
EDGE_INK_RAMP = (115, 140)  # ...but for the digit read, close to half the ink's darkness
FAINT_INK = 0.6  # ink of less contrast (photo.FoundInk) is checked as a drawing too
FILTER_SUPPORT = 1.0  # the filter's reach, in output pixels


class ImageInputError(ValueError):
    """An uploaded file cannot be turned into a digit; the message is for the user."""


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """Return the ink of a canvas drawn with opaque strokes on a transparent background.

    rgba : ndarray (H, W, 4) uint8 (ImageData, device pixels)
    returns : ndarray (H, W) uint8, the alpha channel (0 = no ink, 255 = full ink)
    Raises ValueError for another shape or dtype.
    """
    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 4) uint8 RGBA, got {pixels.dtype} {pixels.shape}")
    return np.ascontiguousarray(pixels[:, :, 3])  # (H, W)


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels of (H, W) uint8 ink above INK_THRESHOLD,
    right and bottom exclusive. Raises ValueError when there are none."""
    inked = ink > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        raise ValueError("no ink above the threshold")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def mnist_from_ink(ink: np.ndarray, resample: int = RESAMPLE) -> np.ndarray | None:
    """Size-normalise and centre a white-on-black drawing the way MNIST was made.

    ink : ndarray (H, W) uint8, 0 = background, 255 = full ink; any size >= 1x1
    resample : Pillow's filter for the final reduction (UPLOAD_RESAMPLE for images)
    returns : ndarray (28, 28) uint8 with the digit's longest side 20 px, its centre
        of mass at (14, 14) unless that would push part of it off the field, and its
        brightest pixel 255; None when no pixel exceeds INK_THRESHOLD.
    Raises ValueError for an array that is not 2-D uint8.
    """
    ink = np.asarray(ink)
    if ink.ndim != 2 or ink.dtype != np.uint8:
        raise ValueError(f"expected (H, W) uint8 ink, got {ink.dtype} {ink.shape}")
    mask = ink > INK_THRESHOLD  # (H, W)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)  # (h, w)
    height, width = crop.shape
    # Centre of mass in continuous coordinates (pixel i spans [i, i + 1)).
    mass = float(crop.sum(dtype=np.float64))  # Python floats below: scalar NumPy is slower
    com_y = float(crop.sum(axis=1) @ np.arange(height)) / mass + 0.5
    com_x = float(crop.sum(axis=0) @ np.arange(width)) / mass + 0.5

    work, unit = _working_copy(crop)  # (h', w'); one working pixel = `unit` crop pixels
    height, width = height / unit, width / unit
    com_y, com_x = com_y / unit, com_x / unit
    scale = BOX_SIZE / max(height, width)  # output pixels per working pixel, <= 1
    span = IMAGE_SIZE / scale  # the 28x28 field's side, working pixels
    # Where the field starts (working pixels) so that the mass centre lands on CENTRE.
    top = _clamp(com_y - (CENTRE + 0.5) / scale, height, span)
    left = _clamp(com_x - (CENTRE + 0.5) / scale, width, span)

    # Pad with zeros so the field and the filter's reach lie inside the image.
    reach = math.ceil(FILTER_SUPPORT / scale) + 1
    pad_top = math.ceil(-top) + reach
    pad_left = math.ceil(-left) + reach
    pad_bottom = max(0, math.ceil(top + span) - work.shape[0]) + reach
    pad_right = max(0, math.ceil(left + span) - work.shape[1]) + reach
    padded = np.zeros(  # (H', W'); np.pad does the same in many more NumPy calls
        (pad_top + work.shape[0] + pad_bottom, pad_left + work.shape[1] + pad_right), np.float32
    )
    padded[pad_top : pad_top + work.shape[0], pad_left : pad_left + work.shape[1]] = work
    box = (left + pad_left, top + pad_top, left + pad_left + span, top + pad_top + span)
    field = Image.fromarray(padded).resize((IMAGE_SIZE, IMAGE_SIZE), resample, box=box)
    out = np.clip(np.asarray(field, dtype=np.float32), 0.0, None)  # (28, 28)
    peak = float(out.max())
    if peak <= 0.0:
        return None
    return np.rint(out * (255.0 / peak)).astype(np.uint8)  # (28, 28)


def _working_copy(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """Bring a crop to between 1x and 4x the output box size, keeping pixels as squares.

    Small crops are enlarged by repeating pixels, large ones reduced by block means.
    crop : (h, w) float32
    returns : (h', w') float32 and the crop pixels per working pixel
    """
    longest = max(crop.shape)
    if longest < BOX_SIZE:
        k = -(-BOX_SIZE // longest)  # ceil
        return np.repeat(np.repeat(crop, k, axis=0), k, axis=1), 1.0 / k  # (h k, w k)
    f = longest // (2 * BOX_SIZE)
    if f <= 1:
        return crop, 1.0
    h, w = crop.shape
    blocks = np.pad(crop, ((0, -h % f), (0, -w % f)))  # (f hb, f wb)
    blocks = blocks.reshape(blocks.shape[0] // f, f, blocks.shape[1] // f, f)
    return blocks.mean(axis=(1, 3), dtype=np.float32), float(f)  # (hb, wb)


def _clamp(start: float, extent: int, span: float) -> float:
    """Clamp the field's start so the crop [0, extent) stays inside the field
    [start, start + span) (working pixels)."""
    return min(max(start, extent - span), 0.0)


@dataclass(frozen=True)
class ImageReading:
    """What an uploaded image gave.

    digit : (28, 28) uint8 MNIST-style, white digit on black, reduced by area means
        (UPLOAD_RESAMPLE): what the page reads and shows
    faint : the ink is less dark than FAINT_INK of the paper, as marks on blank paper are,
        so that ``drawn_digit`` is worth reading too; a pen's or a printer's ink is darker
    region : (left, top, right, bottom) of the digit as fractions of the upright image's
        width and height (the page marks it on the thumbnail)
    ink : (h, w) uint8, the ink found in ``region`` (0 = none, 255 = full ink), as the page's
        pad gives it: what a number is read from
    """

    digit: np.ndarray
    faint: bool
    region: tuple[float, float, float, float]
    ink: np.ndarray

    @cached_property
    def drawn_digit(self) -> np.ndarray:
        """(28, 28) uint8: ``ink`` reduced as a drawing is (UPLOAD_INK_RAMP, RESAMPLE:
        softer), the way the network learned photos of blank paper as "not a digit"
        (never None: the ink of ``digit``, cut at EDGE_INK_RAMP, lies inside it)."""
        return mnist_from_ink(self.ink)

    @property
    def drawn_check(self) -> np.ndarray | None:
        """``drawn_digit`` when it is worth reading too (faint ink), else None."""
        return self.drawn_digit if self.faint else None


def read_image_bytes(data: bytes) -> ImageReading:
    """Read an image file (IMAGE_FORMATS) and return its digit MNIST-style.

    Handles EXIF orientation, transparency (composited on a contrasting background),
    colour, dark ink on light paper and light on dark, uneven lighting, shadows, ruled
    paper and a desk around the paper (``recognizer.photo``).
    data : the file's bytes
    Raises ImageInputError (a ValueError) with a short message for the user: empty file,
    file too large, not an image, image too large, undecodable, no digit found.
    """
    if len(data) == 0:
        raise ImageInputError("The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageInputError(f"The file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    grey = _decode_grey(bytes(data))  # (H, W) uint8
    found = photo.find_ink(grey)
    if found is None:
        raise ImageInputError("No digit found in the image.")
    ink = crisp_ink(found.ink)  # (H, W) uint8
    digit = mnist_from_ink(crisp_ink(photo.levelled_ink(found), EDGE_INK_RAMP), UPLOAD_RESAMPLE)
    if digit is None:
        raise ImageInputError("No digit found in the image.")
    top, left, bottom, right = found.box
    height, width = grey.shape
    region = (left / width, top / height, right / width, bottom / height)
    faint = found.contrast < FAINT_INK
    return ImageReading(digit, faint, region, ink[top:bottom, left:right])


def crisp_ink(ink: np.ndarray, ramp: tuple[int, int] = UPLOAD_INK_RAMP) -> np.ndarray:
    """Steepen the soft edges of ink found in an image: ``ramp`` (low, high) maps low..high
    onto 0..255. A photo or a scan, resized, has a wider, fainter stroke edge than the
    page's pen, which the network reads less well; EDGE_INK_RAMP puts the edge where a
    blurred stroke's edge lies, near half its darkness. (H, W) uint8 -> (H, W) uint8."""
    low, high = ramp
    ramp = (ink.astype(np.float32) - low) * (255.0 / (high - low))
    return np.clip(np.rint(ramp), 0, 255).astype(np.uint8)


def mnist_from_image_bytes(data: bytes) -> np.ndarray:
    """The digit of :func:`read_image_bytes`: (28, 28) uint8. Raises ImageInputError."""
    return read_image_bytes(data).digit


def drawn_from_image_bytes(data: bytes) -> np.ndarray:
    """The drawn digit of :func:`read_image_bytes`: (28, 28) uint8. Raises ImageInputError."""
    return read_image_bytes(data).drawn_digit


def _decode_grey(data: bytes) -> np.ndarray:
    """Decode the first frame to (H, W) uint8 grey, at most ANALYSIS_SIDE px a side, upright.

    The sizes are checked from the header before any pixel is decoded (decoded_bytes);
    JPEGs are decoded at a reduced scale (draft mode); the decoded image is reduced a strip
    at a time, so no full-size copy is made, and turned upright once small.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageInputError(_too_large_message())
        image.draft("L", (ANALYSIS_SIDE, ANALYSIS_SIDE))  # JPEG: decode at 1/2..1/8 scale
        width, height = image.size
        if width * height > MAX_DECODED_PIXELS or decoded_bytes(image) > MAX_DECODED_BYTES:
            raise ImageInputError(_too_large_message())
        reduced = _reduce(image)  # decodes
        orientation = image.getexif().get(0x0112, 1)  # EXIF orientation tag
        return _grey_array(_upright(reduced, orientation))
    except ImageInputError:  # a size limit, checked above
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageInputError(_too_large_message()) from error
    except UnidentifiedImageError as error:
        raise ImageInputError(
            "The file is not an image this page can read (PNG, JPEG, WebP, GIF or BMP)."
        ) from error
    except (OSError, ValueError, SyntaxError, EOFError, OverflowError, MemoryError) as error:
        raise ImageInputError("The image could not be decoded.") from error


def decoded_bytes(image: Image.Image) -> int:
    """Bytes the runtime needs to decode ``image`` at its (draft) size, from its header."""
    width, height = image.size
    per_pixel = DECODE_BYTES_PER_PIXEL.get(image.format) or (
        1 if image.mode in ("L", "P", "1") else 4
    )
    return width * height * per_pixel


def _reduce(image: Image.Image) -> Image.Image:
    """The decoded image as "L" (or "RGBA" with transparency), at most ANALYSIS_SIDE a side.

    Box-averages a strip of rows at a time: only the decoded image and one strip are ever
    in memory at full size.
    """
    width, height = image.size
    factor = max(1, -(-max(width, height) // ANALYSIS_SIDE))  # ceil
    top = image.getextrema()[1] if image.mode in WIDE_MODES else None  # brightest value
    rows = factor * max(1, STRIP_PIXELS // (width * factor))  # a multiple of the factor
    strips = []
    for y in range(0, height, rows):
        strip = _to_grey_or_rgba(image.crop((0, y, width, min(height, y + rows))), top)
        strips.append(strip.reduce(factor) if factor > 1 else strip)
    mode = "RGBA" if any(strip.mode == "RGBA" for strip in strips) else "L"
    out = Image.new(mode, (strips[0].width, sum(strip.height for strip in strips)))
    y = 0
    for strip in strips:
        out.paste(strip.convert(mode), (0, y))
        y += strip.height
    return out


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Apply an EXIF orientation (1..8) to an already reduced image."""
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image.transpose(method) if method is not None else image


def _too_large_message() -> str:
    webp = MAX_DECODED_BYTES // DECODE_BYTES_PER_PIXEL["WEBP"] / 1e6
    return (
        f"The image is too large: at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels for a "
        f"JPEG photo, {webp:.1f} for WebP, {MAX_DECODED_PIXELS // 1_000_000} for other formats."
    )


def _to_grey_or_rgba(image: Image.Image, top: float | None) -> Image.Image:
    """Convert any mode to "L", or to "RGBA" when the image has transparency.

    top : the brightest value of a WIDE_MODES image (scaled to 255), else unused
    """
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in WIDE_MODES:
        values = np.asarray(image, dtype=np.float32)  # (h, W) wide-range grey, one strip
        scale = 255.0 / max(float(top), 1.0)
        return Image.fromarray(np.rint(np.clip(values, 0.0, None) * scale).astype(np.uint8))
    return image.convert("L")


def _grey_array(image: Image.Image) -> np.ndarray:
    """(H, W) uint8 grey; transparent parts take the shade opposite to the opaque content."""
    if image.mode == "L":
        return np.asarray(image, dtype=np.uint8)  # (H, W)
    grey = np.asarray(image.convert("L"), dtype=np.float32)  # (H, W)
    alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0  # (H, W)
    weight = float(alpha.sum())
    content = float((grey * alpha).sum()) / weight if weight > 0 else 0.0
    background = 0.0 if content >= 128.0 else 255.0
    flat = grey * alpha + background * (1.0 - alpha)  # (H, W)
    return np.rint(flat).astype(np.uint8)
