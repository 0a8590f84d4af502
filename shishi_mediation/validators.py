"""Mainland phone and resident ID formats, checked when a party is stored; what an
attachment's first bytes must look like for its extension."""

import codecs
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def validate_phone(value: str) -> None:
    if value and not (MOBILE_RE.match(value) or LANDLINE_RE.match(value)):
        raise ValidationError(
            _("请输入11位手机号（如 13812345678）或带区号的固话（如 0595-88881234）。"),
            code="phone",
        )


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    if not value:
        return
    value = value.upper()
    if not ID_RE.match(value):
        raise ValidationError(_("身份证号应为18位，最后一位可为 X。"), code="id_format")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_checksum")


def normalise_phone(value: str) -> str:
    """Drop spaces and a +86 / 0086 prefix; the command system writes numbers loosely."""
    phone = "".join((value or "").split())
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].lstrip("-")
    return phone


def mask_phone(value: str) -> str:
    """138****5678; a landline keeps its area code and last four digits."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_id_number(value: str) -> str:
    """3505**********1234."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


# --- attachment content ------------------------------------------------------------------
# Each allowed extension (settings.ATTACHMENT_EXTENSIONS) and a test of the file's first
# bytes: an extension says what the browser will take the file for, so an HTML page named
# .jpg or a program named .pdf is refused. A signature is no proof of a well-formed file,
# only that it is not another kind of file in disguise.
SNIFF_BYTES = 4096


def _starts(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(prefixes)


def _mp3(head: bytes) -> bool:
    # An ID3 tag, or straight into an MPEG audio frame (11 sync bits set).
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] >= 0xE0)


def _iso_media(head: bytes) -> bool:
    # ISO base media (MPEG-4 audio): a box size, then "ftyp".
    return head[4:8] == b"ftyp"


def _text(head: bytes) -> bool:
    """Plain text: UTF-8 (with or without a BOM) or GB18030 (Windows' Chinese Notepad),
    without NUL or other control characters than tab, line and page breaks."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # Incremental: the sample may end inside a multi-byte character.
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return not any(ord(c) < 32 and c not in "\t\n\r\f" or c == "\x7f" for c in text)
    return False


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc, .xls)
ZIP = b"PK\x03\x04"  # Office Open XML (.docx, .xlsx) is a zip archive
CONTENT_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "jpg": _starts(b"\xff\xd8\xff"),
    "jpeg": _starts(b"\xff\xd8\xff"),
    "png": _starts(b"\x89PNG\r\n\x1a\n"),
    "gif": _starts(b"GIF87a", b"GIF89a"),
    "webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "pdf": _starts(b"%PDF-"),
    "doc": _starts(OLE2),
    "docx": _starts(ZIP),
    "xls": _starts(OLE2),
    "xlsx": _starts(ZIP),
    "txt": _text,
    "mp3": _mp3,
    "m4a": _iso_media,
}


# The media type each allowed extension is served as (a table, not the host's
# /etc/mime.types, which differs between machines and images).
CONTENT_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
}


def content_type_of(name: str) -> str:
    """The media type a stored file named ``name`` is served as."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def content_matches_extension(upload, ext: str) -> bool:
    """Whether the upload's first bytes are those of an ``ext`` file (an extension
    without a signature above never matches). Leaves the file at its start."""
    check = CONTENT_SIGNATURES.get(ext)
    if check is None:
        return False
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return check(head)
