"""Real image files made in the test, as a phone would send them: a JPEG with the
camera's EXIF (maker, model, serial number, GPS position, orientation), a comment and
XMP; small PNG and WebP files; a PNG whose header claims a huge image (a decompression
bomb)."""

import io
import struct
import zlib

from PIL import ExifTags, Image

MAKE, MODEL, SERIAL = "ShishiCam", "SC-100", "SN-20261207-42"
COMMENT, XMP_SECRET = b"taken at home of Wang", "xmp-owner-Wang"
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (24.0, 43.0, 55.5),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (118.0, 38.0, 12.25),
}
RED, BLUE = (220, 20, 20), (20, 20, 220)


def camera_exif(*, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MAKE
    exif[ExifTags.Base.Model] = MODEL
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif


def marked(size: tuple[int, int]) -> Image.Image:
    """Blue, with a red square in the top-left corner (to see where "up" went)."""
    im = Image.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 4, size[1] // 4))
    return im


def camera_jpeg(*, size=(1200, 800), orientation: int = 6) -> bytes:
    """A landscape JPEG as the sensor saw it, with orientation 6 ("rotate 90° clockwise
    to view"): a phone held upright."""
    out = io.BytesIO()
    marked(size).save(
        out,
        "JPEG",
        exif=camera_exif(orientation=orientation),
        comment=COMMENT,
        xmp=f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{XMP_SECRET}</x:xmpmeta>'.encode(),
        quality=90,
    )
    return out.getvalue()


def image_bytes(fmt: str, *, size=(64, 48), exif: bool = True) -> bytes:
    out = io.BytesIO()
    options = {"exif": camera_exif().tobytes()} if exif else {}
    marked(size).save(out, fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header for an image of ``width`` × ``height`` with almost no
    data: decoded, it would take width × height × 3 bytes of memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im
