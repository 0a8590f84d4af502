"""Every write on hazards and screening visits. A hazard's state changes only through
``_transition`` (lock, 404, 403, 409, apply, save, log event, clock, notify)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from deadlines.services import deadline_end, deadline_meet, deadline_start
from dispatch.models import Area, Membership, Role
from disputes.locations import clean_location
from disputes.services import PreparedFile, attachment_prepare
from notifications.services import notify
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from shishi_mediation.ids import id_from_text
from shishi_mediation.text import visible_text

from .clock import KIND
from .models import (
    Hazard,
    HazardCategory,
    HazardEvent,
    HazardEventKind,
    HazardPhoto,
    PhotoStage,
    ScreeningOutcome,
    ScreeningVisit,
)
from .selectors import (
    can_report,
    hazards_visible_to,
    may_acknowledge,
    may_close,
    reporting_unit,
    responsible_department,
    screenings_visible_to,
)

log = logging.getLogger(__name__)

MAX_PHOTOS = 6


def is_valid_pk(value) -> bool:
    return id_from_text(value) is not None


@dataclass
class HazardInput:
    category_id: Any = None
    community_id: Any = None
    address: str = ""
    description: str = ""
    latitude: Any = None
    longitude: Any = None
    location_source: str = ""
    screening_id: Any = None


@dataclass
class ScreeningInput:
    community_id: Any = None
    place: str = ""
    visited_at: datetime | None = None
    checked_ids: list = field(default_factory=list)
    note: str = ""


def photos_prepare(uploads: Iterable, *, field_name: str = "photos") -> list[PreparedFile]:
    """Each upload checked and re-encoded as an order's photo (``disputes.images``);
    only photos (jpg, png, webp) are taken. ``InvalidInput`` on ``field_name``."""
    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput({field_name: _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}})
    prepared = []
    for upload in uploads:
        try:
            one = attachment_prepare(upload=upload)
        except InvalidInput as e:
            raise InvalidInput({field_name: e.errors.get("file", [])}) from None
        if one.thumbnail is None:  # not a photo (a PDF, a GIF…)
            raise InvalidInput({field_name: _("只能上传照片（jpg、png、webp）。")})
        prepared.append(one)
    return prepared


def _store_photos(
    hazard: Hazard, prepared: list[PreparedFile], *, stage: str, actor, now: datetime
) -> list[int]:
    ids = []
    for p in prepared:
        photo = HazardPhoto(
            hazard=hazard,
            stage=stage,
            file=p.content,
            thumbnail=p.thumbnail or "",
            original_name=p.name,
            size=p.content.size,
            uploaded_by=actor,
            uploaded_at=now,
        )
        photo.save()
        ids.append(photo.pk)
    return ids


def _record(hazard: Hazard, *, kind: str, actor, at: datetime, from_state="", note="", data=None):
    HazardEvent.objects.create(
        hazard=hazard,
        kind=kind,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=hazard.state if from_state else "",
        note=note,
        data=data or {},
    )


def _tell_department(hazard: Hazard, *, actor, now: datetime) -> None:
    users = [
        m.user
        for m in Membership.objects.filter(
            unit_id=hazard.department_id,
            role__in=(Role.HANDLER, Role.UNIT_HEAD),
            user__is_active=True,
        ).select_related("user")
    ]
    notify(
        recipients=users,
        order=None,
        kind="hazard_reported",
        subject=_("新隐患待整改：%(category)s · %(address)s")
        % {"category": hazard.category.name, "address": hazard.address},
        link=reverse("hazards:detail", args=[hazard.pk]),
        now=now,
        exclude=actor,
    )


def hazard_report(
    *, actor, data: HazardInput, photos: Iterable = (), now: datetime | None = None
) -> Hazard:
    """Record a hazard (上报隐患) with its photos before; whoever may report an order may.
    Routed at once to the responsible department (``responsible_department``), its
    rectification clock started (due the category's days later); the department told."""
    now = now or timezone.now()
    if not can_report(actor):
        raise Forbidden(_("您没有上报隐患的权限。"))
    errors: dict[str, Any] = {}
    address, description = visible_text(data.address or "")[:200], (data.description or "").strip()
    if not address.strip():
        errors["address"] = _("请填写地点。")
    if not description:
        errors["description"] = _("请描述隐患情况。")
    category = (
        HazardCategory.objects.select_related("department")
        .filter(pk=data.category_id, is_active=True)
        .first()
        if is_valid_pk(data.category_id)
        else None
    )
    if category is None:
        errors["category"] = _("请选择隐患类别。")
    community = (
        Area.objects.select_related("parent")
        .filter(pk=data.community_id, level=Area.Level.COMMUNITY)
        .first()
        if is_valid_pk(data.community_id)
        else None
    )
    if community is None:
        errors["community"] = _("请选择一个社区。")
    location = clean_location(data.latitude, data.longitude, data.location_source, errors)
    screening = None
    if data.screening_id not in (None, ""):
        screening = (
            screenings_visible_to(actor).filter(pk=data.screening_id, officer=actor).first()
            if is_valid_pk(data.screening_id)
            else None
        )
        if screening is None:
            errors["screening"] = _("排查记录不存在，或不是您的排查。")
    if errors:
        raise InvalidInput(errors)
    prepared = photos_prepare(photos)
    with transaction.atomic():
        hazard = Hazard(
            category=category,
            street_id=community.parent_id,
            community=community,
            address=address.strip(),
            description=description,
            reporter=actor,
            reporter_unit=reporting_unit(actor),
            department=responsible_department(category, community),
            screening=screening,
            reported_at=now,
            due_at=now + timedelta(days=category.fix_days),
            **location,
        )
        hazard.save()
        ids = _store_photos(hazard, prepared, stage=PhotoStage.BEFORE, actor=actor, now=now)
        if screening is not None and screening.outcome != ScreeningOutcome.FOUND:
            screening.outcome = ScreeningOutcome.FOUND
            screening.save(update_fields=["outcome"])
        _record(
            hazard,
            kind=HazardEventKind.REPORTED,
            actor=actor,
            at=now,
            data={"department_id": hazard.department_id, "photos": ids},
        )
        deadline_start(
            kind=KIND,
            subject_id=hazard.pk,
            unit_id=hazard.department_id,
            at=now,
            due=hazard.due_at,
        )
        _tell_department(hazard, actor=actor, now=now)
    log.info("hazard %s reported, due %s", hazard.pk, hazard.due_at.isoformat())
    return hazard


def _transition(
    *,
    hazard_id: int,
    actor,
    may: Callable[[Any, Hazard], bool],
    method: str,
    kind: str,
    now: datetime,
    apply: Callable[[Hazard], tuple[str, dict]],
) -> Hazard:
    """Lock the hazard among those the actor sees (404), check the actor may (403) and the
    state allows (409), run the transition and ``apply``, save, log the event."""
    with transaction.atomic():
        hazard = (
            hazards_visible_to(actor)
            .select_for_update(of=("self",))
            .filter(pk=hazard_id if is_valid_pk(hazard_id) else 0)
            .first()
        )
        if hazard is None:
            raise NotFound(_("隐患不存在或无权查看。"))
        if not may(actor, hazard):
            raise Forbidden()
        transition = getattr(hazard, method)
        if not can_proceed(transition):
            raise Conflict(
                _("当前状态“%(state)s”不能执行此操作。") % {"state": hazard.get_state_display()},
                state=hazard.state,
            )
        from_state = hazard.state
        transition()
        note, data = apply(hazard)
        hazard.save()
        _record(hazard, kind=kind, actor=actor, at=now, from_state=from_state, note=note, data=data)
    return hazard


def hazard_acknowledge(*, hazard_id: int, actor, note: str = "", now: datetime | None = None):
    """受理整改: the responsible department takes it in hand (optional; the clock runs on)."""
    now = now or timezone.now()

    def apply(h: Hazard):
        h.acknowledged_at = now
        return (note or "").strip(), {}

    return _transition(
        hazard_id=hazard_id,
        actor=actor,
        may=may_acknowledge,
        method="acknowledge",
        kind=HazardEventKind.ACKNOWLEDGED,
        now=now,
        apply=apply,
    )


def hazard_close(
    *, hazard_id: int, actor, note: str, photos: Iterable = (), now: datetime | None = None
) -> Hazard:
    """整改完成: the department (or the street center) closes it with evidence, at least
    one photo after and a note. Meets the clock: on time iff closed by the due time."""
    now = now or timezone.now()
    photos = [p for p in photos if p]
    # Who may, before the files are read; the lock below checks again.
    visible = hazards_visible_to(actor).filter(pk=hazard_id if is_valid_pk(hazard_id) else 0)
    found = visible.first()
    if found is None:
        raise NotFound(_("隐患不存在或无权查看。"))
    if not may_close(actor, found):
        raise Forbidden()
    errors: dict[str, Any] = {}
    if not photos:
        errors["photos"] = _("请上传至少一张整改后照片。")
    if not (note or "").strip():
        errors["note"] = _("请填写整改说明。")
    if errors:
        raise InvalidInput(errors)
    prepared = photos_prepare(photos)

    def apply(h: Hazard):
        h.closed_at, h.closed_by = now, actor
        h.close_note = note.strip()
        h.on_time = now <= h.due_at
        ids = _store_photos(h, prepared, stage=PhotoStage.AFTER, actor=actor, now=now)
        deadline_meet(kind=KIND, subject_id=h.pk, at=now)
        return h.close_note, {"photos": ids, "on_time": h.on_time}

    return _transition(
        hazard_id=hazard_id,
        actor=actor,
        may=may_close,
        method="fix",
        kind=HazardEventKind.FIXED,
        now=now,
        apply=apply,
    )


def hazard_reject(*, hazard_id: int, actor, reason: str, now: datetime | None = None) -> Hazard:
    """不属隐患: the department or the center closes it as not a hazard, with a reason.
    The clock ends unmet (not counted on time or late)."""
    now = now or timezone.now()
    reason = (reason or "").strip()

    def apply(h: Hazard):
        if not reason:
            raise InvalidInput({"reason": _("请填写理由。")})
        h.closed_at, h.closed_by, h.close_note = now, actor, reason
        deadline_end(kind=KIND, subject_id=h.pk, at=now)
        return reason, {}

    return _transition(
        hazard_id=hazard_id,
        actor=actor,
        may=may_close,
        method="reject",
        kind=HazardEventKind.REJECTED,
        now=now,
        apply=apply,
    )


def screening_record(*, actor, data: ScreeningInput, now: datetime | None = None) -> ScreeningVisit:
    """Log a screening visit (排查台账), found anything or not; whoever may report. The
    visit may not be in the future; hazards reported from it later mark it 发现隐患."""
    now = now or timezone.now()
    if not can_report(actor):
        raise Forbidden(_("您没有登记排查的权限。"))
    errors: dict[str, Any] = {}
    place = visible_text(data.place or "").strip()[:200]
    if not place:
        errors["place"] = _("请填写排查地点。")
    community = (
        Area.objects.filter(pk=data.community_id, level=Area.Level.COMMUNITY).first()
        if is_valid_pk(data.community_id)
        else None
    )
    if community is None:
        errors["community"] = _("请选择一个社区。")
    if data.visited_at is None:
        errors["visited_at"] = _("请填写排查时间。")
    elif data.visited_at > now:
        errors["visited_at"] = _("排查时间不能晚于现在。")
    ids = [i for i in data.checked_ids if is_valid_pk(i)]
    if len(ids) != len(data.checked_ids):
        errors["checked"] = _("排查内容无效。")
    checked = list(HazardCategory.objects.filter(pk__in=ids, is_active=True))
    if not checked and "checked" not in errors:
        errors["checked"] = _("请至少选择一项排查内容。")
    elif len(checked) != len(set(ids)):
        errors["checked"] = _("排查内容无效。")
    unit = reporting_unit(actor)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        visit = ScreeningVisit.objects.create(
            officer=actor,
            unit=unit,
            street_id=community.parent_id,
            community=community,
            place=place,
            visited_at=data.visited_at,
            note=(data.note or "").strip(),
            recorded_at=now,
        )
        visit.checked.set(checked)
    return visit
