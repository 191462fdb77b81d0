"""Canvas and image preprocessing: MNIST geometry, robustness, image file handling."""

import contextlib
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from recognizer import photo, preprocess
from recognizer.preprocess import (
    ImageInputError,
    ink_from_rgba,
    mnist_from_image_bytes,
    mnist_from_ink,
    read_image_bytes,
)
from tools import synthetic_photos, upload_files
from tools.upload_files import png_header_only
from training.mnist import load_mnist


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass in pixel index coordinates."""
    values = image.astype(np.float64)
    index = np.arange(values.shape[0])
    mass = values.sum()
    return values.sum(axis=1) @ index / mass, values.sum(axis=0) @ index / mass


def ink_box(image: np.ndarray, threshold: int = 64) -> tuple[int, int]:
    """(height, width) of the pixels above threshold."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def draw(width: int, height: int, shapes, brush: float) -> np.ndarray:
    """A transparent RGBA canvas with opaque polylines, as ImageData: (H, W, 4) uint8."""
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    for points in shapes:
        pixels = [(x * width, y * height) for x, y in points]
        pen.line(pixels, fill=(20, 20, 20, 255), width=round(brush), joint="curve")
        for x, y in pixels:
            pen.ellipse((x - brush / 2, y - brush / 2, x + brush / 2, y + brush / 2), fill="black")
    return np.asarray(canvas)


SEVEN = [[(0.3, 0.2), (0.7, 0.2), (0.42, 0.8)]]
ZERO = [[(0.5 + 0.18 * np.cos(t), 0.5 + 0.3 * np.sin(t)) for t in np.linspace(0, 6.3, 40)]]
ONE = [[(0.5, 0.15), (0.5, 0.85)]]
DASH = [[(0.2, 0.5), (0.8, 0.5)]]


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


# --- ink_from_rgba ---------------------------------------------------------------------------


def test_ink_is_the_alpha_channel():
    rgba = draw(120, 80, SEVEN, brush=6)
    ink = ink_from_rgba(rgba)
    assert ink.shape == (80, 120) and ink.dtype == np.uint8
    np.testing.assert_array_equal(ink, rgba[:, :, 3])


@pytest.mark.parametrize(
    "data",
    [
        np.zeros((10, 10, 3), np.uint8),
        np.zeros((10, 10, 4), np.float32),
        np.zeros((10, 40), np.uint8),
    ],
)
def test_ink_rejects_wrong_buffers(data):
    with pytest.raises(ValueError):
        ink_from_rgba(data)


# --- mnist_from_ink geometry -----------------------------------------------------------------


@pytest.mark.parametrize("shapes", [SEVEN, ZERO, ONE, DASH], ids=["seven", "zero", "one", "dash"])
@pytest.mark.parametrize("side", [280, 420, 560])
def test_digit_is_centred_and_sized_like_mnist(shapes, side):
    out = mnist_from_ink(ink_from_rgba(draw(side, side, shapes, brush=0.05 * side)))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out.max() == 255
    row, col = centre_of_mass(out)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert max(ink_box(out)) in (19, 20, 21)


def test_aspect_ratio_is_kept():
    ink = np.zeros((400, 400), np.uint8)
    ink[50:350, 150:250] = 255  # 300 tall, 100 wide: 3:1
    height, width = ink_box(mnist_from_ink(ink), threshold=127)
    assert abs(height - 20) <= 1
    assert abs(width - 20 / 3) <= 1


def test_wide_digit_fills_the_box_horizontally():
    ink = np.zeros((300, 500), np.uint8)
    ink[120:180, 40:460] = 255  # 60 tall, 420 wide
    height, width = ink_box(mnist_from_ink(ink), threshold=127)
    assert abs(width - 20) <= 1
    assert abs(height - 20 * 60 / 420) <= 1


def test_empty_canvas_gives_none():
    assert mnist_from_ink(np.zeros((560, 560), np.uint8)) is None
    faint = np.full((300, 300), preprocess.INK_THRESHOLD, np.uint8)  # at, not above, threshold
    assert mnist_from_ink(faint) is None


@pytest.mark.parametrize("shape", [(1, 1), (3, 500), (500, 3)])
def test_tiny_canvases_work(shape):
    out = mnist_from_ink(np.full(shape, 255, np.uint8))
    assert out.shape == (28, 28) and out.max() == 255


def test_single_dot_becomes_a_centred_blob():
    ink = np.zeros((560, 560), np.uint8)
    ink[100, 430] = 255
    out = mnist_from_ink(ink)
    row, col = centre_of_mass(out)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert all(abs(side - 20) <= 1 for side in ink_box(out, threshold=127))


def test_full_canvas_becomes_a_centred_square():
    out = mnist_from_ink(np.full((560, 560), 255, np.uint8))
    assert all(abs(side - 20) <= 1 for side in ink_box(out, threshold=127))
    assert out[0, 0] == 0 and out[27, 27] == 0
    assert out[9:19, 9:19].min() > 200  # the inside stays solid


def test_digit_position_and_size_on_canvas_do_not_matter():
    big = mnist_from_ink(ink_from_rgba(draw(560, 560, ZERO, brush=28)))
    small_rgba = draw(140, 140, ZERO, brush=7)
    shifted = np.zeros((560, 560, 4), np.uint8)
    shifted[400:540, 10:150] = small_rgba  # same digit, a quarter the size, in a corner
    small = mnist_from_ink(ink_from_rgba(shifted))
    difference = np.abs(big.astype(int) - small.astype(int))
    assert difference.mean() < 6


def test_huge_canvas_is_reduced():
    out = mnist_from_ink(ink_from_rgba(draw(3000, 3000, SEVEN, brush=150)))
    row, col = centre_of_mass(out)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    assert max(ink_box(out)) in (19, 20, 21)


def test_thin_strokes_are_brought_to_full_intensity():
    ink = np.zeros((560, 560), np.uint8)
    ink[40:520, 279:281] = 90  # a faint two-pixel "1"
    out = mnist_from_ink(ink)
    assert out.max() == 255
    assert abs(centre_of_mass(out)[1] - 14) <= 0.5


@pytest.mark.parametrize(
    ("width", "height", "dpr"), [(280, 280, 1), (280, 280, 1.5), (300, 200, 2)]
)
def test_non_square_and_dpr_canvases_agree(width, height, dpr):
    side = min(width, height)
    reference = mnist_from_ink(ink_from_rgba(draw(side, side, ZERO, brush=0.06 * side)))
    w, h = round(width * dpr), round(height * dpr)
    canvas = np.zeros((h, w, 4), np.uint8)
    digit_side = round(side * dpr)
    canvas[:digit_side, w - digit_side :] = draw(
        digit_side, digit_side, ZERO, brush=0.06 * digit_side
    )
    out = mnist_from_ink(ink_from_rgba(canvas))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 6


def test_off_centre_mass_is_clamped_inside_the_field():
    ink = np.zeros((200, 200), np.uint8)
    ink[0:200, 0:20] = 255
    ink[0:10, 20:200] = 255  # heavy left column, thin top bar: mass far from the box centre
    out = mnist_from_ink(ink)
    assert out.shape == (28, 28)
    # Centring the mass at (14, 14) would push the digit off the bottom-right corner: it is
    # clamped there instead, whole (its 20 px box, plus anti-aliasing, inside the field).
    rows, cols = np.flatnonzero((out > 24).any(axis=1)), np.flatnonzero((out > 24).any(axis=0))
    assert rows[-1] == cols[-1] == 27
    assert rows[-1] - rows[0] + 1 >= 20 and cols[-1] - cols[0] + 1 >= 20


def test_rejects_non_uint8_ink():
    with pytest.raises(ValueError):
        mnist_from_ink(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError):
        mnist_from_ink(np.zeros((28, 28, 1), np.uint8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    height=st.integers(1, 120),
    width=st.integers(1, 120),
    seed=st.integers(0, 2**32 - 1),
    density=st.floats(0, 1),
)
def test_random_canvases_never_raise(height, width, seed, density):
    rng = np.random.default_rng(seed)
    ink = np.where(rng.random((height, width)) < density, rng.integers(0, 256, (height, width)), 0)
    out = mnist_from_ink(ink.astype(np.uint8))
    if out is None:
        assert (ink <= preprocess.INK_THRESHOLD).all()
    else:
        assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255


# --- mnist_from_image_bytes ------------------------------------------------------------------


def paper_digit(size=(200, 240)) -> Image.Image:
    """Dark ink on light paper, RGB."""
    image = Image.new("RGB", size, (235, 232, 225))
    pen = ImageDraw.Draw(image)
    w, h = size
    pen.line(
        [(0.3 * w, 0.2 * h), (0.7 * w, 0.2 * h), (0.42 * w, 0.8 * h)], fill=(30, 30, 60), width=12
    )
    return image


def test_png_dark_on_light_is_inverted():
    out = mnist_from_image_bytes(encode(paper_digit(), "PNG"))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[0].max() == 0 and out[:, 0].max() == 0  # background black
    assert out.max() == 255
    row, col = centre_of_mass(out)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_jpeg_matches_png():
    png = mnist_from_image_bytes(encode(paper_digit(), "PNG"))
    jpeg = mnist_from_image_bytes(encode(paper_digit(), "JPEG", quality=70))
    assert np.abs(png.astype(int) - jpeg.astype(int)).mean() < 6


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP"])
def test_other_formats_are_read(fmt):
    reference = mnist_from_image_bytes(encode(paper_digit(), "PNG"))
    out = mnist_from_image_bytes(encode(paper_digit(), fmt))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 8


def test_light_on_dark_is_not_inverted():
    mnist_like = Image.fromarray(255 - np.asarray(paper_digit().convert("L")))
    out = mnist_from_image_bytes(encode(mnist_like, "PNG"))
    reference = mnist_from_image_bytes(encode(paper_digit(), "PNG"))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 4


@pytest.mark.parametrize("ink_colour", [(0, 0, 0, 255), (255, 255, 255, 255)])
def test_rgba_transparent_background_either_ink_colour(ink_colour):
    canvas = Image.fromarray(draw(200, 200, SEVEN, brush=12)[:, :, 3])  # alpha as mask
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (200, 200), ink_colour), mask=canvas)
    out = mnist_from_image_bytes(encode(image, "PNG"))
    reference = mnist_from_ink(np.asarray(canvas))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 6


def test_exif_orientation_is_applied():
    upright = paper_digit()
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 rotates it back
    exif = Image.Exif()
    exif[0x0112] = 6
    out = mnist_from_image_bytes(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    reference = mnist_from_image_bytes(encode(upright, "JPEG", quality=95))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 6


def test_noisy_photo_background_is_removed():
    rng = np.random.default_rng(0)
    grey = np.asarray(paper_digit((400, 400)).convert("L")).astype(int)
    noisy = np.clip(grey + rng.normal(0, 12, grey.shape), 0, 255).astype(np.uint8)
    out = mnist_from_image_bytes(encode(Image.fromarray(noisy), "PNG"))
    reference = mnist_from_image_bytes(encode(paper_digit((400, 400)), "PNG"))
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 6


def test_dark_ink_is_read_as_it_is_and_faint_ink_is_checked_as_drawn_too():
    dark = read_image_bytes(encode(paper_digit(), "PNG"))  # ink (30, 30, 60) on (235, 232, 225)
    assert not dark.faint and dark.drawn_check is None
    pale = Image.new("L", (200, 240), 230)
    ImageDraw.Draw(pale).line([(60, 48), (140, 48), (84, 192)], fill=170, width=12)
    faint = read_image_bytes(encode(pale, "PNG"))  # about a quarter darker than the paper
    assert faint.faint and faint.drawn_check is faint.drawn_digit
    assert np.corrcoef(faint.digit.ravel(), dark.digit.ravel())[0, 1] > 0.9  # the same 7


def test_blank_image_has_no_digit():
    with pytest.raises(ImageInputError, match="No digit"):
        mnist_from_image_bytes(encode(Image.new("L", (64, 64), 200), "PNG"))


def test_empty_file():
    with pytest.raises(ImageInputError, match="empty"):
        mnist_from_image_bytes(b"")


def test_not_an_image():
    with pytest.raises(ImageInputError, match="not an image"):
        mnist_from_image_bytes(b"%PDF-1.4 this is not a picture" * 10)


def test_truncated_image():
    data = encode(paper_digit(), "PNG")
    with pytest.raises(ImageInputError, match="could not be decoded"):
        mnist_from_image_bytes(data[: len(data) // 2])


def test_oversize_file_is_refused_unread():
    with pytest.raises(ImageInputError, match="larger than 20 MB"):
        mnist_from_image_bytes(bytes(preprocess.MAX_IMAGE_BYTES + 1))


@pytest.mark.parametrize("side", [7000, 10_000, 60_000])  # 49 MP, 100 MP (bomb), 3.6 GP (bomb)
def test_too_many_pixels_is_refused_before_decoding(side):
    with pytest.raises(ImageInputError, match="too large"):
        mnist_from_image_bytes(png_header_only(side, side))


def test_decoded_bytes_are_bounded_per_format():
    webp = encode(Image.new("RGB", (2400, 2400), "white"), "WEBP")  # 5.8 MP, 115 MB to decode
    with pytest.raises(ImageInputError, match="too large.*for WebP"):
        mnist_from_image_bytes(webp)
    wide = Image.open(io.BytesIO(png_header_only(4000, 4000, bit_depth=16)))
    assert preprocess.decoded_bytes(wide) == 4000 * 4000 * 4  # decoded as 32-bit "I"


BROKEN = upload_files.broken()  # made once: name -> bytes


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_get_a_message(name):
    data = BROKEN[name]
    if name.startswith("flipped-"):  # damage inside the pixel data may still decode
        with contextlib.suppress(ImageInputError):
            mnist_from_image_bytes(data)
        return
    with pytest.raises(ImageInputError):
        mnist_from_image_bytes(data)


def test_largest_accepted_files_are_read(largest_uploads):
    for name, data in largest_uploads.items():
        reading = preprocess.read_image_bytes(data)
        left, top, right, bottom = reading.region
        assert 0.15 < left < right < 0.85 and 0.15 < top < bottom < 0.85, name  # the "7"


@pytest.mark.parametrize("ramp", [preprocess.UPLOAD_INK_RAMP, preprocess.EDGE_INK_RAMP])
def test_uploaded_ink_edges_are_steepened(ramp):
    ink = np.arange(256, dtype=np.uint8).reshape(16, 16)
    crisp = preprocess.crisp_ink(ink, ramp)
    low, high = ramp
    assert (crisp[ink <= low] == 0).all() and (crisp[ink >= high] == 255).all()
    inside = (ink > low) & (ink < high)
    assert (np.diff(crisp[inside].astype(int)) >= 0).all()  # order kept


def test_a_resized_scan_reads_like_the_sharp_image():
    """An MNIST-style digit saved 4x larger (bilinear, so its edges are soft) comes back with
    strokes as full as the original's, not a thinner, fainter copy."""
    digit = mnist_from_ink(ink_from_rgba(draw(280, 280, SEVEN, brush=16)))
    scan = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BILINEAR)
    again = mnist_from_image_bytes(encode(scan, "PNG"))
    assert (again > 128).sum() >= 0.8 * (digit > 128).sum()  # 49 of 58 here
    assert np.corrcoef(again.ravel(), digit.ravel())[0, 1] > 0.9


def test_mnist_image_round_trip_is_stable():
    digit = mnist_from_ink(ink_from_rgba(draw(280, 280, ZERO, brush=16)))
    again = mnist_from_image_bytes(encode(Image.fromarray(digit), "PNG"))
    row, col = centre_of_mass(again)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    # Within 2 px: the upload path steepens soft edges (crisp_ink), so the faintest go.
    assert np.abs(np.subtract(ink_box(again), ink_box(digit))).max() <= 2
    assert np.corrcoef(again.ravel(), digit.ravel())[0, 1] > 0.9


def test_a_bold_digit_that_fills_its_scan_is_found_whole(mnist_dir):
    """MNIST test digit 2747, a 0 drawn with a very wide pen, scanned at 4x: the bold pass
    finds all of it, its box a pixel short of the first pass's on one side."""
    image = load_mnist(mnist_dir).x_test[2747]  # (28, 28) uint8
    reading = read_image_bytes(synthetic_photos.mnist_scan_png(image))
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    truth = np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]) / 28  # left, top, ...
    left, top, right, bottom = reading.region
    assert left <= truth[0] + 0.05 and top <= truth[1] + 0.05
    assert right >= truth[2] - 0.05 and bottom >= truth[3] - 0.05


def seven_on_paper(middle_ink: int, stray: bool = False) -> Image.Image:
    """A 7 on paper (235) in dark ink (30), the middle of its downstroke in ``middle_ink`` (a
    pen pressed lightly); with a ``stray`` faint line (200) from its foot far out right."""
    paper = Image.new("L", (240, 240), 235)
    pen = ImageDraw.Draw(paper)
    pen.line([(60, 40), (170, 40), (140, 100)], fill=30, width=10)
    pen.line([(140, 100), (126, 130)], fill=middle_ink, width=10)
    pen.line([(126, 130), (90, 210)], fill=30, width=10)
    if stray:
        pen.line([(90, 205), (236, 150)], fill=200, width=5)
    return paper


def test_a_faint_part_of_a_stroke_is_kept_with_the_digit():
    """The lightly pressed middle of a 7's downstroke (a quarter as dark as the rest) is
    connected to its dark ends: it is found with them, and the digit read is not broken."""
    grey = np.asarray(seven_on_paper(175).convert("L"))
    found = photo.find_ink(grey)
    assert (found.ink[100:132].max(axis=1) > 0).all()  # every row of the light stretch
    light = read_image_bytes(encode(seven_on_paper(175), "PNG")).digit
    rows = np.flatnonzero(light.any(axis=1))
    assert (light[rows[0] : rows[-1] + 1].max(axis=1) > 0).all()  # no gap across the 7


def test_faint_ink_that_leaves_the_digit_is_not_taken_for_it():
    """A faint line from the digit far out of its box (a stain, a stray mark) stays out."""
    plain = read_image_bytes(encode(seven_on_paper(30), "PNG"))
    marked = read_image_bytes(encode(seven_on_paper(30, stray=True), "PNG"))
    assert np.abs(np.subtract(marked.region, plain.region)).max() < 0.03
    assert np.corrcoef(marked.digit.ravel(), plain.digit.ravel())[0, 1] > 0.9


def test_levelled_ink_reads_each_pixel_against_the_darkest_ink_near_it():
    ink = np.zeros((100, 100), np.uint8)
    ink[10:14, 10:60] = 255  # a dark stroke
    ink[15:17, 10:60] = 60  # a faint one beside it: within reach of the dark one
    ink[80:84, 10:60] = 120  # a faint one alone
    ink[60, 90] = 40  # a speck alone, fainter than LEVEL_FLOOR
    found = photo.FoundInk(ink, (10, 10, 84, 91), 1.0)
    levelled = photo.levelled_ink(found)
    assert (levelled[10:14, 10:60] == 255).all() and (levelled[15:17, 10:60] == 60).all()
    assert (levelled[80:84, 10:60] == 255).all()
    assert levelled[60, 90] == int(40 * 255 / photo.LEVEL_FLOOR)  # as far as the floor lets it
    assert (levelled[ink == 0] == 0).all()
