"""Photos as an order keeps them: upright, no larger than ``ATTACHMENT_IMAGE_MAX_EDGE``,
without EXIF (the GPS position only when the uploader chose to share it) and with a
thumbnail for the order page.

Pillow decodes untrusted files here. A photo's pixel count is checked from its header
before a pixel is decoded (a small file may claim a huge image: a decompression bomb),
and a file Pillow cannot read is the uploader's error (400), never a 500.
"""

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import ExifTags, Image, ImageOps

log = logging.getLogger(__name__)

# Extensions re-encoded on upload, with Pillow's name of their format. A GIF is kept as
# uploaded: it may be animated and has no EXIF.
PHOTO_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
QUALITY = 85  # JPEG and WebP, the photo as kept
THUMBNAIL_QUALITY = 80


@dataclass(frozen=True)
class Photo:
    """An uploaded photo as it is stored: the image (named as uploaded) and a JPEG
    thumbnail."""

    image: ContentFile
    thumbnail: ContentFile


def is_photo(name: str) -> bool:
    """Whether a file of this name is re-encoded on upload (``photo_prepare``)."""
    ext = Path(name).suffix.lower().lstrip(".")
    return ext in PHOTO_FORMATS and ext in settings.ATTACHMENT_EXTENSIONS


def photo_prepare(upload, *, keep_location: bool = False) -> Photo:
    """The upload (already checked by ``validate_attachment``) turned upright from its
    EXIF orientation, shrunk to ``ATTACHMENT_IMAGE_MAX_EDGE`` and re-encoded in its own
    format without metadata, but its GPS position when ``keep_location``; a JPEG
    thumbnail of ``ATTACHMENT_THUMBNAIL_EDGE``. Raises ``ValidationError`` for a photo
    of too many pixels or one that cannot be read."""
    fmt = PHOTO_FORMATS[Path(upload.name).suffix.lower().lstrip(".")]
    try:
        image, thumbnail = _reencode(upload, fmt=fmt, keep_location=keep_location)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception as e:  # Pillow raises many kinds (OSError, SyntaxError, ValueError...)
        log.warning("an uploaded image could not be read: %r", e)
        raise ValidationError(
            _("无法读取此图片，文件可能已损坏或并非图片。"), code="image_unreadable"
        ) from None
    finally:
        upload.seek(0)
    stem = Path(upload.name).stem
    return Photo(
        image=ContentFile(image, name=Path(upload.name).name),
        thumbnail=ContentFile(thumbnail, name=f"{stem}.jpg"),
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("图片像素过多（上限 %(limit)s 万像素），不予接收。"),
        params={"limit": settings.ATTACHMENT_IMAGE_MAX_PIXELS // 10_000},
        code="image_pixels",
    )


def _reencode(upload, *, fmt: str, keep_location: bool) -> tuple[bytes, bytes]:
    edge = settings.ATTACHMENT_IMAGE_MAX_EDGE
    upload.seek(0)
    with Image.open(upload, formats=[fmt]) as im:
        width, height = im.size  # from the header: nothing decoded yet
        if width * height > settings.ATTACHMENT_IMAGE_MAX_PIXELS:
            raise _too_many_pixels()
        if fmt == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 of the size when that still covers the edge.
            im.draft(im.mode, (edge, edge))
        exif = im.getexif()
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if keep_location else {}
        icc_profile = im.info.get("icc_profile")
        ImageOps.exif_transpose(im, in_place=True)  # decodes; drops the orientation tag
        if im.mode.startswith("I"):  # 16-bit grey (a scan): to 8 bits, scaled, not clipped
            im = im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
        elif im.mode == "F":
            im = im.convert("L")
        elif max(im.size) > edge and im.mode in ("1", "P"):
            im = im.convert("RGBA" if im.has_transparency_data else "RGB")  # smooth resize
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        # Nothing of the original's metadata is carried over (EXIF, XMP, comments, text
        # chunks): only the colour profile, a palette's transparent colour, and the GPS
        # position if asked.
        im.info = {k: v for k, v in im.info.items() if k == "transparency"}
        kept = Image.Exif()
        if gps:
            kept[ExifTags.IFD.GPSInfo] = gps
        image = _encode(im, fmt, exif=kept, icc_profile=icc_profile)
        thumbnail = _thumbnail(im)
    return image, thumbnail


def _encode(im: Image.Image, fmt: str, *, exif: Image.Exif, icc_profile) -> bytes:
    options: dict = {}
    if len(exif):
        options["exif"] = exif.tobytes()
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "JPEG":
        if im.mode not in ("L", "RGB", "CMYK"):
            im = im.convert("RGB")
        options["quality"] = QUALITY
    elif fmt == "WEBP":
        options["quality"] = QUALITY
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def _thumbnail(im: Image.Image) -> bytes:
    """A JPEG of the upright photo, transparency on white."""
    edge = settings.ATTACHMENT_THUMBNAIL_EDGE
    small = im.convert("RGBA") if im.mode in ("1", "P", "LA", "PA", "RGBA") else im.copy()
    small.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    if small.mode == "RGBA":
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        small = flat
    elif small.mode not in ("L", "RGB"):
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()
