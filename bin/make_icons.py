"""Draw the app's icons (static/icons/*.png) with Pillow: the header's navy with "调" in
white. Run once after a change: `.venv/bin/python bin/make_icons.py`; the PNGs are
committed, so the server needs neither Pillow nor the font.

The maskable icon keeps the glyph inside the central 80 % circle Android may crop to.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"  # Debian fonts-noto-cjk
NAVY, WHITE, RED = "#102a43", "#ffffff", "#b3261e"  # app.css --brand, --accent


def icon(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), NAVY)
    draw = ImageDraw.Draw(image)
    if not maskable:  # rounded corners on a transparent ground
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=NAVY)
    glyph = 0.5 if maskable else 0.62
    font = ImageFont.truetype(FONT, int(size * glyph), index=2)  # the SC face
    draw.text((size / 2, size * 0.47), "调", font=font, fill=WHITE, anchor="mm")
    bar = size * (0.32 if maskable else 0.26)
    draw.rounded_rectangle(
        (bar, size * 0.78, size - bar, size * 0.78 + size * 0.045), radius=size // 40, fill=RED
    )
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
