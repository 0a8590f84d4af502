"""``/api/v1/orders/``: list, report, detail, the eight actions and the timeline, per role,
with the status codes docs/API.md promises (400 / 401 / 403 / 404 / 409)."""

import dataclasses
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disputes import api as orders_api
from disputes import reference, services
from disputes.models import Incident, Order, OrderEvent, Source, State
from disputes.serializers import OrderDetailSerializer
from tests.factories import AGREEMENT, confirm_closing, party_input, valid_id_number
from tests.images import camera_jpeg

pytestmark = pytest.mark.django_db

ACTIONS = ["dispatch", "reassign", "sign", "return", "contact", "meet", "close", "cancel"]


def url(order_id=None, action=None) -> str:
    if order_id is None:
        return "/api/v1/orders/"
    return f"/api/v1/orders/{order_id}/" + (f"{action}/" if action else "")


def report_body(world, **overrides) -> dict:
    body = {
        "title": "邻居噪音",
        "narrative": "楼上夜间装修噪音扰民。",
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "risk_level": "medium",
        "address": "曾坑社区 3 栋",
        "parties": [
            {"name": "陈某", "phone": "13900001111", "id_number": valid_id_number()},
            {"name": "林某", "role": "respondent"},
        ],
    }
    return body | overrides


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [("get", url()), ("post", url()), ("get", url(1)), ("get", url(1, "timeline"))]
    + [("post", url(1, a)) for a in ACTIONS],
)
def test_unauthenticated_is_401_everywhere(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert "detail" in response.json()


def test_an_unknown_token_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert anon.get(url()).status_code == 401


def test_a_browser_session_works_and_needs_csrf_for_writes(world, client):
    client.force_login(world.reporter)
    assert client.get(url()).status_code == 200
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.reporter)
    response = strict.post(url(), report_body(world), content_type="application/json")
    assert response.status_code == 403  # no CSRF token: refused before the service runs
    assert Order.objects.count() == 0


# --- list --------------------------------------------------------------------------------------


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {o["number"] for o in response.json()["results"]}


def test_list_is_scoped_per_role(world, api, order_in):
    hb = order_in("dispatched")  # HB, lead unit 湖滨派出所, reported by grid
    fl = order_in("reported", reporter=world.fl_reporter, community=world.fl_community)
    other = order_in("reported", reporter=world.other_reporter)
    assert numbers(api(world.reporter).get(url())) == {hb.number}
    assert numbers(api(world.other_reporter).get(url())) == {other.number}
    assert numbers(api(world.dispatcher).get(url())) == {hb.number, other.number}
    assert numbers(api(world.fl_dispatcher).get(url())) == {fl.number}
    assert numbers(api(world.handler).get(url())) == {hb.number}
    assert numbers(api(world.committee_handler).get(url())) == set()
    assert numbers(api(world.supervisor).get(url())) == {hb.number, fl.number, other.number}
    assert numbers(api(world.hb_supervisor).get(url())) == {hb.number, other.number}
    assert numbers(api(world.nobody).get(url())) == set()
    assert numbers(api(world.admin).get(url())) == {hb.number, fl.number, other.number}


def test_list_filters_are_the_web_ones(world, api, order_in):
    reported = order_in("reported")
    signed = order_in("signed")
    client = api(world.dispatcher)
    assert numbers(client.get(url(), {"state": "signed"})) == {signed.number}
    both = client.get(url(), {"state": ["signed", "reported"]})
    assert numbers(both) == {signed.number, reported.number}
    assert numbers(client.get(url(), {"unit": world.hb_police.pk})) == {signed.number}
    assert numbers(client.get(url(), {"q": reported.number})) == {reported.number}
    assert numbers(client.get(url(), {"reported_after": "2026-11-11"})) == set()
    assert len(numbers(client.get(url(), {"community": world.zk.pk}))) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"state": "nonsense"},
        {"category": "abc"},
        {"category": "99999999999999999999999"},
        {"reported_after": "2026-13-45"},
        {"reported_after": "yesterday"},
        {"page_size": "0"},
        {"page_size": "1000"},
        {"page_size": "ten"},
        {"risk_level": "extreme"},
    ],
)
def test_bad_filters_are_400_with_field_errors(world, api, params):
    response = api(world.dispatcher).get(url(), params)
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == set(params)


def test_a_bad_cursor_is_404(world, api):
    assert api(world.dispatcher).get(url(), {"cursor": "garbage"}).status_code == 404


def test_cursor_pagination_is_stable_and_complete(world, api, order_in, t0):
    made = [order_in("reported", start=t0) for _ in range(5)]  # equal reported_at: id breaks ties
    client = api(world.dispatcher)
    seen, page = [], client.get(url(), {"page_size": 2})
    while True:
        body = page.json()
        seen += [o["id"] for o in body["results"]]
        if not body["next"]:
            break
        # A new order arriving between pages must not shift what the cursor returns.
        order_in("reported", start=t0.replace(year=2027))
        page = client.get(body["next"])
    assert seen == sorted((o.pk for o in made), reverse=True)


def test_list_query_count_does_not_grow_with_orders(world, api, order_in):
    client = api(world.dispatcher)
    order_in("dispatched")
    client.get(url())  # the first request of a process also loads disputes.reference
    with CaptureQueriesContext(connection) as few:
        client.get(url())
    for _ in range(6):
        order_in("signed")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url())
    assert len(response.json()["results"]) == 7
    assert len(many) == len(few)


# --- report ------------------------------------------------------------------------------------


def test_report_creates_an_order_with_parties(world, api):
    response = api(world.reporter).post(url(), report_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == State.REPORTED
    assert body["number"].startswith("HB-")
    assert body["reporter"]["username"] == world.reporter.username
    assert [p["name"] for p in body["parties"]] == ["陈某", "林某"]
    order = Order.objects.get(pk=body["id"])
    assert order.parties.count() == 2
    assert order.events.get().kind == "reported"


def test_report_field_errors_are_400(world, api):
    client = api(world.reporter)
    missing = client.post(url(), {"title": "x"}, format="json")
    assert missing.status_code == 400
    assert {"narrative", "category", "community", "parties"} <= set(missing.json()["errors"])

    bad_phone = report_body(world, parties=[{"name": "陈某", "phone": "12345"}])
    response = client.post(url(), bad_phone, format="json")
    assert response.status_code == 400
    assert "parties[0].phone" in response.json()["errors"]  # the service's own check

    unknown = client.post(url(), report_body(world, category=987654), format="json")
    assert unknown.status_code == 400
    assert "category" in unknown.json()["errors"]

    not_community = client.post(url(), report_body(world, community=world.hb.pk), format="json")
    assert not_community.json()["errors"] == {"community": ["请选择一个社区。"]}
    assert Order.objects.count() == 0


def test_a_handler_may_report_and_sees_the_result(world, api):
    response = api(world.handler).post(url(), report_body(world), format="json")
    assert response.status_code == 201
    assert response.json()["state"] == State.REPORTED
    party = response.json()["parties"][0]
    # Not theirs to handle: the phone they typed shows, the ID number stays masked.
    assert party["phone"] == "13900001111" and "*" in party["id_number"]


def test_supervisors_may_not_report(world, api):
    response = api(world.supervisor).post(url(), report_body(world), format="json")
    assert response.status_code == 403
    assert api(world.nobody).post(url(), report_body(world), format="json").status_code == 403


# --- detail ------------------------------------------------------------------------------------


def test_out_of_scope_and_unknown_ids_are_404(world, api, order_in):
    order = order_in("dispatched")
    for user in [world.fl_dispatcher, world.committee_handler, world.other_reporter, world.nobody]:
        assert api(user).get(url(order.pk)).status_code == 404
    client = api(world.dispatcher)
    for bad in [order.pk + 1000, 0, "abc", "99999999999999999999999", "-1", "1.5", "٣"]:
        response = client.get(url(bad))
        assert response.status_code == 404, bad
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "who,phone,id_number",
    [
        ("dispatcher", True, True),
        ("handler", True, True),
        ("head", True, True),
        ("committee_handler", True, True),  # assisting unit
        ("reporter", True, False),  # typed the phone; the ID number stays masked
        ("supervisor", False, False),
        ("hb_supervisor", False, False),
        ("admin", False, False),
    ],
)
def test_party_contact_is_masked_except_for_handling_units_and_the_center(
    world, api, order_in, who, phone, id_number
):
    order = order_in("dispatched", assisting_units=[world.hb_committee])
    party = api(getattr(world, who)).get(url(order.pk)).json()["parties"][0]
    assert party["phone"] == ("13812345678" if phone else "138****5678")
    if id_number:
        assert party["id_number"] == valid_id_number()
    else:
        assert party["id_number"].startswith("3505") and "*" in party["id_number"]


def test_a_reporter_sees_no_other_reporters_order(world, api, order_in):
    order = order_in("dispatched")  # reported by world.reporter
    response = api(world.other_reporter).get(url(order.pk))
    assert response.status_code == 404 and "13812345678" not in response.content.decode()


def test_detail_lists_what_the_user_may_do_now(world, api, order_in):
    order = order_in("dispatched")
    assert api(world.handler).get(url(order.pk)).json()["actions"] == ["return", "sign"]
    assert api(world.dispatcher).get(url(order.pk)).json()["actions"] == [
        "add-assisting",
        "cancel",
        "merge",
        "reassign",
        "recolour",
        "return",
    ]
    # 督办 is the supervisors' one action.
    assert api(world.supervisor).get(url(order.pk)).json()["actions"] == ["direct"]


# --- actions -----------------------------------------------------------------------------------


def post(client, order, action, body=None):
    return client.post(url(order.pk, action), body or {}, format="json")


def test_dispatch(world, api, order_in):
    order = order_in("reported")
    body = {"lead_unit": world.hb_police.pk, "assisting_units": [world.hb_committee.pk]}
    assert post(api(world.reporter), order, "dispatch", body).status_code == 403
    assert post(api(world.handler), order, "dispatch", body).status_code == 404  # not yet theirs
    assert post(api(world.fl_dispatcher), order, "dispatch", body).status_code == 404
    assert post(api(world.dispatcher), order, "dispatch", {}).status_code == 400
    bad_unit = post(api(world.dispatcher), order, "dispatch", {"lead_unit": 99999})
    assert bad_unit.status_code == 400
    assert "lead_unit" in bad_unit.json()["errors"]
    response = post(api(world.dispatcher), order, "dispatch", body)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.DISPATCHED
    assert response.json()["assisting_units"][0]["id"] == world.hb_committee.pk
    again = post(api(world.dispatcher), order, "dispatch", body)
    assert again.status_code == 409
    assert again.json()["state"] == State.DISPATCHED


def test_reassign(world, api, order_in):
    order = order_in("dispatched")
    body = {"lead_unit": world.hb_labour.pk, "note": "劳资问题请劳动所处理"}
    assert post(api(world.handler), order, "reassign", body).status_code == 403
    assert post(api(world.fl_dispatcher), order, "reassign", body).status_code == 404
    response = post(api(world.dispatcher), order, "reassign", body)
    assert response.status_code == 200
    assert response.json()["lead_unit"]["id"] == world.hb_labour.pk
    signed = order_in("signed")
    conflict = post(api(world.dispatcher), signed, "reassign", body)
    assert conflict.status_code == 409
    assert conflict.json()["state"] == State.SIGNED


def test_sign_then_a_second_sign_is_409(world, api, order_in):
    order = order_in("dispatched")
    assert post(api(world.dispatcher), order, "sign").status_code == 403
    assert post(api(world.committee_handler), order, "sign").status_code == 404
    first = post(api(world.handler), order, "sign")
    assert first.status_code == 200
    assert first.json()["state"] == State.SIGNED
    second = post(api(world.handler2), order, "sign")
    assert second.status_code == 409
    assert second.json()["state"] == State.SIGNED
    assert "detail" in second.json()
    assert order.events.filter(kind="signed").count() == 1


def test_return(world, api, order_in):
    order = order_in("signed")
    assert post(api(world.handler), order, "return", {}).json()["errors"].keys() == {"reason"}
    assert post(api(world.reporter), order, "return", {"reason": "x"}).status_code == 403
    # The lead unit asks: 202, the order unchanged, the request pending.
    response = post(api(world.handler), order, "return", {"reason": "非本单位职责"})
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == State.SIGNED and body["final_assignment"] is False
    assert body["pending_return"]["reason"] == "非本单位职责"
    assert body["pending_return"]["unit"]["id"] == world.hb_police.pk
    assert body["pending_return"]["requested_by"]["id"] == world.handler.pk
    assert body["pending_return"]["review_due_at"] is not None
    assert "return" not in body["actions"]  # one request at a time
    again = post(api(world.handler), order, "return", {"reason": "再申请"})
    assert again.status_code == 409
    assert api(world.dispatcher).get(url(order.pk)).json()["actions"] == [
        "add-assisting",
        "cancel",
        "merge",
        "recolour",
        "return",
        "return-review",
    ]
    # The center approves: back to the queue.
    response = post(api(world.dispatcher), order, "return-review", {"approve": True})
    assert response.status_code == 200
    assert response.json()["state"] == State.REPORTED
    assert response.json()["lead_unit"] is None and response.json()["pending_return"] is None
    assert api(world.handler).get(url(order.pk)).status_code == 404
    conflict = post(api(world.dispatcher), order, "return", {"reason": "再退"})
    assert conflict.status_code == 409
    assert conflict.json()["state"] == State.REPORTED


def test_return_review_and_assistance_permissions(world, api, order_in):
    order = order_in("dispatched")
    post(api(world.handler), order, "return", {"reason": "非本单位职责"})
    review = {"approve": False, "note": "属本所职责"}
    for who in (world.reporter, world.handler, world.head, world.supervisor):
        assert post(api(who), order, "return-review", review).status_code == 403, who
    assert post(api(world.fl_dispatcher), order, "return-review", review).status_code == 404
    bad = post(api(world.dispatcher), order, "return-review", {"approve": "yes"})
    assert bad.status_code == 400 and "approve" in bad.json()["errors"]
    no_reason = post(api(world.dispatcher), order, "return-review", {"approve": False})
    assert no_reason.status_code == 400 and "note" in no_reason.json()["errors"]
    response = post(api(world.dispatcher), order, "return-review", review)
    assert response.status_code == 200
    assert response.json()["state"] == State.DISPATCHED
    assert response.json()["pending_return"] is None
    assert post(api(world.dispatcher), order, "return-review", review).status_code == 409
    # Not under final assignment: asking for assistance is not offered.
    assert post(api(world.handler), order, "ask-assistance", {"note": "x"}).status_code == 409
    assert post(api(world.dispatcher), order, "ask-assistance", {"note": "x"}).status_code == 403


def test_contact(world, api, order_in):
    order = order_in("signed")
    assert post(api(world.handler), order, "contact", {"method": "fax"}).status_code == 400
    future = {"method": "phone", "contacted_at": "2099-01-01T00:00:00+08:00"}
    assert post(api(world.handler), order, "contact", future).json()["errors"].keys() == {
        "contacted_at"
    }
    ancient = {"method": "phone", "contacted_at": "0001-01-01T00:00:00+14:00"}
    assert post(api(world.handler), order, "contact", ancient).status_code == 400
    assert post(api(world.dispatcher), order, "contact", {"method": "phone"}).status_code == 403
    response = post(api(world.handler), order, "contact", {"method": "phone", "note": "已联系"})
    assert response.status_code == 200
    assert response.json()["state"] == State.CONTACTED
    again = post(api(world.handler), order, "contact", {"method": "phone"})
    assert again.status_code == 409


def test_meet(world, api, order_in):
    order = order_in("contacted")
    body = {"place": "调解室", "participants": "双方", "result": "达成协议"}
    assert post(api(world.handler), order, "meet", {"place": "调解室"}).status_code == 400
    assert post(api(world.reporter), order, "meet", body).status_code == 403
    response = post(api(world.handler), order, "meet", body)
    assert response.status_code == 200
    assert response.json()["state"] == State.MET
    assert post(api(world.handler), order_in("signed"), "meet", body).status_code == 409


def test_close(world, api, order_in):
    """提交结单 over the API; the order closes once every confirmation is in."""
    order = order_in("met")
    body = {"outcome": "mediated", "summary": "分期付款", "grade": "ordinary", **AGREEMENT}
    no_terms = post(api(world.handler), order, "close", body | {"terms": ""})
    assert no_terms.status_code == 400
    assert no_terms.json()["errors"].keys() == {"terms"}
    no_grade = post(api(world.handler), order, "close", body | {"grade": ""})
    assert no_grade.json()["errors"].keys() == {"grade"}
    assert post(api(world.reporter), order, "close", body).status_code == 403
    response = post(api(world.handler), order, "close", body)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.CONFIRMING
    again = post(api(world.handler), order, "close", body)
    assert again.status_code == 409
    assert again.json()["state"] == State.CONFIRMING
    confirm_closing(order)
    assert api(world.handler).get(url(order.pk)).json()["state"] == State.CLOSED
    assert order.reviews.count() == 2


def test_cancel(world, api, order_in):
    order = order_in("reported")
    assert post(api(world.dispatcher), order, "cancel", {"reason": ""}).status_code == 400
    assert post(api(world.reporter), order, "cancel", {"reason": "重复"}).status_code == 403
    assert post(api(world.fl_dispatcher), order, "cancel", {"reason": "重复"}).status_code == 404
    response = post(api(world.dispatcher), order, "cancel", {"reason": "重复报单"})
    assert response.status_code == 200
    assert response.json()["state"] == State.CANCELLED
    again = post(api(world.dispatcher), order, "cancel", {"reason": "重复报单"})
    assert again.status_code == 409
    assert again.json()["state"] == State.CANCELLED


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_404_out_of_scope_and_for_bad_ids(world, api, order_in, action):
    order = order_in("reported", reporter=world.fl_reporter, community=world.fl_community)
    client = api(world.dispatcher)  # HB's dispatcher: FL's order is invisible
    assert post(client, order, action).status_code == 404
    for bad in ["abc", "99999999999999999999", "0"]:
        assert client.post(url(bad, action), {}, format="json").status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_403_for_a_supervisor(world, api, order_in, action):
    order = order_in("dispatched")  # visible to the city supervisor, who may only read
    response = post(api(world.supervisor), order, action, {"reason": "x", "method": "phone"})
    assert response.status_code in (400, 403)  # shape first, then role
    valid = {
        "dispatch": {"lead_unit": world.hb_police.pk},
        "reassign": {"lead_unit": world.hb_police.pk},
        "sign": {},
        "return": {"reason": "x"},
        "contact": {"method": "phone"},
        "meet": {"place": "p", "participants": "p", "result": "r"},
        "close": {"outcome": "withdrawn", "summary": "s"},
        "cancel": {"reason": "x"},
    }[action]
    assert post(api(world.supervisor), order, action, valid).status_code == 403


def test_a_full_walk_through_the_api(world, api):
    reporter, center, police = api(world.reporter), api(world.dispatcher), api(world.handler)
    order = reporter.post(url(), report_body(world), format="json").json()
    oid = order["id"]
    steps = [
        (center, "dispatch", {"lead_unit": world.hb_police.pk}),
        (police, "sign", {}),
        (police, "contact", {"method": "phone"}),
        (police, "meet", {"place": "调解室", "participants": "双方", "result": "和解"}),
    ]
    for client, action, body in steps:
        response = client.post(url(oid, action), body, format="json")
        assert response.status_code == 200, (action, response.content)
    proposed = police.post(
        url(oid, "close"), {"outcome": "withdrawn", "summary": "撤回"}, format="json"
    )
    assert proposed.json()["state"] == State.CONFIRMING
    confirm_closing(Order.objects.get(pk=oid))
    assert reporter.get(url(oid)).json()["state"] == State.CLOSED
    kinds = [e["kind"] for e in reporter.get(url(oid, "timeline")).json()]
    assert kinds[:6] == ["reported", "dispatched", "signed", "contacted", "met", "close_proposed"]
    assert kinds[-1] == "closed"


# --- timeline ----------------------------------------------------------------------------------


def test_timeline_in_and_out_of_scope(world, api, order_in):
    order = order_in("signed")
    response = api(world.reporter).get(url(order.pk, "timeline"))
    assert response.status_code == 200
    events = response.json()
    assert [e["kind"] for e in events] == ["reported", "dispatched", "signed"]
    assert events[1]["actor"]["username"] == world.dispatcher.username
    assert events[1]["data"]["lead_unit"] == world.hb_police.name
    assert events[1]["from_state"] == "reported" and events[1]["to_state"] == "dispatched"
    assert api(world.fl_dispatcher).get(url(order.pk, "timeline")).status_code == 404
    assert api(world.dispatcher).get(url("abc", "timeline")).status_code == 404
    assert OrderEvent.objects.filter(order=order).count() == 3


def test_police_incident_orders_name_their_incident(world, api, order_in):
    order = order_in("reported")
    assert api(world.dispatcher).get(url(order.pk)).json()["incidents"] == []
    assert Source.POLICE_INCIDENT == "police_incident"


@pytest.mark.parametrize(
    "query,field",
    [
        ("reported_before=", "reported_before"),
        ("category=", "category"),
        ("overdue=maybe", "overdue"),
        ("overdue=1", "overdue"),
        ("page_size=1&page_size=2", "page_size"),
        ("cursor=a&cursor=b", "cursor"),
        ("community=1&community=2", "community"),
    ],
)
def test_query_parameters_are_strict_for_machines(world, api, query, field):
    response = api(world.dispatcher).get(url() + "?" + query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_multiple_states_and_booleans_are_fine(world, api, order_in):
    order_in("reported")
    client = api(world.dispatcher)
    assert client.get(url() + "?state=reported&state=met").status_code == 200
    assert client.get(url() + "?overdue=false").status_code == 200


def test_search_by_a_party_phone(world, api, order_in):
    mine = order_in("signed", parties=[party_input(phone="13860712235")])
    order_in("signed", parties=[party_input(phone="13912345678")])
    client = api(world.dispatcher)
    for typed in ["13860712235", "138 6071 2235"]:
        assert numbers(client.get(url(), {"q": typed})) == {mine.number}
    assert numbers(client.get(url(), {"q": "6071"})) == set()


# --- the detail in one statement (PostgreSQL) ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prefetches")
def test_the_detail_in_one_statement_is_the_prefetched_one(
    world, order_in, incident_types, media_root
):
    order = order_in("closed", assisting_units=[world.hb_labour, world.hb_committee])
    for name, content in [("现场.jpg", camera_jpeg()), ("说明.txt", b"text")]:
        upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
        services.order_add_note(order_id=order.pk, actor=world.dispatcher, note="", upload=upload)
    for i in range(2):
        Incident.objects.create(
            number=f"J-{i}",
            received_at=order.reported_at - timedelta(minutes=i),
            type=incident_types["wages"],
            summary="欠薪",
            community=world.zk,
            order=order,
            created_at=order.reported_at,
        )
    prefetched = orders_api._detail_queryset(None).get(pk=order.pk)
    prefetched.children = orders_api._prefetched_children(prefetched)
    reference.attach([prefetched], *orders_api.REFERENCE_FIELDS)
    with CaptureQueriesContext(connection) as ctx:
        one = orders_api._detail_order(None, order.pk)
    assert len(ctx.captured_queries) == 1
    for in_full in (frozenset({"phone", "id_number"}), frozenset()):
        context = {"numbers_in_full": in_full, "actions": {order.pk: {"close"}}}
        expected = OrderDetailSerializer(prefetched, context=context).data
        assert OrderDetailSerializer(one, context=context).data == expected
    assert len(expected["assisting_units"]) == 2
    assert expected["incidents"] == ["J-0", "J-1"] and len(expected["attachments"]) == 2
    assert all(p["confirmed_at"] for p in expected["parties"])


def _detail_as_read(order_id: int, *, one_statement: bool) -> dict:
    """The detail's JSON from the one statement (which says which lists have rows) or
    with every list queried (``present`` unknown), as the view serializes it."""
    order = orders_api._detail_order(None, order_id)
    if not one_statement:
        order.children = dataclasses.replace(order.children, present=None)
    context = {
        "numbers_in_full": frozenset(),
        "actions": {order.pk: set()},
        "pauses": {order.pk: orders_api.order_pauses(order)},
    }
    return OrderDetailSerializer(order, context=context).data


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite queries every list")
def test_the_lists_read_apart_are_skipped_only_when_empty(world, api):
    """The one statement says which of the lists read apart (pauses, directives, reopened
    as, merged, scheduled and return visits) have rows; the detail is the same as when
    each is queried, with rows and without."""
    old = world.order(State.CLOSED)
    assert (
        api(world.handler)
        .post(
            f"/api/v1/orders/{old.pk}/return-visit/",
            {"satisfied": False, "follow_up": "reopen"},
            format="json",
        )
        .status_code
        == 200
    )
    new = Order.objects.get(reopened_from=old)
    present = orders_api._detail_order(None, old.pk).children.present
    assert {"reopened_as", "scheduled_visits", "return_visits"} <= present
    for order in (old, new):
        fast = _detail_as_read(order.pk, one_statement=True)
        assert fast == _detail_as_read(order.pk, one_statement=False)
    assert fast["reopened_as"] == [] and fast["reopened_from"]["id"] == old.pk
    assert orders_api._detail_order(None, new.pk).children.present == frozenset()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite prefetches")
def test_the_detail_of_an_order_without_lists_costs_five_statements(
    world, api, order_in, django_assert_max_num_queries
):
    """Token, the user's memberships, the order with its children, the repeat radar and
    the radar's visible matches: nothing per empty list."""
    order = order_in("signed")
    client = api(world.dispatcher)
    client.get(url(order.pk))
    with django_assert_max_num_queries(5):
        body = client.get(url(order.pk)).json()
    assert body["number"] == order.number
    for name in ("pauses", "directives", "reopened_as", "merged", "return_visits"):
        assert body[name] == [], name


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_state_display_is_the_models_label_in_the_active_language(language):
    from django.utils import translation

    field = OrderDetailSerializer().fields["state_display"]
    with translation.override(language):
        for state in State.values:
            assert field.to_representation(state) == Order(state=state).get_state_display()
