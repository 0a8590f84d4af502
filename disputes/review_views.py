"""The public review page (好差评): ``/review/<token>/``, no login.

Each party of a closed order gets its own unguessable link (``Review.token``, made by
the joint closing). The page shows only the order number and the handling unit, and takes
good/bad and a comment once through ``services.review_submit``. It is always Chinese,
CSRF-protected (an anonymous visitor gets the cookie with the form), never cached, and
rate-limited per client address: ``REVIEW_RATE_PER_TOKEN`` requests per token and
``REVIEW_RATE_PER_IP`` over all tokens in each ``REVIEW_RATE_WINDOW_SECONDS`` window,
counted in the default cache (shared by all workers when ``CACHE_URL`` points at Redis).
Over the limit the page answers 429.

``/review/`` itself takes the short code a party was texted (an SMS may carry no link
but a constant one, see ``notifications.sms``) and sends them on to their own page. It
is a POST, so the code stays out of access logs, and counts against the same limits.
"""

import hashlib

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from shishi_mediation.clientip import client_ip
from shishi_mediation.errors import Conflict, InvalidInput, NotFound

from . import services
from .models import Review

TOKEN_MAX_LENGTH = 64


class ReviewForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("您对本次调解服务的评价"),
        choices=Review.Rating.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择好评或差评。"),
            "invalid_choice": _("请选择好评或差评。"),
        },
    )
    comment = forms.CharField(
        label=_("意见和建议（可不填）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
    )


class ReviewCodeForm(forms.Form):
    code = forms.CharField(
        label=_("评价码"),
        max_length=32,
        error_messages={"required": _("请输入评价码。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


def over_limit(request, token: str) -> bool:
    """Count this request; True once the address exceeds either limit in the window."""
    window = settings.REVIEW_RATE_WINDOW_SECONDS
    ip = client_ip(request)
    token_key = hashlib.sha256(f"{ip}|{token}".encode()).hexdigest()[:32]
    ip_key = hashlib.sha256(ip.encode()).hexdigest()[:32]
    limits = [
        (f"review-rate:t:{token_key}", settings.REVIEW_RATE_PER_TOKEN),
        (f"review-rate:ip:{ip_key}", settings.REVIEW_RATE_PER_IP),
    ]
    exceeded = False
    for key, limit in limits:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window starts
            cache.set(key, 1, timeout=window)
            count = 1
        exceeded = exceeded or count > limit
    return exceeded


def _page(request, template: str, context: dict | None = None, *, status: int = 200):
    response = render(request, template, context or {}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is in the path: send only the origin as Referer, here and from the form.
    response["Referrer-Policy"] = "strict-origin"
    return response


def _not_allowed(request):
    """405 for a method other than GET and POST, on the public page's own layout."""
    response = _page(request, "reviews/error.html", {"message": _("不支持的请求。")}, status=405)
    response["Allow"] = "GET, POST"
    return response


def _too_many(request):
    """429 with the window to wait (``over_limit``)."""
    response = _page(
        request, "reviews/error.html", {"message": _("访问过于频繁，请稍后再试。")}, status=429
    )
    response["Retry-After"] = str(settings.REVIEW_RATE_WINDOW_SECONDS)
    return response


@never_cache
@csrf_protect
def review_page(request, token: str):
    with translation.override("zh-hans"):
        if request.method not in ("GET", "POST"):
            return _not_allowed(request)
        if over_limit(request, token):
            return _too_many(request)
        review = None
        if len(token) <= TOKEN_MAX_LENGTH:
            review = Review.objects.select_related("order__lead_unit").filter(token=token).first()
        if review is None:
            return _page(
                request, "reviews/error.html", {"message": _("评价链接无效或已失效。")}, status=404
            )

        status = 200
        form = ReviewForm()
        if request.method == "POST" and review.submitted_at is None:
            form = ReviewForm(request.POST)
            if form.is_valid():
                try:
                    services.review_submit(
                        token=token,
                        rating=form.cleaned_data["rating"],
                        comment=form.cleaned_data["comment"],
                    )
                except InvalidInput as e:
                    for field, messages in e.errors.items():
                        for message in messages:
                            form.add_error(field if field in form.fields else None, message)
                except NotFound:
                    return _page(
                        request,
                        "reviews/error.html",
                        {"message": _("评价链接无效或已失效。")},
                        status=404,
                    )
                except Conflict:
                    review.refresh_from_db()
                    status = 409
                else:
                    return redirect(request.path)  # post/redirect/get: no resubmit on reload
            if not form.is_valid():
                status = 400
        elif request.method == "POST":
            status = 409  # already reviewed: show the thanks, say it was not taken again

        order = review.order
        return _page(
            request,
            "reviews/review.html",
            {
                "order_number": order.number,
                "unit_name": order.lead_unit.name if order.lead_unit_id else "",
                "review": review,
                "form": form,
                "already": status == 409,
            },
            status=status,
        )


@never_cache
@csrf_protect
def review_code_page(request):
    """The constant link of the review SMS: a code in, the party's own review page out."""
    with translation.override("zh-hans"):
        if request.method not in ("GET", "POST"):
            return _not_allowed(request)
        status = 200
        form = ReviewCodeForm()
        if request.method == "POST":
            if over_limit(request, "code"):
                return _too_many(request)
            form = ReviewCodeForm(request.POST)
            status = 400
            if form.is_valid():
                token = (
                    Review.objects.filter(sms_code=form.cleaned_data["code"])
                    .values_list("token", flat=True)
                    .first()
                )
                if token:
                    return redirect(reverse("review", args=[token]))
                form.add_error("code", _("评价码无效，请核对短信。"))
                status = 404
        return _page(request, "reviews/code.html", {"form": form}, status=status)
