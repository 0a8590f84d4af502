"""The care register in other pages: its nav entry (base.html) and the 关爱对象 chip of
a party on the order page, shown only to those who see the subject in full."""

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import ngettext

from ..selectors import sees_register, subjects_of_parties

register = template.Library()


@register.simple_tag
def care_nav(user) -> dict | None:
    """The nav entry, for whoever may see the register (in full or masked)."""
    if not sees_register(user):
        return None
    return {"url": reverse("care:list"), "label": _t("关爱对象")}


@register.simple_tag
def care_subjects(rows, user) -> dict:
    """``{party id: subject}`` for the order page's party rows (``{"party": p}`` each)."""
    return subjects_of_parties((r["party"] for r in rows), user)


@register.simple_tag
def care_chip(found: dict, party_id) -> str:
    subject = found.get(party_id) if found else None
    if subject is None:
        return ""
    return format_html(
        '<a class="flag-chip care-chip" href="{}" title="{}">{}</a>',
        reverse("care:detail", args=[subject.pk]),
        subject.get_kind_display(),
        _t("关爱对象"),
    )


@register.simple_tag
def visit_countdown(clock, now: datetime | None = None) -> str:
    """ "还剩 5 天" / "今天到期" / "逾期 2 天" for a running visit clock; a dash for none."""
    if clock is None:
        return "—"
    now = now or timezone.now()
    days = (timezone.localdate(clock.due_at) - timezone.localdate(now)).days
    if clock.due_at <= now:
        late = max((timezone.localdate(now) - timezone.localdate(clock.due_at)).days, 0)
        if late == 0:
            return _t("已到期")
        return ngettext("逾期 %(n)d 天", "逾期 %(n)d 天", late) % {"n": late}
    if days == 0:
        return _t("今天到期")
    return ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", days) % {"n": days}
