"""Each role sees only its scope (404 outside it), only the buttons it may press, and
party contacts masked unless it is the handling unit or the center."""

import pytest
from django.urls import reverse

from disputes.models import State
from shishi_mediation.validators import mask_id_number, mask_phone
from tests.factories import valid_id_number

from .conftest import html

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def action_urls(order) -> dict[str, str]:
    names = {
        "dispatch": "order-dispatch",
        "reassign": "order-reassign",
        "cancel": "order-cancel",
        "sign": "order-sign",
        "return": "order-return",
        "contact": "order-contact",
        "meet": "order-meet",
        "close": "order-close",
    }
    return {action: reverse(name, args=[order.pk]) for action, name in names.items()}


def buttons(page: str, order) -> set[str]:
    return {action for action, url in action_urls(order).items() if f'"{url}"' in page}


# --- the order page -------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("reporter", 200),  # reported it
        ("other_reporter", 404),
        ("dispatcher", 200),  # HB center
        ("fl_dispatcher", 404),
        ("handler", 200),  # HB police is the lead unit
        ("head", 200),
        ("committee_handler", 404),  # neither lead nor assisting
        ("labour_handler", 200),  # assisting
        ("fl_handler", 404),
        ("supervisor", 200),  # city
        ("hb_supervisor", 200),
        ("nobody", 404),
        ("admin", 200),
    ],
)
def test_order_page_is_404_outside_the_scope(world, order_in, as_user, who, status):
    order = order_in(State.SIGNED, assisting_units=[world.hb_labour])
    response = as_user(getattr(world, who)).get(reverse("order-detail", args=[order.pk]))
    assert response.status_code == status
    if status == 404:
        assert order.number not in html(response)
        assert "订单不存在或无权查看" in html(response)


def test_anonymous_users_are_sent_to_login(world, order_in, client):
    order = order_in(State.REPORTED)
    for url in [
        reverse("order-detail", args=[order.pk]),
        reverse("board"),
        reverse("queue"),
        reverse("report"),
        reverse("order-dispatch", args=[order.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_missing_or_absurd_id_is_404(world, as_user):
    client = as_user(world.admin)
    assert client.get("/orders/999999/").status_code == 404
    assert client.get("/orders/99999999999999999999999999/").status_code == 404
    assert client.post("/orders/99999999999999999999999999/sign/").status_code == 404
    assert client.get("/attachments/99999999999999999999999999/").status_code == 404


@pytest.mark.parametrize(
    "state, who, expected",
    [
        (State.REPORTED, "dispatcher", {"dispatch", "cancel"}),
        (State.REPORTED, "handler", set()),
        (State.REPORTED, "reporter", set()),
        (State.DISPATCHED, "dispatcher", {"reassign", "return", "cancel"}),
        (State.DISPATCHED, "handler", {"sign", "return"}),
        (State.DISPATCHED, "head", {"sign", "return"}),
        (State.DISPATCHED, "labour_handler", set()),  # assisting: notes only
        (State.DISPATCHED, "reporter", set()),
        (State.DISPATCHED, "supervisor", set()),
        (State.SIGNED, "handler", {"return", "contact"}),
        (State.SIGNED, "dispatcher", {"return", "cancel"}),
        (State.CONTACTED, "handler", {"meet"}),
        (State.MET, "handler", {"close"}),
        (State.MET, "dispatcher", {"close", "cancel"}),
        (State.CLOSED, "handler", set()),
        (State.CLOSED, "dispatcher", set()),
        (State.CANCELLED, "dispatcher", set()),
    ],
)
def test_only_allowed_buttons_show(world, order_in, as_user, state, who, expected):
    order = order_in(state, assisting_units=[world.hb_labour] if state != State.REPORTED else ())
    page = html(as_user(getattr(world, who)).get(reverse("order-detail", args=[order.pk])))
    assert buttons(page, order) == expected


def test_a_named_assignee_is_the_only_handler_who_may_sign(world, order_in, as_user):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    url = reverse("order-detail", args=[order.pk])
    assert "sign" in buttons(html(as_user(world.handler).get(url)), order)
    assert "sign" not in buttons(html(as_user(world.handler2).get(url)), order)
    assert "sign" in buttons(html(as_user(world.head).get(url)), order)  # unit head


def test_note_and_return_visit_forms_follow_the_roles(world, order_in, as_user):
    order = order_in(State.CLOSED)
    url = reverse("order-detail", args=[order.pk])
    visit_url = reverse("order-return-visit", args=[order.pk])
    note_url = reverse("order-note", args=[order.pk])
    police = html(as_user(world.handler).get(url))
    assert visit_url in police and note_url in police
    reporter = html(as_user(world.reporter).get(url))
    assert note_url in reporter and visit_url not in reporter
    supervisor = html(as_user(world.supervisor).get(url))
    assert note_url not in supervisor and visit_url not in supervisor


# --- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, phone, id_number",
    [
        ("dispatcher", True, True),  # the center
        ("handler", True, True),  # lead unit
        ("handler2", True, True),  # lead unit, though not the named assignee
        ("labour_handler", True, True),  # assisting unit
        ("reporter", True, False),  # typed the phone; the ID number stays masked
        ("supervisor", False, False),
        ("admin", False, False),
    ],
)
def test_party_contacts_are_masked_except_for_the_handling_unit_and_center(
    world, order_in, as_user, who, phone, id_number
):
    order = order_in(State.SIGNED, assignee=world.handler, assisting_units=[world.hb_labour])
    page = html(as_user(getattr(world, who)).get(reverse("order-detail", args=[order.pk])))
    number = valid_id_number()
    assert (PHONE in page) is phone
    assert (f'href="tel:{PHONE}"' in page) is phone
    assert (mask_phone(PHONE) in page) is not phone
    assert (number in page) is id_number
    assert (mask_id_number(number) in page) is not id_number


# --- lists ------------------------------------------------------------------------------


@pytest.fixture
def spread(world, order_in):
    """Orders in both streets and several states."""
    return {
        "hb_queued": order_in(State.REPORTED),
        "hb_police": order_in(State.SIGNED),
        "hb_committee": order_in(State.DISPATCHED, lead_unit=world.hb_committee),
        "hb_closed": order_in(State.CLOSED),
        "fl_queued": order_in(
            State.REPORTED, reporter=world.fl_reporter, community=world.fl_community
        ),
        "fl_open": order_in(
            State.DISPATCHED, reporter=world.fl_reporter, community=world.fl_community
        ),
    }


def listed(page: str, spread, *names) -> set[str]:
    return {name for name, o in spread.items() if o.number in page} & (set(names) or set(spread))


@pytest.mark.parametrize(
    "who, url, expected",
    [
        ("dispatcher", "queue", {"hb_queued"}),
        ("fl_dispatcher", "queue", {"fl_queued"}),
        ("dispatcher", "board", {"hb_queued", "hb_police", "hb_committee"}),
        ("fl_dispatcher", "board", {"fl_queued", "fl_open"}),
        ("handler", "handling", {"hb_police"}),
        ("committee_handler", "handling", {"hb_committee"}),
        ("committee_handler", "board", {"hb_committee"}),
        ("reporter", "my-reports", {"hb_queued", "hb_police", "hb_committee", "hb_closed"}),
        ("fl_reporter", "my-reports", {"fl_queued", "fl_open"}),
        ("hb_supervisor", "board", {"hb_queued", "hb_police", "hb_committee"}),
        (
            "supervisor",
            "order-list",
            {"hb_queued", "hb_police", "hb_committee", "hb_closed", "fl_queued", "fl_open"},
        ),
        ("nobody", "order-list", set()),
    ],
)
def test_lists_show_only_the_scope(world, spread, as_user, who, url, expected):
    response = as_user(getattr(world, who)).get(reverse(url))
    assert response.status_code == 200
    assert listed(html(response), spread) == expected


def test_the_queue_is_for_dispatchers(world, as_user):
    for who in ("handler", "reporter", "supervisor"):
        assert as_user(getattr(world, who)).get(reverse("queue")).status_code == 403


def test_handling_list_offers_one_tap_sign_only_where_allowed(world, order_in, as_user):
    mine = order_in(State.DISPATCHED, assignee=world.handler)
    colleagues = order_in(State.DISPATCHED, assignee=world.handler2)
    signed = order_in(State.SIGNED)
    page = html(as_user(world.handler).get(reverse("handling")))
    assert reverse("order-sign", args=[mine.pk]) in page
    assert reverse("order-sign", args=[colleagues.pk]) not in page
    assert reverse("order-sign", args=[signed.pk]) not in page
    assert reverse("order-contact", args=[signed.pk]) in page


@pytest.mark.parametrize(
    "who, target",
    [
        ("dispatcher", "queue"),
        ("handler", "handling"),
        ("reporter", "my-reports"),
        ("supervisor", "overview"),
        ("admin", "overview"),
    ],
)
def test_home_sends_each_role_to_its_page(world, as_user, who, target):
    response = as_user(getattr(world, who)).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_a_user_without_a_role_is_told_so(world, as_user):
    response = as_user(world.nobody).get(reverse("home"))
    assert response.status_code == 200
    assert "尚未分配角色" in html(response)


def test_header_shows_units_roles_and_unread_count(world, order_in, as_user):
    order_in(State.DISPATCHED)  # the police station's handlers are told
    page = html(as_user(world.handler).get(reverse("handling")))
    assert "湖滨派出所 · 办理人" in page
    assert 'id="unread-count"' in page
    assert "张警官" in page  # display name, surname first (here only a first name)


def test_supervisor_overview_counts_per_street_and_state(world, spread, as_user):
    page = html(as_user(world.hb_supervisor).get(reverse("overview")))
    assert "湖滨街道" in page and "凤里街道" not in page
    page = html(as_user(world.supervisor).get(reverse("overview")))
    assert "湖滨街道" in page and "凤里街道" in page
    hb = page.split('data-street="湖滨街道"')[1].split("</tr>")[0]
    assert '<td data-state="closed"><a' in hb
    assert 'state=closed">1</a>' in hb
    assert '<td data-state="total"><a href="/orders/?street=' in hb
    assert ">4</a></td>" in hb.split('data-state="total"')[1]
