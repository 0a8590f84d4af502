"""The rectification clock (``hazard_fix``): due the category's days after reporting,
owed by the responsible department. Told at the warning (80%) its handlers and heads, at
the due time its heads and the street center, as long again past due the supervisors of
the jurisdiction (docs/REPORTS.md, 隐患排查)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from deadlines.kinds import DeadlineKind, declare
from dispatch.models import Membership, Role, Unit
from dispatch.selectors import area_ancestor_paths

from .models import Hazard

KIND = "hazard_fix"


def _told(deadline, level: int) -> Iterable[int]:
    hazard = Hazard.objects.select_related("community").filter(pk=deadline.subject_id).first()
    if hazard is None:
        return []
    if level == 0:
        q = Q(unit_id=hazard.department_id, role__in=(Role.HANDLER, Role.UNIT_HEAD))
    elif level == 1:
        q = Q(unit_id=hazard.department_id, role=Role.UNIT_HEAD) | Q(
            unit__kind=Unit.Kind.STREET_CENTER,
            unit__area_id=hazard.street_id,
            role__in=(Role.DISPATCHER, Role.UNIT_HEAD),
        )
    else:
        q = Q(
            role=Role.SUPERVISOR,
            unit__area__path__in=area_ancestor_paths(hazard.community),
        )
    return sorted(
        set(
            Membership.objects.filter(q, unit__is_active=True, user__is_active=True).values_list(
                "user_id", flat=True
            )
        )
    )


def _describe(deadline) -> tuple[str, str]:
    hazard = Hazard.objects.select_related("category").filter(pk=deadline.subject_id).first()
    link = reverse("hazards:detail", args=[deadline.subject_id])
    if hazard is None:
        return str(_("隐患整改")), link
    return (
        str(_("隐患整改：%(category)s · %(address)s"))
        % {"category": hazard.category.name, "address": hazard.address},
        link,
    )


HAZARD_FIX = declare(DeadlineKind(name=KIND, label=_("隐患整改"), told=_told, describe=_describe))
