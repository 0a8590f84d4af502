"""A subject is linked to the parties of orders by the keyed hashes of the phone or ID
number, whichever side is saved first; the order page shows a 关爱对象 chip only to those
who see the subject in full, and no export reveals it."""

import io

import openpyxl
import pytest
from django.urls import reverse

from care.selectors import linked_orders, subjects_of_parties
from tests.care.conftest import ELDER_ID, ELDER_PHONE
from tests.factories import T0, party_input, valid_id_number

pytestmark = pytest.mark.django_db


def order_with(world, **party):
    return world.report(parties=[party_input(name="陈阿婆", **party)], now=T0)


def test_a_party_reported_later_with_the_subjects_phone_is_linked(world, elder):
    order = order_with(world, phone=ELDER_PHONE, id_number="")
    assert list(linked_orders(elder, world.reporter)) == [order]
    party = order.parties.get()
    assert subjects_of_parties([party], world.reporter) == {party.pk: elder}
    assert subjects_of_parties([party], world.dispatcher) == {}  # masked only: no link


def test_a_subject_registered_later_links_existing_parties_by_id_number(world, register):
    order = order_with(world, phone="13700007777", id_number=ELDER_ID.lower())
    other = order_with(world, phone="13700008888", id_number=valid_id_number())
    subject = register(phone="")
    assert list(linked_orders(subject, world.admin)) == [order]
    assert other not in linked_orders(subject, world.admin)


def test_linked_orders_are_only_those_the_viewer_may_see(world, elder):
    order = order_with(world, phone=ELDER_PHONE)
    assert list(linked_orders(elder, world.reporter)) == [order]  # reported it
    assert list(linked_orders(elder, world.handler)) == []  # not yet dispatched to it


def test_the_chip_shows_to_the_community_police_only(client, world, elder):
    order = order_with(world, phone=ELDER_PHONE)
    detail = reverse("order-detail", args=[order.pk])
    client.force_login(world.reporter)  # 曾坑 residents' committee: sees the subject
    page = client.get(detail).content.decode()
    assert "care-chip" in page and reverse("care:detail", args=[elder.pk]) in page
    client.force_login(world.dispatcher)  # the center sees the order, not the subject
    page = client.get(detail)
    assert page.status_code == 200 and "care-chip" not in page.content.decode()


def _cells(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        return body.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_export_reveals_care_status(client, world, elder, order_in, fmt):
    # A closed order of the month whose party is the subject: it is in every export.
    order = order_in("closed", parties=[party_input(name="陈阿婆", phone=ELDER_PHONE)])
    assert list(linked_orders(elder, world.admin)) == [order]
    client.force_login(world.admin)
    texts = []
    for name in ("reports:monthly", "reports:subsidy"):
        response = client.get(reverse(name), {"month": "2026-11", "format": fmt})
        assert response.status_code == 200, name
        texts.append(_cells(response))
    api = client.get(reverse("api-order-detail", args=[order.pk]))
    texts.append(api.content.decode())
    report = client.get(reverse("reports:monthly"), {"month": "2026-11"}).content.decode()
    assert "关爱走访" in report  # the page has the care section ...
    for text in texts:  # ... no export has any of it
        assert "关爱" not in text and "care" not in text.lower()
        assert "独居老人" not in text and "陈*" not in text
