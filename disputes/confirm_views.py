"""A party's own page for a proposed closing (结单确认): ``/confirm/<token>/``, no login,
like the review link. It shows the order number, the handling unit, the outcome and
the agreement (with its PDF), and takes the party's answer once: confirm, or refuse
with a reason (the order goes back to mediation). A link of an ended proposal or older
than ``CLOSING_LINK_TTL`` is refused. Always Chinese, CSRF-protected, never cached,
rate-limited with the review page's limits (``review_views.over_limit``).

``/confirm/`` takes the code texted to the party and sends them on to their own page.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from shishi_mediation.errors import Conflict, InvalidInput, NotFound

from . import services
from .closing_views import pdf_response
from .forms import PartyAnswerForm
from .models import PartyConfirmation
from .review_views import ReviewCodeForm, _not_allowed, _page, _too_many, over_limit

INVALID = _("确认链接无效或已失效。")


def _invalid(request, status: int = 404):
    return _page(request, "reviews/error.html", {"message": INVALID}, status=status)


def _live(confirmation: PartyConfirmation) -> bool:
    """Whether the link still takes an answer."""
    proposal = confirmation.proposal
    fresh = timezone.now() <= proposal.proposed_at + settings.CLOSING_LINK_TTL
    return proposal.is_pending and fresh and not confirmation.answer


@never_cache
@csrf_protect
def confirm_page(request, token: str):
    with translation.override("zh-hans"):
        if request.method not in ("GET", "POST"):
            return _not_allowed(request)
        if over_limit(request, token):
            return _too_many(request)
        confirmation = services.confirmation_by_token(token)
        if confirmation is None:
            return _invalid(request)
        status = 200
        form = PartyAnswerForm()
        if request.method == "POST":
            if not _live(confirmation):
                status = 409
            else:
                form = PartyAnswerForm(request.POST)
                if form.is_valid():
                    try:
                        services.closing_respond(
                            token=token,
                            confirm=request.POST.get("answer") == "confirm",
                            reason=form.cleaned_data["reason"],
                        )
                    except InvalidInput as e:
                        for field, errors in e.errors.items():
                            for message in errors:
                                form.add_error(field if field in form.fields else None, message)
                    except NotFound:
                        return _invalid(request)
                    except Conflict:
                        status = 409
                    else:
                        return redirect(request.path)  # post/redirect/get
                if not form.is_valid():
                    status = 400
        confirmation = services.confirmation_by_token(token)
        proposal = confirmation.proposal
        order = proposal.order
        return _page(
            request,
            "closing/confirm.html",
            {
                "confirmation": confirmation,
                "proposal": proposal,
                "order": order,
                "unit_name": order.lead_unit.name if order.lead_unit_id else "",
                "form": form,
                "live": _live(confirmation),
                "already": status == 409,
                "pdf_url": reverse("confirm-pdf", args=[token]) if proposal.has_agreement else "",
            },
            status=status,
        )


@never_cache
def confirm_pdf(request, token: str):
    """The agreement's PDF for the party, for as long as its link may be answered
    (``CLOSING_LINK_TTL``), before or after it answered."""
    if request.method != "GET":
        return _not_allowed(request)
    with translation.override("zh-hans"):
        if over_limit(request, token):
            return _too_many(request)
        confirmation = services.confirmation_by_token(token)
        if confirmation is None or not confirmation.proposal.has_agreement:
            return _invalid(request)
        if timezone.now() > confirmation.proposal.proposed_at + settings.CLOSING_LINK_TTL:
            return _invalid(request)  # the parties' names stay off an old, leaked link
        return pdf_response(confirmation.proposal)


@never_cache
@csrf_protect
def confirm_code_page(request):
    """The constant link of the closing SMS: a code in, the party's own page out."""
    with translation.override("zh-hans"):
        if request.method not in ("GET", "POST"):
            return _not_allowed(request)
        status = 200
        form = ReviewCodeForm()
        form.fields["code"].label = _("确认码")
        if request.method == "POST":
            if over_limit(request, "code"):
                return _too_many(request)
            form = ReviewCodeForm(request.POST)
            form.fields["code"].label = _("确认码")
            status = 400
            if form.is_valid():
                token = (
                    PartyConfirmation.objects.filter(sms_code=form.cleaned_data["code"])
                    .values_list("token", flat=True)
                    .first()
                )
                if token:
                    return redirect(reverse("confirm", args=[token]))
                form.add_error("code", _("确认码无效，请核对短信。"))
                status = 404
        return _page(request, "reviews/code.html", {"form": form, "closing": True}, status=status)
