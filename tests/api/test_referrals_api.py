"""``POST /api/v1/orders/{id}/referral-result/`` and ``GET …/referral-results/`` (移交跟踪)."""

import pytest
import yaml

from disputes.models import Outcome, ReferralResult, State

pytestmark = pytest.mark.django_db

RESULT = {
    "body": "石狮市人民法院",
    "case_number": "(2026)闽0581民初1234号",
    "outcome": "accepted",
    "decided_on": "2026-11-20",
}


def url(order, path: str) -> str:
    return f"/api/v1/orders/{order.pk}/{path}/"


@pytest.fixture
def referred(world):
    return world.order(State.CLOSED, outcome=Outcome.FAILED)  # to court, by 湖滨派出所


def test_the_lead_unit_records_a_result_and_everyone_who_sees_it_reads_it(world, api, referred):
    handler = api(world.handler)
    assert "referral-result" in handler.get(f"/api/v1/orders/{referred.pk}/").json()["actions"]
    before = api(world.dispatcher).get(url(referred, "referral-results")).json()
    assert (before["referral"], before["due_at"], before["on_time"], before["results"]) == (
        "court",
        "2026-12-11T10:00:00+08:00",
        None,
        [],
    )
    response = handler.post(url(referred, "referral-result"), RESULT, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == State.CLOSED
    follow_up = api(world.supervisor).get(url(referred, "referral-results")).json()
    assert (follow_up["on_time"], follow_up["finished"]) == (True, False)
    (result,) = follow_up["results"]
    assert {k: result[k] for k in RESULT} == RESULT
    assert result["final"] is False and result["recorded_by"]["username"] == "police"
    kinds = [e["kind"] for e in handler.get(url(referred, "timeline")).json()]
    assert kinds[-1] == "referral_result"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("fl_handler", 404),
        ("committee_handler", 404),
        ("dispatcher", 403),
        ("supervisor", 403),
        ("reporter", 403),
        ("head", 200),
        ("handler2", 200),
    ],
)
def test_who_may_record(world, api, referred, who, status):
    response = api(getattr(world, who)).post(
        url(referred, "referral-result"), RESULT, format="json"
    )
    assert response.status_code == status, response.content
    assert ReferralResult.objects.count() == (1 if status == 200 else 0)


def test_an_outsider_cannot_read_the_results(world, api, referred):
    assert api(world.fl_handler).get(url(referred, "referral-results")).status_code == 404


def test_an_order_not_closed_is_a_409(world, api):
    order = world.order(State.MET)
    response = api(world.handler).post(url(order, "referral-result"), RESULT, format="json")
    assert response.status_code == 409 and response.json()["state"] == State.MET


def test_after_a_final_result_another_is_a_409(world, api, referred):
    client = api(world.handler)
    final = {**RESULT, "outcome": "judged"}
    assert client.post(url(referred, "referral-result"), final, format="json").status_code == 200
    assert "referral-result" not in client.get(f"/api/v1/orders/{referred.pk}/").json()["actions"]
    response = client.post(url(referred, "referral-result"), RESULT, format="json")
    assert response.status_code == 409
    assert ReferralResult.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"decided_on": "2026-11-10"}, "decided_on"),  # before the closing (11-11)
        ({"decided_on": "2099-01-01"}, "decided_on"),  # in the future
        ({"decided_on": "20 November"}, "decided_on"),
        ({"decided_on": 20261120}, "decided_on"),
        ({"body": ""}, "body"),
        ({"body": 7}, "body"),
        ({"outcome": "won"}, "outcome"),
        ({"case_number": ""}, "case_number"),
        ({"outcome": "confirmed"}, "outcome"),  # a court's 司法确认 only
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, api, referred, change, field):
    body = {**RESULT, **change}
    response = api(world.handler).post(url(referred, "referral-result"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ReferralResult.objects.exists()


def test_the_schema_documents_both_endpoints(anon):
    schema = yaml.safe_load(anon.get("/api/schema/").content)
    post = schema["paths"]["/api/v1/orders/{id}/referral-result/"]["post"]
    assert post["summary"] == "记录移交结果"
    assert {"400", "403", "404", "409"} <= set(post["responses"])
    assert "/api/v1/orders/{id}/referral-results/" in schema["paths"]
    schemas = schema["components"]["schemas"]
    assert set(schemas["ReferralResultInputRequest"]["required"]) == {
        "body",
        "outcome",
        "decided_on",
    }
    assert "results" in schemas["ReferralFollowUp"]["properties"]
