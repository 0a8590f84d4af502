"""Reads about the mediation alliance: its units, volunteers and joint activities, and
who may read them (the street centers and supervisors; contacts masked)."""

from django.db.models import Count, Prefetch, Q, QuerySet

from dispatch.models import Membership, Role, Unit
from dispatch.selectors import memberships_of
from shishi_mediation.text import display_name
from shishi_mediation.validators import mask_phone

from .models import JointActivity, VolunteerProfile


def can_view_alliance(user) -> bool:
    """The alliance's units and volunteers: the street centers (dispatchers and heads),
    supervisors and admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(
        m.role in (Role.DISPATCHER, Role.SUPERVISOR)
        or (m.role == Role.UNIT_HEAD and m.unit.kind == Unit.Kind.STREET_CENTER)
        for m in memberships_of(user)
    )


def can_record_activity(user) -> bool:
    """A joint activity is recorded by a street center (dispatcher or head) or an admin."""
    return getattr(user, "is_authenticated", False) and (
        user.is_superuser
        or any(
            m.unit.kind == Unit.Kind.STREET_CENTER and m.role in (Role.DISPATCHER, Role.UNIT_HEAD)
            for m in memberships_of(user)
        )
    )


def alliance_units() -> QuerySet[Unit]:
    """The active social-force units, with how many active volunteers each has."""
    return (
        Unit.objects.filter(kind=Unit.Kind.SOCIAL_FORCE, is_active=True)
        .annotate(
            volunteers=Count(
                "memberships",
                filter=Q(memberships__role=Role.VOLUNTEER, memberships__user__is_active=True),
            )
        )
        .order_by("name")
    )


def volunteers(*, unit_id: int | None = None) -> QuerySet[Membership]:
    """The volunteer memberships of the alliance (of one unit), with user, profile and
    unit: active users of active units."""
    qs = Membership.objects.filter(
        role=Role.VOLUNTEER,
        unit__kind=Unit.Kind.SOCIAL_FORCE,
        unit__is_active=True,
        user__is_active=True,
    ).select_related("user__profile", "unit", "volunteer_profile")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs.order_by("unit__name", "user__last_name", "user__first_name", "user__username")


def _phone(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.phone if profile is not None else ""


def member_row(m: Membership) -> dict:
    """A volunteer as pages and the API show it: phone masked, always."""
    profile: VolunteerProfile | None = getattr(m, "volunteer_profile", None)
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "name": display_name(m.user),
        "unit_id": m.unit_id,
        "unit": m.unit.name,
        "phone": mask_phone(_phone(m.user)) if _phone(m.user) else "",
        "skills": profile.skills if profile else [],
        "skill_labels": profile.labels("skills") if profile else [],
        "dialects": profile.dialects if profile else [],
        "dialect_labels": profile.labels("dialects") if profile else [],
        "weekdays": profile.weekdays if profile else [],
        "weekday_labels": profile.weekday_labels if profile else [],
        "availability": profile.availability if profile else "",
        "is_active": profile.is_active if profile else True,
    }


def member_rows(*, unit_id: int | None = None, dialect: str = "", skill: str = "") -> list[dict]:
    """The volunteers (of one unit), optionally those speaking a dialect or with a skill
    (the lists are short: filtered here, the same on SQLite and PostgreSQL)."""
    rows = [member_row(m) for m in volunteers(unit_id=unit_id)]
    if dialect:
        rows = [r for r in rows if dialect in r["dialects"]]
    if skill:
        rows = [r for r in rows if skill in r["skills"]]
    return rows


def invitable_members(*, only_active: bool = True) -> list[dict]:
    """The volunteers the center may invite by name: in the register (profile active)."""
    return [r for r in member_rows() if r["is_active"] or not only_active]


def activities() -> QuerySet[JointActivity]:
    return JointActivity.objects.select_related("organiser").prefetch_related(
        "units", Prefetch("members")
    )
