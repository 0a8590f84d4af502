"""The joint closing over the API: propose (close), record in person (closing-confirm,
multipart with the photo), sign off (closing-sign), withdraw, close past the limit, and
read the closings; who may call each, what a stranger learns, bad bodies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes.models import ClosingProposal, Order, State
from tests.conftest import needs_pdf
from tests.factories import AGREEMENT
from tests.images import image_bytes

pytestmark = pytest.mark.django_db


def url(order, action=""):
    return f"/api/v1/orders/{order.pk}/" + (f"{action}/" if action else "")


def test_propose_sign_and_read_the_closing(world, api, order_in):
    order = order_in(State.MET)
    client = api(world.handler)
    assert "close" in client.get(url(order)).json()["actions"]
    missing = client.post(
        url(order, "close"),
        {"outcome": "mediated", "summary": "达成协议", "grade": "simple"},
        format="json",
    )
    assert missing.status_code == 400
    assert {"facts", "terms", "performance"} <= set(missing.json()["errors"])
    bad_date = client.post(
        url(order, "close"),
        {"outcome": "mediated", "summary": "x", "grade": "simple", "perform_by": "明天"},
        format="json",
    )
    assert bad_date.status_code == 400 and "perform_by" in bad_date.json()["errors"]
    ok = client.post(
        url(order, "close"),
        {"outcome": "mediated", "summary": "达成协议", "grade": "simple", **AGREEMENT},
        format="json",
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["state"] == "confirming"
    assert {"closing-confirm", "closing-withdraw"} <= set(body["actions"])
    assert "closing-sign" not in body["actions"]  # the handler does not sign off

    closings = client.get(url(order, "closings")).json()
    assert [c["status"] for c in closings] == ["pending"]
    assert closings[0]["agreement_pdf"].endswith(f"/closings/{closings[0]['id']}/agreement/")
    assert all("token" not in c for c in closings[0]["confirmations"])
    # Another street's handler learns nothing of it, nor of a guessed proposal.
    assert api(world.fl_handler).get(closings[0]["agreement_pdf"]).status_code == 404
    guessed = f"/api/v1/orders/{order.pk}/closings/{closings[0]['id'] + 1}/agreement/"
    assert client.get(guessed).status_code == 404
    for junk in ("null%2Cnull", "-1", "0.5", "9" * 30):  # the API's JSON 404, never Django's page
        bad = client.get(f"/api/v1/orders/{order.pk}/closings/{junk}/agreement/")
        assert bad.status_code == 404 and bad["Content-Type"] == "application/json"

    assert "closing-sign" in api(world.reporter).get(url(order)).json()["actions"]
    assert (
        api(world.reporter).post(url(order, "closing-sign"), {}, format="json").status_code == 200
    )
    again = api(world.reporter).post(url(order, "closing-sign"), {}, format="json")
    assert again.status_code == 409
    assert api(world.fl_handler).get(url(order, "closings")).status_code == 404


def test_in_person_confirmation_takes_the_photo_as_multipart(world, api, order_in):
    order = order_in(State.CONFIRMING)
    client = api(world.handler)
    party = order.parties.first()
    no_photo = client.post(url(order, "closing-confirm"), {"party": party.pk}, format="json")
    assert no_photo.status_code == 400 and "file" in no_photo.json()["errors"]
    refusal = {"party": party.pk, "confirm": False}
    no_reason = client.post(url(order, "closing-confirm"), refusal, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    upload = {
        "party": party.pk,
        "file": SimpleUploadedFile("signed.png", image_bytes("PNG"), "image/png"),
    }
    ok = client.post(url(order, "closing-confirm"), upload, format="multipart")
    assert ok.status_code == 200, ok.json()
    confirmations = client.get(url(order, "closings")).json()[0]["confirmations"]
    mine = next(c for c in confirmations if c["party"] == party.pk)
    assert (mine["answer"], mine["how"]) == ("confirmed", "in_person")
    stranger = world.report().parties.first()
    other = client.post(
        url(order, "closing-confirm"),
        {"party": stranger.pk, "confirm": False, "reason": "x"},
        "json",
    )
    assert other.status_code == 400 and "party" in other.json()["errors"]


@pytest.mark.parametrize(
    ("who", "action", "code"),
    [
        ("supervisor", "closing-sign", 403),
        ("handler", "closing-sign", 403),
        ("handler", "close-overdue", 403),
        ("reporter", "closing-withdraw", 403),
        ("fl_handler", "closing-withdraw", 404),
        ("fl_dispatcher", "closing-sign", 404),
    ],
)
def test_who_may_call_the_closing_endpoints(world, api, order_in, who, action, code):
    order = order_in(State.CONFIRMING)
    response = api(getattr(world, who)).post(url(order, action), {"reason": "x"}, format="json")
    assert response.status_code == code
    assert Order.objects.get(pk=order.pk).state == State.CONFIRMING


def test_overdue_close_before_the_limit_is_a_conflict(world, api, order_in):
    order = order_in(State.MET)
    client = api(world.handler)
    client.post(
        url(order, "close"),
        {"outcome": "withdrawn", "summary": "当事人撤回"},
        format="json",
    )
    early = api(world.dispatcher).post(url(order, "close-overdue"), {"reason": "久未确认"}, "json")
    assert early.status_code == 409
    assert ClosingProposal.objects.get(order=order).status == "pending"
    withdrawn = client.post(url(order, "closing-withdraw"), {}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "met"


@needs_pdf
def test_the_agreement_pdf_downloads(world, api, order_in):
    order = order_in(State.CONFIRMING)
    [closing] = api(world.dispatcher).get(url(order, "closings")).json()
    pdf = api(world.supervisor).get(closing["agreement_pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
