"""The assisting units' endpoints: who may call them, what a stranger learns, bad bodies."""

import pytest

from disputes.models import State


def url(order, action=""):
    return f"/api/v1/orders/{order.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def assisted(world):
    return world.order(State.SIGNED, assisting_units=[world.hb_committee])


def test_an_assisting_unit_signs_and_files_its_opinion(world, api, assisted):
    client = api(world.committee_handler)
    assert "assist-sign" in client.get(url(assisted)).json()["actions"]
    assert "assist-opinion" not in client.get(url(assisted)).json()["actions"]  # sign first
    signed = client.post(url(assisted, "assist-sign"), {}, format="json")
    assert signed.status_code == 200
    assert {"assist-sign", "assist-opinion"} & set(signed.json()["actions"]) == {"assist-opinion"}
    again = client.post(url(assisted, "assist-sign"), {}, format="json")
    assert again.status_code == 409
    empty = client.post(url(assisted, "assist-opinion"), {}, format="json")
    assert empty.status_code == 400 and "opinion" in empty.json()["errors"]
    ok = client.post(url(assisted, "assist-opinion"), {"opinion": "建议调解"}, format="json")
    assert ok.status_code == 200
    parts = api(world.handler).get(url(assisted, "assistances")).json()
    assert [(p["unit"]["name"], p["opinion"]) for p in parts] == [
        ("曾坑社区人民调解委员会", "建议调解")
    ]
    assert parts[0]["sign_on_time"] is not None and parts[0]["opinion_due_at"]


@pytest.mark.parametrize(
    ("who", "code"),
    [("handler", 403), ("dispatcher", 403), ("supervisor", 403), ("fl_handler", 404)],
)
def test_only_the_assisting_unit_signs_for_its_part(world, api, assisted, who, code):
    response = api(getattr(world, who)).post(url(assisted, "assist-sign"), {}, format="json")
    assert response.status_code == code


def test_a_stranger_cannot_read_the_parts_or_guess_an_id(world, api, assisted):
    assert api(world.fl_handler).get(url(assisted, "assistances")).status_code == 404
    assert api(world.handler).get("/api/v1/orders/99999999/assistances/").status_code == 404


def test_the_center_adds_an_assisting_unit(world, api, assisted):
    client = api(world.dispatcher)
    bad = client.post(url(assisted, "add-assisting"), {"units": ["x"]}, format="json")
    assert bad.status_code == 400 and "units" in bad.json()["errors"]
    nested = client.post(url(assisted, "add-assisting"), {"units": [[1]]}, format="json")
    assert nested.status_code == 400
    too_many = client.post(url(assisted, "add-assisting"), {"units": list(range(1, 30))}, "json")
    assert too_many.status_code == 400
    ok = client.post(url(assisted, "add-assisting"), {"units": [world.hb_labour.pk]}, format="json")
    assert ok.status_code == 200
    assert {u["name"] for u in ok.json()["assisting_units"]} == {
        "曾坑社区人民调解委员会",
        "湖滨劳动保障所",
    }
    assert (
        api(world.handler)
        .post(url(assisted, "add-assisting"), {"units": [world.hb_labour.pk]}, format="json")
        .status_code
        == 403
    )
