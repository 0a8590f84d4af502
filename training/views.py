"""Training pages: the sessions list (filters month, unit), a session with its attendance,
the recorder's form (new, edit, delete) and 我的培训. One scoping path
(``selectors.sessions_visible_to``): a session outside it is a 404."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_POST

from dispatch.models import Unit
from shishi_mediation.errors import Forbidden, InvalidInput, NotFound
from shishi_mediation.ids import id_from_text
from shishi_mediation.text import SHANGHAI
from shishi_mediation.web import DomainErrorMixin, error_page, paginate

from .forms import SessionForm
from .models import Attendance, TrainingSession
from .selectors import (
    attendances_of,
    can_record,
    may_record_in,
    month_bounds,
    sessions_visible_to,
)
from .services import session_create, session_delete, session_update


def _bad(request, field: str, message: str):
    return error_page(request, InvalidInput({field: message}, message=f"{field}: {message}"), 400)


@login_required
def session_list(request):
    """The sessions the user may see, newest first; ``?month=YYYY-MM`` and ``?unit=<id>``
    (organised by, or attended by people of, that unit). A bad filter is a 400 naming it."""
    sessions = sessions_visible_to(request.user)
    month_text = (request.GET.get("month") or "").strip()
    if month_text:
        bounds = month_bounds(month_text)
        if bounds is None:
            return _bad(request, "month", _("月份格式应为 YYYY-MM，例如 2026-11。"))
        sessions = sessions.filter(date__gte=bounds[0], date__lt=bounds[1])
    unit_text = (request.GET.get("unit") or "").strip()
    unit = None
    if unit_text:
        unit_id = id_from_text(unit_text)
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        if unit is None:
            return _bad(request, "unit", _("单位不存在。"))
        sessions = sessions.filter(
            Q(organizer=unit)
            | Q(pk__in=Attendance.objects.filter(unit=unit).values("session_id"))
            | Q(headcounts__unit=unit)
        ).distinct()
    visible = sessions_visible_to(request.user)
    units = (
        Unit.objects.filter(
            Q(training_sessions__in=visible) | Q(training_attendances__session__in=visible)
        )
        .distinct()
        .order_by("area__path", "name")
    )
    sessions = (
        sessions.select_related("organizer", "area")
        .annotate(
            attended=Count(
                "attendances",
                filter=Q(attendances__status=Attendance.Status.ATTENDED),
                distinct=True,
            ),
        )
        .order_by("-date", "-start_time", "-id")
    )
    page = paginate(request, sessions)
    return render(
        request,
        "training/list.html",
        {
            "page": page,
            "month": month_text,
            "unit": unit,
            "units": units,
            "can_record": can_record(request.user),
        },
    )


def _visible(user, pk: int) -> TrainingSession:
    session = (
        sessions_visible_to(user)
        .select_related("organizer", "area", "created_by")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise NotFound(_("培训不存在或无权查看。"))
    return session


@login_required
def session_detail(request, pk: int):
    try:
        session = _visible(request.user, pk)
    except NotFound as e:
        return error_page(request, e, 404)
    rows = list(session.attendances.select_related("user", "unit"))
    headcounts = list(session.headcounts.select_related("unit"))
    attended = [a for a in rows if a.status == Attendance.Status.ATTENDED]
    people = len(attended) + sum(h.count for h in headcounts)
    return render(
        request,
        "training/detail.html",
        {
            "session": session,
            "attended": attended,
            "absent": [a for a in rows if a.status == Attendance.Status.ABSENT],
            "headcounts": headcounts,
            "people": people,
            "person_hours": session.hours * people,
            "may_edit": may_record_in(request.user, session.area),
        },
    )


class SessionFormView(LoginRequiredMixin, DomainErrorMixin, View):
    """New (``pk`` None) or edit: a recorder of the session's area only."""

    template_name = "training/form.html"
    session: TrainingSession | None = None

    def load(self, pk):
        if not can_record(self.request.user):
            raise Forbidden(_("只有街道调处中心的派单员、负责人和督导员可以登记培训。"))
        if pk is not None:
            self.session = _visible(self.request.user, pk)
            if not may_record_in(self.request.user, self.session.area):
                raise Forbidden(_("您不能修改这次培训的记录。"))

    def initial(self) -> dict:
        if self.session is not None:
            return SessionForm.initial_of(self.session)
        user = self.request.user
        form = SessionForm(user=user)
        organizer = form.fields["organizer"].queryset.filter(memberships__user=user).first()
        area = form.fields["area"].queryset.first()
        return {
            "date": timezone.localdate(timezone.now(), SHANGHAI),
            "organizer": organizer.pk if organizer else None,
            "area": area.pk if area else None,
        }

    def render(self, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "form": self.form,
                "session": self.session,
                "pickers": [
                    (name, self.form[name], self.form.people_groups)
                    for name in ("attendees", "absentees")
                ],
            },
            status=status,
        )

    def form_invalid(self, form):
        return self.render(status=400)

    def apply_errors(self, errors):
        for key, msgs in errors.items():
            name = key
            if key.startswith("attendance"):
                name = "attendees"
            elif key.startswith("headcounts"):
                name = None
            self.form.add_error(name if name in self.form.fields else None, list(msgs))

    def get(self, request, pk=None):
        self.load(pk)
        self.form = SessionForm(user=request.user, initial=self.initial())
        return self.render()

    def post(self, request, pk=None):
        self.load(pk)
        self.form = SessionForm(request.POST, user=request.user)
        if not self.form.is_valid():
            return self.form_invalid(self.form)
        data = self.form.session_input()
        if self.session is None:
            session = session_create(actor=request.user, data=data)
            messages.success(request, _("培训已登记。"))
        else:
            session = session_update(actor=request.user, session_id=self.session.pk, data=data)
            messages.success(request, _("培训记录已更新。"))
        return redirect("training:detail", pk=session.pk)


@require_POST
@login_required
def session_delete_view(request, pk: int):
    try:
        session_delete(actor=request.user, session_id=pk)
    except NotFound as e:
        return error_page(request, e, 404)
    except Forbidden as e:
        return error_page(request, e, 403)
    messages.success(request, _("培训记录已删除。"))
    return redirect(reverse("training:list"))


@login_required
def my_training(request):
    """我的培训: the sessions the user is listed on, and the hours attended per month."""
    rows = attendances_of(request.user)
    months = (
        rows.filter(status=Attendance.Status.ATTENDED)
        .values("session__date__year", "session__date__month")
        .annotate(sessions=Count("pk"), hours=Sum("session__hours"))
        .order_by("-session__date__year", "-session__date__month")
    )
    total = sum((m["hours"] or Decimal(0) for m in months), Decimal("0.00"))
    return render(
        request,
        "training/mine.html",
        {"page": paginate(request, rows), "months": months, "total": total},
    )
