"""The repeat radar's keyed hashes (issue 17): how phones, ID numbers and addresses are
normalised and keyed, and which model fields carry the keys. Pure functions of the values
and ``settings.RADAR_KEY``; the models call ``radar_keys`` when saved, the migration and
``manage.py radar_rekey`` call ``rebuild_keys``. The lookup is ``disputes.radar``."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings

from shishi_mediation.validators import normalise_phone

# --- normalising -------------------------------------------------------------------------


def normalise_phone_key(value: str) -> str:
    """The phone as the radar compares it: ``normalise_phone`` (spaces, a +86 /
    0086 prefix) and no dashes, so 0595-88881234 and 059588881234 are one number."""
    return normalise_phone(value).replace("-", "")


def normalise_id_number(value: str) -> str:
    """Upper-case X, no spaces."""
    return "".join((value or "").split()).upper()


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = re.compile(f"[{''.join(_CN_DIGITS)}{''.join(_CN_UNITS)}]+")


def _cn_number(run: str) -> str:
    """十二 → 12, 二十 → 20, 一百零五 → 105; without 十/百/千 digit by digit: 四〇一 → 401."""
    if not any(ch in _CN_UNITS for ch in run):
        return "".join(str(_CN_DIGITS[ch]) for ch in run)
    total = current = 0
    for ch in run:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        else:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
    return str(total + current)


# Spellings of one thing, longest first; applied after full-width → half-width.
_ADDRESS_WORDS = [
    ("号楼", "栋"),
    ("栋楼", "栋"),
    ("幢", "栋"),
    ("座", "栋"),
    ("单元", "单元"),
    ("号房", "室"),
    ("房间", "室"),
    ("户", "室"),
]
_SHORTHAND = re.compile(r"(\d+)-(\d+)-(\d+)$")  # 3-2-401 = 3栋2单元401室
_TRAILING_ROOM = re.compile(r"(栋|单元)(\d+)(室|号)?$")


def normalise_address(value: str) -> str:
    """One spelling for an address: full-width → half-width (NFKC), Chinese numerals →
    Arabic, 号楼/幢/座 → 栋, 号房/房间/户 → 室, 3-2-401 → 3栋2单元401, # → 号, a room's
    trailing 室/号 dropped, and only letters and digits kept (no spaces or punctuation),
    Latin letters upper-cased. Administrative prefixes (省/市/街道) are kept as written."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    text = _CN_RUN.sub(lambda m: _cn_number(m.group()), text)
    text = "".join(ch for ch in text if not ch.isspace())
    text = _SHORTHAND.sub(r"\1栋\2单元\3", text)
    text = text.replace("#", "号")
    for old, new in _ADDRESS_WORDS:
        text = text.replace(old, new)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    text = _TRAILING_ROOM.sub(r"\1\2", text)
    return text.removesuffix("室")


def normalise_name(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split())


# --- keys --------------------------------------------------------------------------------

KEY_LENGTH = 32  # hex characters: the first 128 bits of the HMAC


def radar_key(kind: str, normalised: str, *, secret: str | None = None) -> str:
    """The keyed hash of one normalised value ("" for none); ``kind`` separates phones,
    ID numbers and addresses."""
    if not normalised:
        return ""
    secret = secret if secret is not None else settings.RADAR_KEY
    message = f"{kind}:{normalised}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:KEY_LENGTH]


def phone_key(value: str, *, secret: str | None = None) -> str:
    return radar_key("phone", normalise_phone_key(value), secret=secret)


def id_number_key(value: str, *, secret: str | None = None) -> str:
    return radar_key("id", normalise_id_number(value), secret=secret)


def address_key(value: str, *, secret: str | None = None) -> str:
    """The key of an address with a number in it; none for one without (a community,
    village or estate name alone is too vague to say the dispute came back)."""
    normalised = normalise_address(value)
    if not any(ch.isdigit() for ch in normalised):
        return ""
    return radar_key("address", normalised, secret=secret)


# Which model fields feed which key: (source field, key field, key function).
KEYED_FIELDS = {
    "disputes.party": [("phone", "phone_key", phone_key), ("id_number", "id_key", id_number_key)],
    "disputes.order": [("address", "address_key", address_key)],
    "disputes.incident": [
        ("caller_phone", "caller_phone_key", phone_key),
        ("address", "address_key", address_key),
    ],
}


def radar_keys(instance, update_fields=None):
    """Set the instance's keys from its fields (``Model.save`` calls it); returns
    ``update_fields`` with the key fields added where their source is being saved."""
    wanted = set(update_fields) if update_fields is not None else None
    for source, target, fn in KEYED_FIELDS[instance._meta.label_lower]:
        if wanted is None or source in wanted:
            setattr(instance, target, fn(getattr(instance, source)))
            if wanted is not None:
                wanted.add(target)
    return wanted if update_fields is not None else None


# --- rebuilding the keys -----------------------------------------------------------------


def rebuild_keys(models_by_label: dict, *, batch: int = 2000, log=None) -> dict[str, int]:
    """Recompute every stored key under the current ``RADAR_KEY`` (the backfill
    migration, ``manage.py radar_rekey`` after a key change). ``models_by_label`` maps
    "disputes.party" etc. to the model class (a migration's historical ones). Rows whose
    keys are already right are not written, so running it again is cheap and harmless.
    Returns how many rows of each were changed."""
    changed: dict[str, int] = {}
    for label, fields in KEYED_FIELDS.items():
        model = models_by_label[label]
        columns = ["pk"] + [f for pair in fields for f in pair[:2]]
        pending, count = [], 0
        rows = model.objects.order_by("pk").values_list(*columns).iterator(chunk_size=batch)
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            new = {target: fn(values[source]) for source, target, fn in fields}
            if any(values[t] != v for t, v in new.items()):
                pending.append(model(pk=values["pk"], **new))
            if len(pending) >= batch:
                model.objects.bulk_update(pending, list(new), batch_size=batch)
                count += len(pending)
                pending = []
        if pending:
            model.objects.bulk_update(pending, [t for _s, t, _f in fields], batch_size=batch)
            count += len(pending)
        changed[label] = count
        if log:
            log(f"{label}: {count} rows re-keyed")
    return changed
