"""Small shared text helpers: how names and times are shown, and how short identity
text (a party's name, a title, an address) is cleaned before it is stored."""

import unicodedata
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# The bureau's time: order numbers, report months and stored event times follow it.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def joined(items) -> str:
    """Short items in one line, with the language's list separator (；/ "; ")."""
    return pgettext("list separator", "；").join(str(item) for item in items)


def display_name(user) -> str:
    """Chinese order: surname then given name (张宏), else the username."""
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}".strip() or user.get_username()


def local_iso(moment: datetime | None, tz: tzinfo | None = None) -> str | None:
    """ISO-8601 in Asia/Shanghai, so stored event data reads the same whoever wrote it.
    (Loops pass ``tz``: looking up the current time zone costs more than converting.)"""
    if not moment:
        return None
    return moment.astimezone(tz or timezone.get_current_timezone()).isoformat()


# Letters that render as nothing (Hangul fillers, the blank Braille pattern): a name made
# of them looks empty, as one made of zero-width spaces does.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format (Cf: bidi overrides and isolates, zero-width spaces and joiners, the BOM, soft
# hyphens), control (Cc), surrogate (Cs) and line/paragraph separator (Zl, Zp) characters.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Zl", "Zp"})


def visible_text(value: str | None) -> str:
    """``value`` without invisible characters and surrounding white space, for one-line
    identity text (a line break becomes a space). A right-to-left override (U+202E) makes
    "gnp.exe" read "exe.png", a name of zero-width spaces shows as nothing; what is left
    empty is then required like an empty field."""
    if not value:
        return ""
    kept = []
    for c in value:
        if unicodedata.category(c) in INVISIBLE_CATEGORIES or c in BLANK_LETTERS:
            if c.isspace():  # a tab or line break: the words stay apart
                kept.append(" ")
        else:
            kept.append(c)
    return "".join(kept).strip()


def duration_text(delta: timedelta) -> str:
    """A length of time to the minute, as a clock or a notice says it: 1天2小时,
    2小时30分, 12分钟."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": mins}
    return _("%(m)d分钟") % {"m": mins}
