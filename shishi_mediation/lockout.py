"""The login lockout (django-axes) as a person meets it: after AXES_FAILURE_LIMIT wrong
passwords the login page comes back, saying how long the lock lasts, answered 429 with
``Retry-After`` (``lockout_response``, axes' AXES_LOCKOUT_CALLABLE). The API's token
endpoint answers its own 429 in the API's error shape with the same ``lockout_wait``.
"""

from datetime import timedelta
from math import ceil

from axes.helpers import get_client_username, get_cool_off, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .text import duration_text
from .web import safe_next


def lockout_wait(request, username: str) -> int | None:
    """Seconds until django-axes lets this username and address try again: the lock is
    fixed (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off), so it ends a cool-off after
    the failure that set it."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    last = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return ceil(cool_off.total_seconds())
    return max(1, ceil((last + cool_off - timezone.now()).total_seconds()))


def span_text(seconds: float) -> str:
    """A length of time to the minute, rounded up: 15分钟, 1小时, 1小时30分."""
    minutes = max(1, ceil(seconds / 60))
    if minutes % 60 == 0 and minutes < 24 * 60:
        return _("%(h)d小时") % {"h": minutes // 60}
    return duration_text(timedelta(minutes=minutes))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The login page again (for the admin's login too), its form empty but for the
    username, with the lock's length and when to try again: 429 and ``Retry-After``."""
    username = get_client_username(request, credentials) or ""
    wait = lockout_wait(request, username)
    cool_off = get_cool_off(request)
    if cool_off is None:  # a lock without end (AXES_COOLOFF_TIME unset)
        lines = [str(get_lockout_message())]
    else:
        lines = [
            _("登录失败次数过多，账号已暂时锁定 %(length)s。")
            % {"length": span_text(cool_off.total_seconds())},
            _("请在 %(wait)s后再试；急需登录请联系管理员解锁。") % {"wait": span_text(wait)},
        ]
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": safe_next(request, ""),
        "lockout": lines,
    }
    response = render(
        request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    if wait:
        response["Retry-After"] = str(wait)
    return response
