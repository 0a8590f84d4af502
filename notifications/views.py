from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dispatch.models import Profile
from shishi_mediation.errors import InvalidInput
from shishi_mediation.ids import id_from_text
from shishi_mediation.validators import mask_phone
from shishi_mediation.web import error_page, safe_next

from .forms import NotificationSettingsForm
from .levels import EscalationLevel, escalation_notice_kind, notice_level
from .models import NotificationPreference, PushSubscription
from .selectors import notifications_of
from .services import notifications_mark_read, preferences_update
from .webpush import push_unsubscribe, webpush_enabled

# The inbox's filter (?level=): value → (label, the notices it keeps).
INBOX_FILTERS = {
    **{
        str(level.value): (level.label, Q(kind=escalation_notice_kind(level.value)))
        for level in EscalationLevel
    },
    "other": (_("其他通知"), ~Q(kind__startswith="escalation_")),
}


@login_required
def inbox(request):
    """The user's notices, newest first; ``?level=`` keeps one escalation level's
    notices (0 warning, 1, 2) or the other notices, and each escalation wears its
    level's badge."""
    chosen = request.GET.get("level", "")
    notices = notifications_of(request.user)
    if chosen in INBOX_FILTERS:
        notices = notices.filter(INBOX_FILTERS[chosen][1])
    else:
        chosen = ""
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    for note in page:
        note.level = notice_level(note.kind)
    filters = [("", _("全部"))] + [(value, label) for value, (label, _q) in INBOX_FILTERS.items()]
    return render(
        request, "notifications/inbox.html", {"page": page, "filters": filters, "chosen": chosen}
    )


@require_POST
@login_required
def inbox_mark_read(request):
    """The ``id``s given (all unread ones when none is): one that is not an id is a 400
    that marks nothing, rather than dropping it and marking everything."""
    ids = [id_from_text(i) for i in request.POST.getlist("id")]
    if None in ids:
        message = _("通知编号无效。")
        return error_page(request, InvalidInput({"id": message}, message), 400)
    notifications_mark_read(user=request.user, ids=ids or None)
    return redirect(safe_next(request, reverse("inbox")))


@login_required
def notification_settings(request):
    """ "通知设置": the person's mobile phone (masked once saved), the external channels
    they want, quiet hours, their push devices. Saved by the person only."""
    pref = NotificationPreference.objects.filter(user=request.user).first()
    profile = Profile.objects.filter(user=request.user).first()
    phone = profile.phone if profile else ""
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            new_phone = "" if data["clear_phone"] else (data["phone"] or None)
            preferences_update(
                user=request.user,
                email=data["email"],
                sms=data["sms"],
                webpush=data["webpush"],
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
                phone=new_phone,
            )
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification-settings")
    else:
        initial = {"email": True, "sms": True, "webpush": True}
        if pref is not None:
            initial = {
                "email": pref.email,
                "sms": pref.sms,
                "webpush": pref.webpush,
                "quiet_start": pref.quiet_start,
                "quiet_end": pref.quiet_end,
            }
        form = NotificationSettingsForm(initial=initial)
    devices = PushSubscription.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "channel_fields": [form["email"], form["sms"], form["webpush"]],
            "masked_phone": mask_phone(phone) if phone else "",
            "has_email": bool(request.user.email),
            "devices": devices,
            "push_ready": webpush_enabled(),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
@login_required
def push_device_remove(request, pk: str):
    """Remove one of the person's own devices; another person's id is a 404."""
    device_id = id_from_text(pk)
    if device_id is None or not push_unsubscribe(user=request.user, subscription_id=device_id):
        raise Http404
    messages.success(request, _("已移除该设备，它不再收到推送。"))
    return redirect("notification-settings")
