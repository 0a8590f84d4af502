"""The hazard and screening pages (Chinese first, a 390 px phone). Every read starts from
``hazards_visible_to`` / ``screenings_visible_to``; every write calls a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from disputes.downloads import attachment_response
from shishi_mediation.errors import Forbidden, NotFound
from shishi_mediation.ids import id_from_text
from shishi_mediation.web import DomainErrorMixin, error_page, paginate

from . import services
from .forms import (
    HazardCloseForm,
    HazardFilterForm,
    HazardRejectForm,
    HazardReportForm,
    ScreeningForm,
)
from .models import HazardPhoto, PhotoStage
from .selectors import (
    can_report,
    hazard_actions,
    hazard_clock,
    hazards_visible_to,
    open_overdue_q,
    photo_for,
    screenings_visible_to,
)


def _hazard_or_404(user, pk):
    hazard = (
        hazards_visible_to(user)
        .select_related("category", "community", "street", "department", "reporter", "screening")
        .filter(pk=pk if id_from_text(pk) else 0)
        .first()
    )
    if hazard is None:
        raise NotFound(_("隐患不存在或无权查看。"))
    return hazard


@login_required
def hazard_list(request):
    """隐患列表: what the user sees, with filters (state, category, overdue)."""
    form = HazardFilterForm(request.GET or None)
    rows = hazards_visible_to(request.user).select_related("category", "community", "department")
    now = timezone.now()
    if form.is_valid():
        if form.cleaned_data["state"]:
            rows = rows.filter(state=form.cleaned_data["state"])
        if form.cleaned_data["category"]:
            rows = rows.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["overdue"]:
            rows = rows.filter(open_overdue_q(now))
    page = paginate(request, rows.order_by("-reported_at", "-id"))
    for h in page:
        h.clock = hazard_clock(h, now)
    return render(
        request,
        "hazards/list.html",
        {"form": form, "page": page, "may_report": can_report(request.user)},
    )


class HazardReportView(LoginRequiredMixin, DomainErrorMixin, View):
    """上报隐患: category, community, place, description, photos, optional point."""

    error_aliases = {"location": "latitude"}

    def get(self, request):
        if not can_report(request.user):
            return error_page(request, Forbidden(_("您没有上报隐患的权限。")), 403)
        self.form = HazardReportForm(initial={"screening": request.GET.get("screening", "")})
        return self.render(status=200)

    def render(self, status):
        return render(self.request, "hazards/report.html", {"form": self.form}, status=status)

    def form_invalid(self, form):
        return self.render(status=400)

    def post(self, request):
        self.form = HazardReportForm(request.POST, request.FILES)
        data = request.POST
        hazard = services.hazard_report(
            actor=request.user,
            data=services.HazardInput(
                category_id=data.get("category"),
                community_id=data.get("community"),
                address=data.get("address", ""),
                description=data.get("description", ""),
                latitude=data.get("latitude"),
                longitude=data.get("longitude"),
                location_source=data.get("location_source", ""),
                screening_id=data.get("screening") or None,
            ),
            photos=request.FILES.getlist("photos"),
        )
        messages.success(
            request, _("隐患已上报，已交由%(unit)s整改。") % {"unit": hazard.department}
        )
        return redirect("hazards:detail", pk=hazard.pk)


class HazardDetailView(LoginRequiredMixin, DomainErrorMixin, View):
    """The hazard, its countdown, photos before and after, its log, and the forms of
    what the user may do (受理, 整改完成 with photos, 不属隐患)."""

    def get(self, request, pk):
        return self.page(pk)

    def page(self, pk, *, close_form=None, reject_form=None, status=200):
        hazard = _hazard_or_404(self.request.user, pk)
        photos = list(hazard.photos.all())
        now = timezone.now()
        return render(
            self.request,
            "hazards/detail.html",
            {
                "hazard": hazard,
                "clock": hazard_clock(hazard, now),
                "before": [p for p in photos if p.stage == PhotoStage.BEFORE],
                "after": [p for p in photos if p.stage == PhotoStage.AFTER],
                "events": hazard.events.select_related("actor"),
                "actions": hazard_actions(self.request.user, hazard),
                "close_form": close_form or HazardCloseForm(),
                "reject_form": reject_form or HazardRejectForm(),
            },
            status=status,
        )

    def form_invalid(self, form):
        kwargs = (
            {"close_form": form} if isinstance(form, HazardCloseForm) else {"reject_form": form}
        )
        return self.page(self.kwargs["pk"], status=400, **kwargs)

    def conflict_url(self):
        return reverse("hazards:detail", args=[self.kwargs["pk"]])


class HazardActionView(HazardDetailView):
    """POST …/acknowledge/, …/close/ (multipart, photos), …/reject/."""

    action = ""

    def get(self, request, pk):
        return redirect("hazards:detail", pk=pk)

    def post(self, request, pk):
        if self.action == "close":
            self.form = HazardCloseForm(request.POST, request.FILES)
            services.hazard_close(
                hazard_id=pk,
                actor=request.user,
                note=request.POST.get("note", ""),
                photos=request.FILES.getlist("photos"),
            )
            messages.success(request, _("已办结：整改完成。"))
        elif self.action == "reject":
            self.form = HazardRejectForm(request.POST)
            services.hazard_reject(
                hazard_id=pk, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已办结：不属隐患。"))
        else:
            self.form = None
            services.hazard_acknowledge(
                hazard_id=pk, actor=request.user, note=request.POST.get("note", "")
            )
            messages.success(request, _("已受理，请按期整改。"))
        return redirect("hazards:detail", pk=pk)


@login_required
def photo(request, pk, thumbnail: bool = False):
    """A hazard's photo (or its thumbnail), to whoever sees the hazard; else 404."""
    photo_id = id_from_text(str(pk))
    try:
        found = photo_for(request.user, photo_id or 0)
    except HazardPhoto.DoesNotExist:
        return error_page(request, NotFound(), 404)
    return attachment_response(found, thumbnail=thumbnail, inline=True)


@login_required
def screening_list(request):
    """排查台账: the visits the user sees, newest first."""
    rows = (
        screenings_visible_to(request.user)
        .select_related("officer", "unit", "community")
        .prefetch_related("checked", "hazards")
        .order_by("-visited_at", "-id")
    )
    return render(
        request,
        "hazards/screenings.html",
        {"page": paginate(request, rows), "may_report": can_report(request.user)},
    )


class ScreeningCreateView(LoginRequiredMixin, DomainErrorMixin, View):
    """登记排查: where, when, what was checked, a note; then, if something was found,
    report the hazards from it."""

    def get(self, request):
        self.form = ScreeningForm()
        return self.render(200)

    def render(self, status):
        return render(
            self.request, "hazards/screening_form.html", {"form": self.form}, status=status
        )

    def form_invalid(self, form):
        return self.render(400)

    def post(self, request):
        self.form = ScreeningForm(request.POST)
        self.form.is_valid()  # reads visited_at as a browser sends it (local time)
        visited_at = self.form.cleaned_data.get("visited_at")
        if visited_at is None and "visited_at" in self.form.errors:
            return self.render(400)
        visit = services.screening_record(
            actor=request.user,
            data=services.ScreeningInput(
                community_id=request.POST.get("community"),
                place=request.POST.get("place", ""),
                visited_at=visited_at,
                checked_ids=request.POST.getlist("checked"),
                note=request.POST.get("note", ""),
            ),
        )
        if request.POST.get("found") == "yes":
            messages.success(request, _("排查已登记，请上报发现的隐患。"))
            return redirect(f"{reverse('hazards:report')}?screening={visit.pk}")
        messages.success(request, _("排查已登记。"))
        return redirect("hazards:screenings")
