"""The mediation alliance's pages: its units with their volunteers, a volunteer's
profile, and the joint activities (联合活动). For the street centers and supervisors;
every phone masked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dispatch.models import Role, Unit
from dispatch.selectors import memberships_of
from shishi_mediation.errors import Forbidden, InvalidInput
from shishi_mediation.ids import id_from_text
from shishi_mediation.validators import mask_phone
from shishi_mediation.web import error_page, paginate

from . import services
from .forms import ActivityForm
from .models import Dialect, Skill
from .selectors import (
    activities,
    alliance_units,
    can_record_activity,
    can_view_alliance,
    member_row,
    member_rows,
    volunteers,
)


def _forbidden(request):
    return error_page(request, Forbidden(_("只有调处中心和督导员可以查看调解联盟。")), 403)


@login_required
def units(request):
    if not can_view_alliance(request.user):
        return _forbidden(request)
    dialect = request.GET.get("dialect", "")
    skill = request.GET.get("skill", "")
    rows = list(alliance_units())
    found = (
        member_rows(
            dialect=dialect if dialect in Dialect.values else "",
            skill=skill if skill in Skill.values else "",
        )
        if dialect or skill
        else None
    )
    return render(
        request,
        "alliance/units.html",
        {
            "units": rows,
            "found": found,
            "dialects": Dialect.choices,
            "skills": Skill.choices,
            "dialect": dialect,
            "skill": skill,
        },
    )


@login_required
def unit_detail(request, pk):
    if not can_view_alliance(request.user):
        return _forbidden(request)
    unit = alliance_units().filter(pk=id_from_text(pk) or 0).first()
    if unit is None:
        raise Http404
    return render(
        request,
        "alliance/unit_detail.html",
        {
            "unit": unit,
            "phone": mask_phone(unit.phone) if unit.phone else "",
            "members": member_rows(unit_id=unit.pk),
        },
    )


@login_required
def member_detail(request, pk):
    """A volunteer's profile: the center and supervisors, or the volunteer itself."""
    membership = volunteers().filter(pk=id_from_text(pk) or 0).first()
    if membership is None:
        raise Http404
    if not (can_view_alliance(request.user) or membership.user_id == request.user.pk):
        return _forbidden(request)
    return render(request, "alliance/member_detail.html", {"m": member_row(membership)})


def _organisers(user) -> list[Unit]:
    return [
        m.unit
        for m in memberships_of(user)
        if m.unit.kind == Unit.Kind.STREET_CENTER and m.role in (Role.DISPATCHER, Role.UNIT_HEAD)
    ]


@login_required
def activity_list(request):
    if not can_view_alliance(request.user):
        return _forbidden(request)
    page = paginate(request, activities())
    return render(
        request,
        "alliance/activities.html",
        {"page": page, "may_record": can_record_activity(request.user)},
    )


@login_required
def activity_create(request):
    if not can_record_activity(request.user):
        return error_page(request, Forbidden(_("只有调处中心可以登记联合活动。")), 403)
    organisers = _organisers(request.user)
    form = ActivityForm(request.POST or None, organisers=organisers)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.activity_record(
                actor=request.user,
                day=d["date"],
                kind=d["kind"],
                title=d["title"],
                organiser_id=d["organiser"].pk,
                unit_ids=[u.pk for u in d["units"]],
                member_ids=d["members"],
                people_served=d["people_served"],
                place=d["place"],
                note=d["note"],
            )
        except InvalidInput as e:
            for field, message in e.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("已登记联合活动。"))
            return redirect(reverse("alliance:activities"))
    status = 400 if request.method == "POST" else 200
    return render(request, "alliance/activity_form.html", {"form": form}, status=status)
