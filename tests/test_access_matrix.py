"""The access-control matrix (issue 8): every page, API endpoint, export and action ×
every kind of user, with the status each must get.

One table, one parametrized test: a case per row, a subtest per role (pytest's
``subtests``), so every (row, role) pair passes or fails on its own. The ``world`` is built
once per row and the orders a row needs are built on first use; a request that changes
the row's order gives the next role fresh orders.

Roles (columns, in this order in ``E(...)``)::

    reporter    world.reporter        grid worker of 曾坑 who reported every HB order
    dispatcher  world.dispatcher      HB street center
    handler     world.handler         HB police station (the lead unit; signs the orders)
    head        world.head            head of the HB police station
    supervisor  world.supervisor      city supervision (read-only everywhere)
    x_dispatch  world.fl_dispatcher   FL street center: a cross-street dispatcher
    x_handler   world.committee_handler  曾坑 mediation committee: a cross-unit handler
    anonymous   nobody logged in      pages → 302 to the login page, API → 401

A row may add extra columns for a single point (``handler2``: a colleague when the
order is signed by ``handler``; ``hb_supervisor``: a street supervisor; ``leader``: HB's
包案 leader, named on the red order X; ``center_head``: the head of the HB center).

The rules (README, docs/API.md): an order outside the user's scope is a 404 (never a
403), an action the user's role does not allow on a visible order is a 403, a wrong state
is a 409 in the API (the web pages show the message on the order page: 302), and every
refused POST leaves the order exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.models import Role, RoutingRule
from disputes import services
from disputes.models import Attachment, Order, Outcome, State
from notifications.models import Notification
from tests.factories import street_leader, user_with_role
from tests.images import camera_jpeg

pytestmark = pytest.mark.django_db

ROLES = {
    "reporter": "reporter",
    "dispatcher": "dispatcher",
    "handler": "handler",
    "head": "head",
    "supervisor": "supervisor",
    "x_dispatch": "fl_dispatcher",
    "x_handler": "committee_handler",
    "anonymous": None,
}
EXTRA_ROLES = {
    "handler2": "handler2",
    "hb_supervisor": "hb_supervisor",
    "leader": "leader",
    "center_head": "center_head",
}
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
MISSING_ID = 987654321


# --- the orders a row may use ------------------------------------------------------------


class Ctx:
    """The world plus orders built on first use:
    R reported (HB), D dispatched (HB), S signed by ``handler`` (HB, with an attachment),
    C closed (HB), A dispatched (HB) with the 曾坑 mediation committee assisting,
    F dispatched in FL (reported by FL's own reporter); P signed by ``handler`` an hour
    ago, Q the same with a pause of its meeting clock asked for, Z with one running; V
    signed by ``handler`` (HB) with a 督办 awaiting its reply; X red (high risk)
    dispatched (HB) with ``leader`` its 包案 leader; G closed by the 曾坑 committee, its
    grade awaiting review. The world gains ``leader`` and ``center_head``."""

    def __init__(self, world):
        self.w = world
        if not hasattr(world, "leader"):  # once per world (a Ctx is made per role)
            world.leader = street_leader(world.hb)
            world.center_head = user_with_role(
                Role.UNIT_HEAD, world.hb_center, username="hb_center_head"
            )
        self._orders: dict[str, Order] = {}
        self._attachment: Attachment | None = None

    def o(self, key: str) -> Order:
        if key not in self._orders:
            w = self.w
            if key == "R":
                order = w.order(State.REPORTED)
            elif key == "D":
                order = w.order(State.DISPATCHED)
            elif key == "S":
                order = w.order(State.SIGNED, assignee=w.handler)
            elif key == "C":
                order = w.order(State.CLOSED)
            elif key == "A":
                order = w.order(State.DISPATCHED, assisting_units=[w.hb_committee])
            elif key == "F":
                order = w.order(State.DISPATCHED, community=w.fl_community, reporter=w.fl_reporter)
            elif key in ("P", "Q", "Z"):  # signed an hour ago; a pause asked (Q), running (Z)
                start = timezone.now() - timedelta(hours=1)
                order = w.order(State.SIGNED, assignee=w.handler, start=start)
                if key in ("Q", "Z"):
                    services.order_pause(
                        order_id=order.pk, actor=w.handler, stage="meet", reason="away", minutes=60
                    )
                if key == "Z":
                    services.order_pause_decide(order_id=order.pk, actor=w.dispatcher, approve=True)
            elif key == "V":
                order = w.order(State.SIGNED, assignee=w.handler)
                services.order_direct(
                    order_id=order.pk,
                    actor=w.supervisor,
                    demand="请尽快调解",
                    reply_due_at=timezone.now() + timedelta(days=1),
                )
            elif key == "X":
                order = w.order(State.DISPATCHED, risk_level="high", case_leader=w.leader)
            elif key == "G":  # closed by the 曾坑 committee: its grade awaits review
                order = w.order(State.CLOSED, lead_unit=w.hb_committee)
            elif key == "K":  # its closing proposed (结单确认) long ago: past the 72 hours
                order = w.order(State.CONFIRMING)
            elif key == "J":  # failed and referred to court: the station follows it up
                order = w.order(State.CLOSED, outcome=Outcome.FAILED)
            else:  # pragma: no cover
                raise KeyError(key)
            self._orders[key] = order
        return self._orders[key]

    def pk(self, key: str) -> int:
        return self.o(key).pk

    def notification(self) -> Notification:
        """One of ``handler``'s notifications (the dispatch of D notifies the station)."""
        self.o("D")
        return Notification.objects.filter(recipient=self.w.handler).earliest("pk")

    def attachment(self) -> Attachment:
        if self._attachment is None:
            # A photo, so that it has a thumbnail too.
            upload = SimpleUploadedFile("现场.jpg", camera_jpeg(), content_type="image/jpeg")
            services.order_add_note(
                order_id=self.pk("S"), actor=self.w.reporter, note="照片", upload=upload
            )
            self._attachment = Attachment.objects.get(order_id=self.pk("S"))
        return self._attachment


def snapshot(order_id: int) -> tuple:
    """What a refused action must not change."""
    order = Order.objects.get(pk=order_id)
    return (
        order.state,
        order.colour,
        order.case_leader_id,
        order.leader_reviewed_at,
        order.lead_unit_id,
        order.assignee_id,
        order.events.count(),
        order.attachments.count(),
        order.return_visits.count(),
        order.duties.filter(kind="visit", met_at__isnull=False).count(),
        order.directives.count(),
        order.directives.filter(replied_at__isnull=False).count(),
        order.assistances.count(),
        order.assistances.filter(signed_at__isnull=False).count(),
        order.grade,
        order.grade_confirmed_at,
        order.closings.filter(status="pending").count(),
        order.closings.filter(reporter_signed_at__isnull=False).count(),
        order.closings.filter(center_signed_at__isnull=False).count(),
        order.referral_results.count(),
    )


# --- rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    desc: str
    api: bool  # True: DRF APIClient (JSON); False: Django's test client (forms)
    method: str
    url: Callable[[Ctx], str]
    expect: dict[str, int]
    data: Callable[[Ctx], dict] | None = None
    order: str | None = None  # for POSTs: the order that must stay unchanged when refused
    # The web pages answer a state conflict with a redirect to the order page: a 302
    # that changes nothing.
    conflict: bool = False
    anon_location: str = LOGIN


def E(reporter, dispatcher, handler, head, supervisor, x_dispatch, x_handler, anonymous, **extra):
    """Expected statuses in the column order of the module docstring."""
    return {
        "reporter": reporter,
        "dispatcher": dispatcher,
        "handler": handler,
        "head": head,
        "supervisor": supervisor,
        "x_dispatch": x_dispatch,
        "x_handler": x_handler,
        "anonymous": anonymous,
        **extra,
    }


def page(desc, url, expect, **kw) -> Row:
    return Row(desc, False, "get", url, expect, **kw)


def form(desc, url, data, order, expect, **kw) -> Row:
    return Row(desc, False, "post", url, expect, data=data, order=order, **kw)


def api_get(desc, url, expect, **kw) -> Row:
    return Row(desc, True, "get", url, expect, **kw)


def api_post(desc, url, data, order, expect, **kw) -> Row:
    return Row(desc, True, "post", url, expect, data=data, order=order, **kw)


def everyone(code: int, anonymous: int) -> dict[str, int]:
    return E(code, code, code, code, code, code, code, anonymous)


def rev(name: str, key: str | None = None) -> Callable[[Ctx], str]:
    if key is None:
        return lambda c: reverse(name)
    if key == "missing":
        return lambda c: reverse(name, args=[MISSING_ID])
    return lambda c: reverse(name, args=[c.pk(key)])


def api_order(key: str, action: str = "") -> Callable[[Ctx], str]:
    def build(c: Ctx) -> str:
        pk = MISSING_ID if key == "missing" else c.pk(key)
        return f"/api/v1/orders/{pk}/" + (f"{action}/" if action else "")

    return build


REFERRAL_RESULT = {
    "body": "石狮市人民法院",
    "case_number": "(2026)闽0581民初1号",
    "outcome": "accepted",
    "decided_on": "2026-11-20",  # after the closing (2026-11-11), before today
}


def lead(unit_attr: str) -> Callable[[Ctx], dict]:
    return lambda c: {"lead_unit": getattr(c.w, unit_attr).pk}


def reason(c: Ctx) -> dict:
    return {"reason": "矩阵测试"}


def bulk_ids(c: Ctx) -> dict:
    """R's id for the bulk dispatch, with a routing rule so that it has a first
    suggested unit (the HB police station)."""
    order = c.o("R")
    RoutingRule.objects.get_or_create(
        category_id=order.category_id, area=c.w.hb, unit=c.w.hb_police, defaults={"rank": 1}
    )
    return {"ids": [order.pk]}


def contact(c: Ctx) -> dict:
    return {"method": "phone", "note": "已电话联系"}


def direct_api(c: Ctx) -> dict:
    due = timezone.localtime(timezone.now() + timedelta(days=1))
    return {"demand": "请本周内调解", "reply_due_at": due.isoformat()}


def direct_form(c: Ctx) -> dict:
    due = timezone.localtime(timezone.now() + timedelta(days=1))
    return {"demand": "请本周内调解", "reply_due_at": due.strftime("%Y-%m-%dT%H:%M")}


def direct_reply(c: Ctx) -> dict:
    return {"directive": c.o("V").directives.get().pk, "reply": "已安排调解"}


# 督办: the supervisors' one write action (and the street center's head's, not a column).
DIRECTORS_ONLY = E(403, 403, 403, 403, 200, 404, 404, 302, hb_supervisor=200)
# 督办回复: the lead unit's heads only.
LEAD_HEADS_ONLY = E(403, 403, 403, 200, 403, 404, 404, 302, hb_supervisor=403)


VISIBLE_HB_HANDLED = E(200, 200, 200, 200, 200, 404, 404, 302)  # D, S, C: lead unit HB police
VISIBLE_HB_REPORTED = E(200, 200, 404, 404, 200, 404, 404, 302)  # R: no unit yet
VISIBLE_FL = E(404, 404, 404, 404, 200, 200, 404, 302, hb_supervisor=404)
SUPERVISOR_ONLY = E(403, 403, 403, 403, 200, 403, 403, 302)
DISPATCHER_ONLY = E(403, 200, 403, 403, 403, 200, 403, 302)


def _api(expect: dict[str, int]) -> dict[str, int]:
    """The same columns for the API, where the anonymous get 401."""
    return {**expect, "anonymous": 401}


ROWS: list[Row] = [
    # --- pages -------------------------------------------------------------------------
    page("home redirects to each role's page", rev("home"), everyone(302, 302)),
    page("order search", rev("order-list"), everyone(200, 302)),
    page("board", rev("board"), everyone(200, 302)),
    page("dispatch queue", rev("queue"), DISPATCHER_ONLY),
    page("handling list", rev("handling"), everyone(200, 302)),
    page("my reports", rev("my-reports"), everyone(200, 302)),
    page("overview", rev("overview"), everyone(200, 302)),
    page("report form", rev("report"), E(200, 200, 200, 200, 403, 200, 200, 302)),
    page("report: one more party (htmx)", rev("report-party"), everyone(200, 302)),
    # A dispatcher may list the people of a unit its street may send orders to; another
    # street's unit is outside its scope: 404, like an order.
    page(
        "assignee options of an HB unit (htmx)",
        lambda c: reverse("assignee-options") + f"?lead_unit={c.w.hb_police.pk}",
        E(403, 200, 403, 403, 403, 404, 403, 302),
    ),
    page(
        "assignee options of an FL unit (htmx)",
        lambda c: reverse("assignee-options") + f"?lead_unit={c.w.fl_police.pk}",
        E(403, 404, 403, 403, 403, 200, 403, 302),
    ),
    page("inbox", rev("inbox"), everyone(200, 302)),
    form("inbox: mark all read", rev("inbox-read"), lambda c: {}, None, everyone(302, 302)),
    page(
        "admin: non-staff to the admin login",
        lambda c: "/admin/",
        everyone(302, 302),
        anon_location=ADMIN_LOGIN,
    ),
    # --- reports and exports (supervisors only) ----------------------------------------
    page(
        "reports index redirects to the monthly report",
        lambda c: "/reports/",
        everyone(302, 302),
        anon_location="/reports/monthly/",
    ),
    page("monthly report page", lambda c: "/reports/monthly/", SUPERVISOR_ONLY),
    page(
        "monthly report CSV",
        lambda c: "/reports/monthly/?month=2026-11&format=csv",
        SUPERVISOR_ONLY,
    ),
    page(
        "monthly report XLSX",
        lambda c: "/reports/monthly/?month=2026-11&format=xlsx",
        SUPERVISOR_ONLY,
    ),
    page("bulletin page", lambda c: "/reports/bulletin/", SUPERVISOR_ONLY),
    page("subsidy page", lambda c: "/reports/subsidy/", SUPERVISOR_ONLY),
    page("subsidy XLSX", lambda c: "/reports/subsidy/?month=2026-11&format=xlsx", SUPERVISOR_ONLY),
    page(
        "monthly report of FL (street outside an HB supervisor's jurisdiction)",
        lambda c: f"/reports/monthly/?month=2026-11&format=csv&street={c.w.fl.pk}",
        {**SUPERVISOR_ONLY, "hb_supervisor": 404},
    ),
    api_get(
        "API monthly report CSV",
        lambda c: "/api/v1/reports/monthly/?month=2026-11&format=csv",
        _api(SUPERVISOR_ONLY),
    ),
    api_get(
        "API monthly report JSON",
        lambda c: "/api/v1/reports/monthly/?month=2026-11",
        _api(SUPERVISOR_ONLY),
    ),
    api_get(
        "API monthly report of FL for an HB supervisor",
        lambda c: f"/api/v1/reports/monthly/?month=2026-11&format=csv&street={c.w.fl.pk}",
        {**_api(SUPERVISOR_ONLY), "hb_supervisor": 404},
    ),
    # --- the published bulletin: supervisors publish, unit members read their own -------
    form(
        "publish the bulletin (发布通报)",
        lambda c: "/reports/bulletin/publish/",
        lambda c: {"month": "2026-11"},
        None,
        SUPERVISOR_ONLY | {"supervisor": 302},
    ),
    page(
        "my unit's standing (本单位通报)",
        lambda c: "/reports/standing/",
        E(403, 200, 200, 200, 403, 200, 200, 302),
    ),
    page(
        "another unit's standing",
        lambda c: f"/reports/standing/?unit={c.w.fl_police.pk}",
        E(403, 404, 404, 404, 403, 404, 404, 302),
    ),
    api_get(
        "API standing of a month not published",
        lambda c: "/api/v1/reports/standing/?month=2026-11",
        E(403, 404, 404, 404, 403, 404, 404, 401),
    ),
    # --- the order page, by id ---------------------------------------------------------
    page("order page: reported (HB)", rev("order-detail", "R"), VISIBLE_HB_REPORTED),
    page("order page: dispatched (HB)", rev("order-detail", "D"), VISIBLE_HB_HANDLED),
    page("order page: signed (HB)", rev("order-detail", "S"), VISIBLE_HB_HANDLED),
    page("order page: closed (HB)", rev("order-detail", "C"), VISIBLE_HB_HANDLED),
    page("order page: FL order (cross-street)", rev("order-detail", "F"), VISIBLE_FL),
    page(
        "order page: assisted by the committee (cross-unit handler now inside)",
        rev("order-detail", "A"),
        E(200, 200, 200, 200, 200, 404, 200, 302),
    ),
    page("order page: no such id", rev("order-detail", "missing"), everyone(404, 302)),
    page(
        "attachment of the signed order",
        lambda c: reverse("attachment", args=[c.attachment().pk]),
        VISIBLE_HB_HANDLED,
    ),
    page("attachment: no such id", rev("attachment", "missing"), everyone(404, 302)),
    page(
        "thumbnail of the signed order's photo",
        lambda c: reverse("attachment-thumbnail", args=[c.attachment().pk]),
        VISIBLE_HB_HANDLED,
    ),
    page("thumbnail: no such id", rev("attachment-thumbnail", "missing"), everyone(404, 302)),
    # --- action forms (GET) ------------------------------------------------------------
    page(
        "dispatch form of a reported order",
        rev("order-dispatch", "R"),
        E(403, 200, 404, 404, 403, 404, 404, 302),
    ),
    page(
        "dispatch form of the FL order (cross-street)",
        rev("order-dispatch", "F"),
        E(404, 404, 404, 404, 403, 302, 404, 302),  # FL dispatcher: wrong state → order page
    ),
    page(
        "contact form of the signed order",
        rev("order-contact", "S"),
        E(403, 403, 200, 200, 403, 404, 404, 302, handler2=403),
    ),
    page(
        "close form of a dispatched order (role ok, state not: back to the order page)",
        rev("order-close", "D"),
        E(403, 302, 302, 302, 403, 404, 404, 302),
    ),
    page(
        "return-visit form of the closed order",
        rev("order-return-visit", "C"),
        E(403, 403, 200, 200, 403, 404, 404, 302),
    ),
    page("sign is POST only", rev("order-sign", "D"), everyone(405, 302)),
    # --- forged form posts -------------------------------------------------------------
    form(
        "POST dispatch a reported order",
        rev("order-dispatch", "R"),
        lead("hb_police"),
        "R",
        E(403, 302, 404, 404, 403, 404, 404, 302),
    ),
    # Bulk dispatch: dispatchers only; another street's dispatcher is answered (302 to the
    # queue, 200 in the API) with the order reported as not found, and nothing changes.
    form(
        "POST bulk dispatch from the queue",
        rev("queue-dispatch"),
        bulk_ids,
        "R",
        E(403, 302, 403, 403, 403, 302, 403, 302),
    ),
    page("bulk dispatch is POST only", rev("queue-dispatch"), everyone(405, 302)),
    form(
        "POST reassign a dispatched order",
        rev("order-reassign", "D"),
        lead("hb_committee"),
        "D",
        E(403, 302, 403, 403, 403, 404, 404, 302),
    ),
    form(
        "POST cancel a dispatched order",
        rev("order-cancel", "D"),
        reason,
        "D",
        E(403, 302, 403, 403, 403, 404, 404, 302),
    ),
    form(
        "POST sign a dispatched order",
        rev("order-sign", "D"),
        lambda c: {},
        "D",
        E(403, 403, 302, 302, 403, 404, 404, 302),
    ),
    form(
        "POST return a dispatched order",
        rev("order-return", "D"),
        reason,
        "D",
        E(403, 302, 302, 302, 403, 404, 404, 302),
    ),
    form(
        "POST record contact on the signed order",
        rev("order-contact", "S"),
        contact,
        "S",
        E(403, 403, 302, 302, 403, 404, 404, 302, handler2=403),
    ),
    form(
        "POST note on the signed order",
        rev("order-note", "S"),
        lambda c: {"note": "补充"},
        "S",
        E(302, 302, 302, 302, 403, 404, 404, 302),
    ),
    form(
        "POST sign as the assisting unit (visible, not the lead)",
        rev("order-sign", "A"),
        lambda c: {},
        "A",
        E(403, 403, 302, 302, 403, 404, 403, 302),
    ),
    form(
        "POST note as the assisting unit",
        rev("order-note", "A"),
        lambda c: {"note": "协办意见"},
        "A",
        E(302, 302, 302, 302, 403, 404, 302, 302),
    ),
    form(
        "POST return visit on the closed order",
        rev("order-return-visit", "C"),
        lambda c: {"satisfied": "yes", "note": "满意"},
        "C",
        E(403, 403, 302, 302, 403, 404, 404, 302),
    ),
    form(
        "POST cancel the closed order (role ok, state not: message, nothing changes)",
        rev("order-cancel", "C"),
        reason,
        "C",
        E(403, 302, 403, 403, 403, 404, 404, 302),
        conflict=True,
    ),
    form(
        "POST cancel the FL order (cross-street)",
        rev("order-cancel", "F"),
        reason,
        "F",
        E(404, 404, 404, 404, 403, 302, 404, 302),
    ),
    # --- 督办 ----------------------------------------------------------------------------
    page("督办 form of a signed order", rev("order-direct", "S"), DIRECTORS_ONLY),
    form(
        "POST 督办 on a signed order",
        rev("order-direct", "S"),
        direct_form,
        "S",
        {**DIRECTORS_ONLY, "supervisor": 302, "hb_supervisor": 302},
    ),
    form(
        "POST 督办 on the FL order (outside an HB supervisor's jurisdiction)",
        rev("order-direct", "F"),
        direct_form,
        "F",
        E(404, 404, 404, 404, 302, 403, 404, 302, hb_supervisor=404),
    ),
    page("督办回复 form", rev("order-direct-reply", "V"), LEAD_HEADS_ONLY),
    form(
        "POST 督办回复",
        rev("order-direct-reply", "V"),
        direct_reply,
        "V",
        {**LEAD_HEADS_ONLY, "head": 302},
    ),
    api_post(
        "API 督办 on a signed order",
        api_order("S", "direct"),
        direct_api,
        "S",
        _api(DIRECTORS_ONLY),
    ),
    api_post(
        "API 督办 on a reported order (nobody to answer: state conflict)",
        api_order("R", "direct"),
        direct_api,
        "R",
        E(403, 403, 404, 404, 409, 404, 404, 401, hb_supervisor=409),
    ),
    api_post(
        "API 督办 on the FL order",
        api_order("F", "direct"),
        direct_api,
        "F",
        E(404, 404, 404, 404, 200, 403, 404, 401, hb_supervisor=404),
    ),
    api_post(
        "API 督办回复",
        api_order("V", "direct-reply"),
        direct_reply,
        "V",
        _api(LEAD_HEADS_ONLY),
    ),
    # --- assisting units (协办) on A: the 曾坑 committee (x_handler) assists ----------------
    form(
        "POST 协办签收 on the assisted order",
        rev("order-assist-sign", "A"),
        lambda c: {},
        "A",
        E(403, 403, 403, 403, 403, 404, 302, 302),
    ),
    api_post(
        "API 协办签收",
        api_order("A", "assist-sign"),
        lambda c: {},
        "A",
        E(403, 403, 403, 403, 403, 404, 200, 401),
    ),
    api_post(
        "API 协办意见 before signing (state conflict)",
        api_order("A", "assist-opinion"),
        lambda c: {"opinion": "建议调解"},
        "A",
        E(403, 403, 403, 403, 403, 404, 409, 401),
    ),
    api_post(
        "API 增派协办单位",
        api_order("A", "add-assisting"),
        lambda c: {"units": [c.w.hb_labour.pk]},
        "A",
        E(403, 200, 403, 403, 403, 404, 403, 401),
    ),
    api_get(
        "API the assisted order's parts",
        api_order("A", "assistances"),
        E(200, 200, 200, 200, 200, 404, 200, 401),
    ),
    page(
        "增派协办 form of the signed order",
        rev("order-add-assisting", "S"),
        E(403, 200, 403, 403, 403, 404, 404, 302),
    ),
    api_post(
        "API 回访 of the closed order",
        api_order("C", "return-visit"),
        lambda c: {"satisfied": True, "agreement_kept": "yes"},
        "C",
        E(403, 403, 200, 200, 403, 404, 404, 401),
    ),
    api_post(
        "API 等级审核 of a committee's closed case",
        api_order("G", "grade-review"),
        lambda c: {"grade": "ordinary"},
        "G",
        E(403, 200, 404, 404, 403, 404, 403, 401),
    ),
    # --- the joint closing (结单确认) -------------------------------------------------------
    api_post(
        "API sign off the proposed closing",
        api_order("K", "closing-sign"),
        lambda c: {},
        "K",
        E(200, 200, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API close the proposed closing past its limit",
        api_order("K", "close-overdue"),
        lambda c: {"reason": "矩阵测试"},
        "K",
        E(403, 200, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API withdraw the proposed closing",
        api_order("K", "closing-withdraw"),
        lambda c: {},
        "K",
        E(403, 200, 200, 200, 403, 404, 404, 401),
    ),
    form(
        "POST record a party's refusal in person",
        rev("order-closing-confirm", "K"),
        lambda c: {"party": c.o("K").parties.first().pk, "answer": "refuse", "reason": "不同意"},
        "K",
        E(403, 302, 302, 302, 403, 404, 404, 302),
    ),
    page(
        "the agreement of the proposed closing",
        lambda c: reverse("order-agreement", args=[c.pk("K"), c.o("K").closings.get().pk]),
        E(200, 200, 200, 200, 200, 404, 404, 302),
    ),
    # --- 移交跟踪 (referrals that are followed) -----------------------------------------------
    api_post(
        "API 移交结果 of a referred closed case",
        api_order("J", "referral-result"),
        lambda c: REFERRAL_RESULT,
        "J",
        E(403, 403, 200, 200, 403, 404, 404, 401, handler2=200),
    ),
    form(
        "POST 移交结果 of a referred closed case",
        rev("order-referral-result", "J"),
        lambda c: REFERRAL_RESULT,
        "J",
        E(403, 403, 302, 302, 403, 404, 404, 302),
    ),
    api_post(
        "API 移交结果 of a closed case not referred",
        api_order("C", "referral-result"),
        lambda c: REFERRAL_RESULT,
        "C",
        E(403, 403, 409, 409, 403, 404, 404, 401),
    ),
    api_get(
        "API 移交跟踪 of a referred closed case",
        api_order("J", "referral-results"),
        E(200, 200, 200, 200, 200, 404, 404, 401),
    ),
    # --- colour grades and 包案 ------------------------------------------------------------
    form(
        "POST recolour the reported order",
        rev("order-recolour", "R"),
        lambda c: {"colour": "yellow", "reason": "矩阵测试"},
        "R",
        E(403, 302, 404, 404, 403, 404, 404, 302, center_head=302, leader=404),
    ),
    form(
        "POST leader review of the red order",
        rev("order-leader-review", "X"),
        lambda c: {"note": "同意"},
        "X",
        E(403, 403, 403, 403, 403, 404, 404, 302, leader=302, center_head=403),
    ),
    page(
        "the red order's page",
        rev("order-detail", "X"),
        E(200, 200, 200, 200, 200, 404, 404, 302, leader=200, center_head=200),
    ),
    page(
        "another order's page (not the leader's)",
        rev("order-detail", "D"),
        E(200, 200, 200, 200, 200, 404, 404, 302, leader=404, center_head=200),
    ),
    api_post(
        "API recolour the reported order",
        api_order("R", "recolour"),
        lambda c: {"colour": "yellow", "reason": "矩阵测试"},
        "R",
        E(403, 200, 404, 404, 403, 404, 404, 401, center_head=200, leader=404),
    ),
    api_post(
        "API leader review of the red order",
        api_order("X", "leader-review"),
        lambda c: {"note": "同意"},
        "X",
        E(403, 403, 403, 403, 403, 404, 404, 401, leader=200, center_head=403),
    ),
    api_get(
        "API the red order",
        api_order("X"),
        E(200, 200, 200, 200, 200, 404, 404, 401, leader=200, center_head=200),
    ),
    # --- API: orders -------------------------------------------------------------------
    api_get("API order list", lambda c: "/api/v1/orders/", everyone(200, 401)),
    api_get("API order: reported (HB)", api_order("R"), _api(VISIBLE_HB_REPORTED)),
    api_get("API order: dispatched (HB)", api_order("D"), _api(VISIBLE_HB_HANDLED)),
    api_get("API order: closed (HB)", api_order("C"), _api(VISIBLE_HB_HANDLED)),
    api_get("API order: FL (cross-street)", api_order("F"), _api(VISIBLE_FL)),
    api_get("API order: no such id", api_order("missing"), everyone(404, 401)),
    api_get("API timeline: dispatched (HB)", api_order("D", "timeline"), _api(VISIBLE_HB_HANDLED)),
    api_get("API timeline: FL (cross-street)", api_order("F", "timeline"), _api(VISIBLE_FL)),
    api_get(
        "API attachments: signed (HB)", api_order("S", "attachments"), _api(VISIBLE_HB_HANDLED)
    ),
    api_get("API attachments: FL (cross-street)", api_order("F", "attachments"), _api(VISIBLE_FL)),
    api_get(
        "API attachment download",
        lambda c: f"/api/v1/attachments/{c.attachment().pk}/",
        _api(VISIBLE_HB_HANDLED),
    ),
    api_get(
        "API attachment thumbnail",
        lambda c: f"/api/v1/attachments/{c.attachment().pk}/thumbnail/",
        _api(VISIBLE_HB_HANDLED),
    ),
    api_get(
        "API attachment: no such id",
        lambda c: f"/api/v1/attachments/{MISSING_ID}/",
        everyone(404, 401),
    ),
    api_post(
        "API report an order",
        lambda c: "/api/v1/orders/",
        lambda c: {
            "title": "邻居噪音",
            "narrative": "楼上夜间装修噪音扰民。",
            "category": c.w.neighbours.pk,
            "community": c.w.zk.pk,
            "parties": [{"name": "陈某"}],
        },
        None,
        E(201, 201, 201, 201, 403, 201, 201, 401),
    ),
    api_post(
        "API dispatch a reported order",
        api_order("R", "dispatch"),
        lead("hb_police"),
        "R",
        E(403, 200, 404, 404, 403, 404, 404, 401),
    ),
    api_post(
        "API bulk dispatch",
        lambda c: "/api/v1/orders/dispatch-bulk/",
        bulk_ids,
        "R",
        E(403, 200, 403, 403, 403, 200, 403, 401),
    ),
    api_post(
        "API reassign a dispatched order",
        api_order("D", "reassign"),
        lead("hb_committee"),
        "D",
        E(403, 200, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API sign a dispatched order",
        api_order("D", "sign"),
        lambda c: {},
        "D",
        E(403, 403, 200, 200, 403, 404, 404, 401),
    ),
    api_post(
        "API cancel a dispatched order",
        api_order("D", "cancel"),
        reason,
        "D",
        E(403, 200, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API return a dispatched order",
        api_order("D", "return"),
        reason,
        "D",
        # The center returns it at once; the lead unit asks (202, 申请退单).
        E(403, 200, 202, 202, 403, 404, 404, 401),
    ),
    api_post(
        "API record contact on the signed order",
        api_order("S", "contact"),
        contact,
        "S",
        E(403, 403, 200, 200, 403, 404, 404, 401, handler2=403),
    ),
    api_post(
        "API ask to pause the meeting clock",
        api_order("P", "pause"),
        lambda c: {"stage": "meet", "reason": "hospital", "requested_minutes": 60},
        "P",
        E(403, 403, 200, 200, 403, 404, 404, 401, handler2=403),
    ),
    api_post(
        "API approve a pause asked for",
        api_order("Q", "pause-decide"),
        lambda c: {"approve": True},
        "Q",
        E(403, 200, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API resume a running pause",
        api_order("Z", "resume"),
        lambda c: {},
        "Z",
        E(403, 200, 200, 200, 403, 404, 404, 401),
    ),
    api_post(
        "API approve a pause when none is asked for (state conflict)",
        api_order("P", "pause-decide"),
        lambda c: {"approve": True},
        "P",
        E(403, 409, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API sign as the assisting unit",
        api_order("A", "sign"),
        lambda c: {},
        "A",
        E(403, 403, 200, 200, 403, 404, 403, 401),
    ),
    api_post(
        "API cancel the closed order (state conflict)",
        api_order("C", "cancel"),
        reason,
        "C",
        E(403, 409, 403, 403, 403, 404, 404, 401),
    ),
    api_post(
        "API cancel the FL order (cross-street)",
        api_order("F", "cancel"),
        reason,
        "F",
        E(404, 404, 404, 404, 403, 200, 404, 401),
    ),
    api_post(
        "API any action on a missing id",
        api_order("missing", "cancel"),
        reason,
        None,
        everyone(404, 401),
    ),
    # --- API: reference data, escalations, notifications --------------------------------
    api_get("API schema (public by design)", lambda c: "/api/schema/", everyone(200, 200)),
    page("API docs page (public by design)", lambda c: "/api/docs/", everyone(200, 200)),
    api_get("API areas", lambda c: "/api/v1/areas/", everyone(200, 401)),
    api_get("API units", lambda c: "/api/v1/units/", everyone(200, 401)),
    api_get("API categories", lambda c: "/api/v1/categories/", everyone(200, 401)),
    api_get("API escalations", lambda c: "/api/v1/escalations/", everyone(200, 401)),
    api_get("API notifications", lambda c: "/api/v1/notifications/", everyone(200, 401)),
    api_get(
        "API someone else's notification by id",
        lambda c: f"/api/v1/notifications/{c.notification().pk}/",
        E(404, 404, 200, 404, 404, 404, 404, 401),
    ),
    page(
        "public review page with a bad token",
        lambda c: "/review/not-a-real-token/",
        everyone(404, 404),
    ),
    page("public review code page (SMS)", lambda c: "/review/", everyone(200, 200)),
    api_post(
        "API mark notifications read",
        lambda c: "/api/v1/notifications/mark-read/",
        lambda c: {},
        None,
        everyone(200, 401),
    ),
]


def _user_attr(role: str) -> str | None:
    return ROLES[role] if role in ROLES else EXTRA_ROLES[role]


def _check_columns():
    for row in ROWS:
        missing = set(ROLES) - set(row.expect)
        assert not missing, f"row {row.desc!r} lacks {missing}"
        for role in row.expect:
            _user_attr(role)  # every column is a known role


_check_columns()


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    cache.clear()  # throttles count in the cache; many requests run within a minute
    yield
    cache.clear()


def request_as(row: Row, ctx: Ctx, user):
    """Send the row's request as ``user`` (None: anonymous)."""
    url = row.url(ctx)
    data = row.data(ctx) if row.data else {}
    if row.api:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        if row.method == "get":
            return client.get(url)
        return client.post(url, data, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    if row.method == "get":
        return client.get(url)
    return client.post(url, data)


def check(row: Row, role: str, ctx: Ctx) -> None:
    attr = _user_attr(role)
    user = getattr(ctx.w, attr) if attr else None
    order_id = ctx.pk(row.order) if row.order else None
    before = snapshot(order_id) if order_id else None

    response = request_as(row, ctx, user)

    expected = row.expect[role]
    assert response.status_code == expected, (
        f"{row.desc} as {role}: {response.status_code}, expected {expected}"
    )
    if expected == 302 and row.anon_location == ADMIN_LOGIN:
        assert response["Location"].startswith(ADMIN_LOGIN)
    elif expected == 302 and user is None:
        assert response["Location"].startswith(row.anon_location)
    elif expected == 302:
        assert not response["Location"].startswith(LOGIN)  # never sent to log in again

    if before is not None and not succeeds(row, role):
        assert snapshot(order_id) == before, f"{row.desc} as {role} changed the order"


def succeeds(row: Row, role: str) -> bool:
    """Whether the row's request is expected to do something as ``role``."""
    expected = row.expect[role]
    return (200 <= expected < 300) or (expected == 302 and role != "anonymous" and not row.conflict)


@pytest.mark.parametrize("row", ROWS, ids=[f"{i:02d}-{r.desc}" for i, r in enumerate(ROWS)])
def test_access_matrix(world, media_root, subtests, row: Row):
    """One row of the matrix; each role is a subtest, reported on its own. The world is
    built once per row and its orders are shared until a request changes the row's
    order; the next role then gets fresh orders, so one role's success (or a wrongly
    allowed action) never changes what the next one sees."""
    ctx = Ctx(world)
    for role in row.expect:
        before = snapshot(ctx.pk(row.order)) if row.order else None
        with subtests.test(role=role):
            check(row, role, ctx)
        if before is not None and snapshot(ctx.pk(row.order)) != before:
            ctx = Ctx(world)


# --- the assignee lookup follows the dispatch form's units ---------------------------------------


def test_assignee_lookup_offers_exactly_the_dispatch_forms_units(world):
    """``/dispatch/assignees/`` answers for the units the dispatch form offers an order of
    the dispatcher's street (``dispatch.selectors.units_serving``) and 404 for any other:
    a city-wide unit yes, another street's or a supervision unit no."""
    from dispatch.models import Unit
    from disputes.forms import RouteForm
    from tests.factories import UnitFactory, user_with_role

    city_labour = UnitFactory(department=True, name="石狮市人社局", area=world.city)
    user_with_role("handler", city_labour, username="city_labour", first_name="林科员")
    order = Ctx(world).o("R")
    offered = {pk for pk, _name in RouteForm(order=order).fields["lead_unit"].choices if pk}
    assert city_labour.pk in offered and world.fl_police.pk not in offered

    client = Client()
    client.force_login(world.dispatcher)
    for unit in Unit.objects.all():
        response = client.get(reverse("assignee-options"), {"lead_unit": unit.pk})
        assert response.status_code == (200 if unit.pk in offered else 404), unit.name
    page = client.get(reverse("assignee-options"), {"lead_unit": city_labour.pk})
    assert "林科员" in page.content.decode()
    # Nonsense is an empty list, never a 500.
    for junk in ["", "abc", "99999999999999999999999", "-1"]:
        response = client.get(reverse("assignee-options"), {"lead_unit": junk})
        assert response.status_code == 200
        assert response.content.decode().count("<option") == 1  # "not named" only


def test_the_dispatch_service_refuses_a_unit_outside_the_street(world):
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    for unit in (world.fl_police, world.city_supervision):
        order = Ctx(world).o("R")
        response = api.post(
            f"/api/v1/orders/{order.pk}/dispatch/", {"lead_unit": unit.pk}, format="json"
        )
        assert response.status_code == 400, (unit.name, response.status_code)
        assert Order.objects.get(pk=order.pk).state == State.REPORTED


def test_bulk_dispatch_by_another_street_changes_nothing_and_by_its_own_sends(world):
    """The matrix's 200 and 302 for both dispatchers, made concrete: FL's changes nothing
    and hears "not found"; HB's sends the order to its first suggested unit."""
    ctx = Ctx(world)
    body = bulk_ids(ctx)
    order_id = body["ids"][0]
    before = snapshot(order_id)
    api = APIClient()
    api.force_authenticate(world.fl_dispatcher)
    result = api.post("/api/v1/orders/dispatch-bulk/", body, format="json").json()
    assert result["results"][0]["number"] == "" and result["dispatched"] == 0
    web = Client()
    web.force_login(world.fl_dispatcher)
    assert web.post(reverse("queue-dispatch"), body).status_code == 302
    assert snapshot(order_id) == before
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    assert api.post("/api/v1/orders/dispatch-bulk/", body, format="json").json()["dispatched"] == 1
    order = Order.objects.get(pk=order_id)
    assert order.state == State.DISPATCHED and order.lead_unit == world.hb_police
