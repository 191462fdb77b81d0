"""Draw the app icons (a hand-written 7 on a dark tile) into web/icons/.

Run ``python -m tools.make_icons`` after changing the design; the PNGs are committed.
Sizes: 192 and 512 px ("any"), 512 px maskable (content inside the 80 % safe zone).
"""

from PIL import Image, ImageDraw

from tools.paths import REPO_ROOT

ICON_DIR = REPO_ROOT / "web" / "icons"
BACKGROUND = (17, 24, 39)  # slate, the page's dark panel colour
INK = (250, 204, 21)  # amber ink
STROKE = [(0.30, 0.28), (0.70, 0.28), (0.46, 0.76)]  # the 7, in fractions of the content box


def draw_icon(size: int, content_fraction: float, rounded: bool) -> Image.Image:
    """An RGBA icon of ``size`` px whose digit fills ``content_fraction`` of the side."""
    scale = 4  # draw large, then downsample for smooth edges
    side = size * scale
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = side // 5 if rounded else 0
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=radius, fill=BACKGROUND)
    margin = side * (1 - content_fraction) / 2
    box = side * content_fraction
    points = [(margin + x * box, margin + y * box) for x, y in STROKE]
    width = int(box * 0.11)
    draw.line(points, fill=INK, width=width, joint="curve")
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=INK)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    draw_icon(192, 1.0, rounded=True).save(ICON_DIR / "icon-192.png", optimize=True)
    draw_icon(512, 1.0, rounded=True).save(ICON_DIR / "icon-512.png", optimize=True)
    draw_icon(512, 0.8, rounded=False).save(ICON_DIR / "icon-maskable-512.png", optimize=True)
    print(f"icons written to {ICON_DIR}")


if __name__ == "__main__":
    main()
