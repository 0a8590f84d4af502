"""Party phone and ID numbers outside the pages and the API (issue 8): never in full in a
log line, nor in any export.

The pages and the API mask them per role (tests/web/test_scope.py,
tests/api/test_orders.py). Here: the logs' safety net (``shishi_mediation.logs.MaskFilter``
on the console handler, whoever logs) and every download the project offers.
"""

import io
import json
import logging
import zipfile
from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.models import Profile, Role
from disputes import services
from disputes.incidents import IncidentInput, incident_receive
from disputes.models import Grade, IncidentType, Order, State
from notifications.delivery import deliver_due
from shishi_mediation.logs import mask_numbers
from shishi_mediation.validators import mask_id_number, mask_phone
from supervision.models import SubsidyTier
from tests.factories import T0, UnitFactory, party_input, user_with_role, valid_id_number
from tests.test_logs import capture_log_lines

# Not 13812345678: the phone validator's message quotes that one as an example.
PHONE = "13923456781"
ID_NUMBER = valid_id_number()
SECRETS = (PHONE, ID_NUMBER)


@pytest.fixture
def log_lines():
    with capture_log_lines() as lines:
        yield lines


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # throttles and the login lockout's counts
    yield
    cache.clear()


def assert_no_full_numbers(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in full in {where}"


# --- the safety net ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, masked",
    [
        ("call 13812345678", "call 138****5678"),
        (f"call {PHONE}", f"call {mask_phone(PHONE)}"),
        ("+86 138 1234 5678 or 138-1234-5678", "+86 138****5678 or 138****5678"),
        ("8613812345678", "86138****5678"),
        (f"id {ID_NUMBER}.", f"id {mask_id_number(ID_NUMBER)}."),
        ("id 35058119900101001X", "id 3505**********001X"),
        ("landline 0595-88881234", "landline " + mask_phone("0595-88881234")),
        # Not numbers of a person: left alone.
        ("order HB-202611-00042, delivery 17", "order HB-202611-00042, delivery 17"),
        ("at 2026-11-10T09:00:00+08:00", "at 2026-11-10T09:00:00+08:00"),
        ("epoch ms 1731234567890", "epoch ms 1731234567890"),
        ("token 9f3b13812345678aa", "token 9f3b13812345678aa"),  # part of a hex id
        ("电话13812345678。", "电话138****5678。"),
        ("phone=13812345678&x", "phone=138****5678&x"),
    ],
)
def test_mask_numbers(text, masked):
    assert mask_numbers(text) == masked


def test_whatever_is_logged_the_line_has_only_masked_numbers(log_lines):
    log = logging.getLogger("any.module")
    log_lines.mark()
    log.warning("party %s, ID %s", PHONE, ID_NUMBER)
    log.info({"phone": PHONE})  # not a string: formatted, then masked
    try:
        raise ValueError(f"bad party {PHONE} / {ID_NUMBER}")
    except ValueError:
        log.exception("import failed")
    raw = "\n".join(log_lines.raw())
    assert_no_full_numbers(raw, "the log")
    lines = log_lines()
    assert lines[0]["message"] == f"party {mask_phone(PHONE)}, ID {mask_id_number(ID_NUMBER)}"
    assert mask_phone(PHONE) in lines[1]["message"]
    assert mask_phone(PHONE) in lines[2]["exc"] and mask_id_number(ID_NUMBER) in lines[2]["exc"]


def sms_gateway_refuses(delivery):
    """An SMS channel whose gateway echoes the number it refused (as real ones do)."""
    raise RuntimeError(f"gateway refused +86{PHONE}: quota exceeded (ID {ID_NUMBER})")


def test_a_party_through_the_services_and_the_api_is_never_logged_in_full(
    world, log_lines, settings
):
    settings.NOTIFICATION_CHANNELS = ["sms"]
    settings.NOTIFICATION_SENDERS = {"sms": f"{__name__}.sms_gateway_refuses"}
    for user in (world.handler, world.handler2, world.head):  # SMS reaches a mobile only
        Profile.objects.create(user=user, phone="13900000000")
    api = APIClient()
    api.force_authenticate(world.reporter)
    log_lines.mark()
    party = {"name": "王某", "phone": PHONE, "id_number": ID_NUMBER}
    bad = api.post("/api/v1/orders/", {"title": "", "parties": [party]}, format="json")
    assert bad.status_code == 400
    created = api.post(
        "/api/v1/orders/",
        {
            "title": f"欠薪 {PHONE}",  # typed into free text, too
            "narrative": f"工人王某（身份证 {ID_NUMBER}）反映拖欠工资。",
            "category": world.wages.pk,
            "community": world.zk.pk,
            "parties": [party],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    order = Order.objects.get(pk=created.json()["id"])
    assert order.parties.get().phone == PHONE  # stored in full; only the logs mask
    dispatcher = APIClient()
    dispatcher.force_authenticate(world.dispatcher)
    url = f"/api/v1/orders/{order.pk}/dispatch/"
    assert dispatcher.post(url, {"lead_unit": world.hb_police.pk}, format="json").status_code == 200
    assert deliver_due(now=timezone.now()).retried > 0

    raw = "\n".join(log_lines.raw())
    assert "gateway refused" in raw and "Bad Request" in raw
    assert_no_full_numbers(raw, "the log")
    assert mask_phone(PHONE) in raw


def test_a_phone_number_as_username_is_masked_in_lockout_lines(world, log_lines):
    log_lines.mark()
    for _ in range(6):
        Client().post(
            "/accounts/login/", {"username": PHONE, "password": "wrong"}, REMOTE_ADDR="10.0.0.7"
        )
        APIClient().post(
            "/api/v1/auth/token/",
            {"username": ID_NUMBER, "password": "wrong"},
            format="json",
            REMOTE_ADDR="10.0.0.8",
        )
    raw = "\n".join(log_lines.raw())
    assert "AXES" in raw
    assert_no_full_numbers(raw, "the log")


# --- exports ----------------------------------------------------------------------------------

AS_OF = datetime.fromisoformat("2026-12-05T12:00:00+08:00")


def export_texts(response) -> str:
    """A download as text: a CSV as it is, an XLSX as all its XML parts together."""
    if response["Content-Type"].startswith("text/csv"):
        return response.content.decode("utf-8-sig")
    if "spreadsheetml" in response["Content-Type"]:
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "\n".join(book.read(name).decode() for name in book.namelist())
    return json.dumps(response.json(), ensure_ascii=False)


@pytest.fixture
def mediated_in_november(world):
    """A wages dispute mediated by the 曾坑 committee in November 2026: counted in the
    monthly report and paid in the subsidy statement."""
    SubsidyTier.objects.create(
        grade=Grade.ORDINARY, amount=Decimal("100"), effective_from=T0.date()
    )
    order = world.order(
        State.CLOSED,
        lead_unit=world.hb_committee,
        signer=world.committee_handler,
        parties=[party_input(phone=PHONE, id_number=ID_NUMBER)],
    )
    # Paid once the center confirmed its grade (等级审核).
    services.order_grade_review(order_id=order.pk, actor=world.dispatcher, grade=order.grade)
    return order


EXPORTS = [
    ("web", "/reports/monthly/?month=2026-11&format=csv"),
    ("web", "/reports/monthly/?month=2026-11&format=xlsx"),
    ("web", "/reports/subsidy/?month=2026-11&format=xlsx"),
    ("web", "/reports/subsidy/?month=2026-11&format=csv"),
    ("api", "/api/v1/reports/monthly/?month=2026-11&format=csv"),
    ("api", "/api/v1/reports/monthly/?month=2026-11&format=xlsx"),
    ("api", "/api/v1/reports/monthly/?month=2026-11"),
]


@pytest.mark.parametrize("kind, url", EXPORTS, ids=[url for _k, url in EXPORTS])
def test_exports_hold_no_party_numbers(world, mediated_in_november, kind, url):
    """The exports are figures per street and unit, and the subsidy's cases by number and
    title: no party data at all, so neither full nor masked numbers."""
    with time_machine.travel(AS_OF, tick=False):
        if kind == "web":
            client = Client()
            client.force_login(world.supervisor)
        else:
            client = APIClient()
            client.force_authenticate(world.supervisor)
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    text = export_texts(response)
    assert_no_full_numbers(text, url)
    assert mask_phone(PHONE) not in text and mask_id_number(ID_NUMBER) not in text
    assert "王某" not in text  # no party names either
    if "subsidy" in url and "xlsx" in url:
        assert mediated_in_november.number in text  # the case is in it: the check means something


# --- found, not fixed here --------------------------------------------------------------------


def test_an_incident_callers_phone_is_masked_for_a_supervisor(world):
    room = UnitFactory(police_station=True, name="石狮市公安局指挥中心", area=world.city)
    command = user_with_role(Role.REPORTER, room, username="command")
    IncidentType.objects.create(
        code="JF-LZ", name="劳资纠纷", is_dispute=True, category=world.wages
    )
    with mock.patch("notifications.tasks.deliver_notifications.apply_async"):
        result = incident_receive(
            actor=command,
            data=IncidentInput(
                number="J3505812026111000123",
                received_at=T0,
                type_code="JF-LZ",
                summary="工人报警称工地拖欠三个月工资",
                community="HB/ZK",
                address="曾坑村 12 号",
                caller_name="王某",
                caller_phone=PHONE,
            ),
            now=T0,
        )
    api = APIClient()
    api.force_authenticate(world.supervisor)
    detail = api.get(f"/api/v1/orders/{result.incident.order_id}/").json()
    assert detail["parties"][0]["phone"] == mask_phone(PHONE)  # the party field is masked…
    assert PHONE not in json.dumps(detail, ensure_ascii=False)  # …the narrative is not


def test_import_rejects_show_no_full_numbers(world, tmp_path):
    room = UnitFactory(police_station=True, name="石狮市公安局指挥中心", area=world.city)
    user_with_role(Role.REPORTER, room, username="command")
    IncidentType.objects.create(
        code="JF-LZ", name="劳资纠纷", is_dispute=True, category=world.wages
    )
    header = "number,received_at,type,summary,address,community,caller_name,caller_phone\n"
    rows = [
        f"J010,2026-11-10 09:30,JF-LZ,欠薪,王某,{PHONE}",  # no address: columns slip left
        f"J011,{ID_NUMBER},JF-LZ,欠薪,,HB/ZK,王某,{PHONE}",  # the ID typed into the time
        f"J012,2026-11-10 09:30,JF-LZ,欠薪,,HB/ZK,王某,{PHONE}0",  # a phone too long
        f"J013,2026-11-10 09:30,JF-LZ,欠薪,,HB/ZK,王某,{ID_NUMBER}",  # the ID as the phone
    ]
    path = tmp_path / "incidents.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_incidents", str(path), stdout=out)
    assert "rejected 4" in out.getvalue()
    assert_no_full_numbers(out.getvalue(), "the import's output")
