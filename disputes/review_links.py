"""The links a handling unit hands to the parties: to review a closed order (好差评) and
to confirm a proposed closing (结单确认). Each is the link itself to copy, an ``sms:``
link to text it, and a QR code to show in the room (a party without a phone scans it
on a relative's).
"""

from urllib.parse import quote

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from notifications.models import SmsMessage
from shishi_mediation.validators import MOBILE_RE

from .models import Order, PartyConfirmation
from .selectors import ALL_NUMBERS, capacities
from .services import closing_missing, sign_offs_owed


def review_url(request: HttpRequest, token: str) -> str:
    """The absolute review link. Its origin is the request's: Django answers only to a
    ``Host`` in ``ALLOWED_HOSTS`` (production has no default), so a forged Host never
    reaches here."""
    return request.build_absolute_uri(reverse("review", args=[token]))


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code (no image request, nothing for the CSP to block)."""
    code = segno.make(text, error="m", micro=False)
    return mark_safe(code.svg_inline(scale=4, border=4, svgclass="qr", omitsize=True, light="#fff"))


def sms_href(phone: str, url: str, *, closing: bool = False) -> str:
    """An ``sms:`` link (RFC 5724) with the review link (or a closing's confirmation
    link) in the body; "" unless the number is a mobile one (a landline cannot receive
    the text)."""
    if not MOBILE_RE.match(phone or ""):
        return ""
    with translation.override(settings.LANGUAGE_CODE):  # the party's, not the handler's
        if closing:
            body = _("请您查看并确认纠纷调解结果（人民调解协议书）：%(url)s") % {"url": url}
        else:
            body = _("请您为本次纠纷调解服务评价（好评/差评）：%(url)s") % {"url": url}
    return f"sms:{phone}?body={quote(body, safe='')}"


def review_link_rows(request: HttpRequest, order: Order, *, phone_in_full: bool) -> list[dict]:
    """One row per review of ``order``: the review, its link, QR code, ``sms:`` link
    (only when the viewer sees the party's phone in full) and the texted code's SMS."""
    reviews = list(order.reviews.select_related("party"))
    texts = {}
    if any(r.party and r.party.sms_consent for r in reviews):  # else none was texted
        texts = {
            m.key: m for m in SmsMessage.objects.filter(order=order, key__startswith="review:")
        }
    rows = []
    for review in reviews:
        url = review_url(request, review.token)
        phone = review.party.phone if review.party and phone_in_full else ""
        rows.append(
            {
                "review": review,
                "url": url,
                "qr": qr_svg(url),
                "sms": sms_href(phone, url),
                # The review code texted at closing (consenting parties only), if any.
                "texted": texts.get(f"review:{review.pk}"),
            }
        )
    return rows


def closing_rows(request, order, *, numbers_in_full, actions=frozenset()) -> dict | None:
    """The order page's 结单确认 section: the pending (or last) proposal, each party's
    answer, and for the handling unit and the center the party's link, its ``sms:`` link
    and QR code while it may still answer."""
    if order.state not in ("met", "confirming", "closed") or order.on_the_spot:
        return None  # never proposed: no query
    proposal = (
        order.closings.select_related("proposed_by", "reporter_signed_by", "center_signed_by")
        .order_by("-proposed_at", "-id")
        .first()
    )
    if proposal is None:
        return None
    links = proposal.is_pending and numbers_in_full == ALL_NUMBERS
    rows = []
    for c in proposal.confirmations.select_related("party", "recorded_by", "photo"):
        row = {"c": c}
        if links and not c.answer:
            url = request.build_absolute_uri(reverse("confirm", args=[c.token]))
            row.update(url=url, qr=qr_svg(url), sms=sms_href(c.party.phone, url, closing=True))
        rows.append(row)
    duty = None
    if proposal.is_pending:
        duty = order.duties.filter(kind="closing").order_by("-started_at").first()
    mine = capacities(request.user, order) if "closing_sign" in actions else set()
    to_sign = proposal.is_pending and bool(sign_offs_owed(proposal, mine))
    return {
        "to_sign": to_sign,
        "overdue": bool(duty and duty.is_running and duty.due_at < timezone.now()),
        "proposal": proposal,
        "rows": rows,
        "duty": duty,
        "missing": closing_missing(proposal) if proposal.is_pending else [],
        "answered": PartyConfirmation.Answer,
    }
