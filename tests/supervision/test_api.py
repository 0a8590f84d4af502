"""``GET /api/v1/reports/monthly/?month=YYYY-MM[&street=…][&format=csv|xlsx]``."""

import csv
import io

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.supervision.conftest import AS_OF
from tests.supervision.test_monthly_figures import COMMITTEE, HB, TOTAL

# The month is built once for the module (conftest.month_snapshot).
pytestmark = pytest.mark.usefixtures("month_snapshot")

URL = "/api/v1/reports/monthly/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(AS_OF, tick=False):
        yield


@pytest.fixture
def api():
    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def as_json(figures: dict) -> dict:
    """The figures as the API sends them: Decimals become JSON numbers."""
    return {
        k: (float(v) if v is not None and not isinstance(v, int) else v) for k, v in figures.items()
    }


def test_anonymous_gets_401(db):
    response = APIClient().get(URL, {"month": "2026-11"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("who", ["handler", "head", "dispatcher", "reporter", "nobody"])
def test_non_supervisors_get_403(world, api, who):
    assert api(getattr(world, who)).get(URL, {"month": "2026-11"}).status_code == 403


def test_session_auth_works_too(world, client):
    client.force_login(world.supervisor)
    assert client.get(URL, {"month": "2026-11"}).status_code == 200
    client.force_login(world.handler)
    assert client.get(URL, {"month": "2026-11"}).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-1"}, "month"),
        ({"month": "2027-01"}, "month"),
        ({"month": "2026-11", "street": "HB"}, "street"),
        ({"month": "2026-11", "street": "0"}, "street"),
        ({"month": "2026-11", "street": "9" * 30}, "street"),
        ({"month": "2026-11", "format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(world, api, params, field):
    response = api(world.supervisor).get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["errors"]) == [field]


def test_a_bad_month_with_a_download_format_still_answers_json(world, api):
    response = api(world.supervisor).get(URL, {"month": "2026-13", "format": "xlsx"})
    assert response.status_code == 400
    assert response.json()["errors"]["month"]


def test_a_street_outside_the_jurisdiction_is_404(world, api):
    response = api(world.hb_supervisor).get(URL, {"month": "2026-11", "street": world.fl.pk})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_report_as_json(built_month, api):
    response = api(built_month.world.supervisor).get(URL, {"month": "2026-11"})
    assert response.status_code == 200
    data = response.json()
    assert data["month"] == "2026-11"
    assert data["jurisdiction"] == "石狮市"
    assert data["street"] is None
    assert data["as_of"] == "2026-12-05T12:00:00+08:00"
    assert {k: v for k, v in data["total"].items() if k not in ("id", "name")} == as_json(TOTAL)
    units = {u["name"]: u for u in data["units"]}
    committee = units.pop("曾坑社区人民调解委员会")
    assert committee["unit_kind"] == "mediation_committee"
    assert {k: committee[k] for k in COMMITTEE} == as_json(COMMITTEE)
    # The fair ranking: only 曾坑 had 5 cases; the others are listed, not ranked.
    assert [(r["unit"], r["rank"]) for r in data["ranking"]][:2] == [
        ("曾坑社区人民调解委员会", 1),
        ("石光社区人民调解委员会", None),
    ]
    assert data["ranking"][-1] | {"unit_id": None} == {
        "rank": None,
        "ranked": False,
        "unit_id": None,
        "unit": "湖滨派出所",
        "cases": 3,
        "score": 51.7,
        "fair_score": 73.5,
        "previous_score": 76.5,
        "score_change": -24.8,
        "previous_fair_score": 63.1,
        "fair_score_change": 10.4,
        "previous_rank": None,
        "rank_change": None,
    }
    assert len(data["trend"]) == 12
    assert data["trend"][-1] == {
        "month": "2026-11",
        "dispatch_rate": 92.9,  # 13 of 14: K waits in the queue past its due time
        "sign_rate": 76.9,
        "contact_rate": 90.9,
        "meet_rate": 81.8,
        "success_rate": 77.8,
        "good_rate": 60.0,
    }


def test_a_street_supervisor_gets_its_street(built_month, api):
    w = built_month.world
    data = api(w.hb_supervisor).get(URL, {"month": "2026-11"}).json()
    assert data["jurisdiction"] == "湖滨街道"
    assert [s["name"] for s in data["streets"]] == ["湖滨街道"]
    assert {k: v for k, v in data["total"].items() if k not in ("id", "name")} == as_json(HB)
    narrowed = api(w.supervisor).get(URL, {"month": "2026-11", "street": w.hb.pk}).json()
    assert narrowed["street"] == w.hb.pk
    assert narrowed["total"] == data["total"]


def test_the_report_as_csv(built_month, api):
    response = api(built_month.world.supervisor).get(URL, {"month": "2026-11", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="monthly-report-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["月份", "类别", "名称", "单位类型", "报单数"]
    total = dict(zip(rows[0], rows[1], strict=True))
    assert (total["名称"], total["报单数"], total["综合得分"]) == ("合计", "14", "78.3")


def test_the_report_as_xlsx(built_month, api):
    response = api(built_month.world.supervisor).get(URL, {"month": "2026-11", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    wb = load_workbook(io.BytesIO(response.content))
    streets = list(wb["街道"].iter_rows(values_only=True))
    assert streets[0][:3] == ("街道", "报单数", "其中撤销")
    assert streets[-1][:4] == ("合计", 14, 1, 12)


def test_the_accept_header_may_ask_for_csv(built_month, api):
    response = api(built_month.world.supervisor).get(
        URL, {"month": "2026-11"}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_the_schema_documents_the_endpoint(world, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    operation = schema.json()["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"month", "street", "format"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
