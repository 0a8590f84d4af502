from unittest import mock

import pytest


def test_healthz_needs_no_login_and_no_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": True, "broker": True}


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_broker_when_it_is_down(client):
    with mock.patch(
        "shishi_mediation.health.celery_app.connection_for_write",
        side_effect=ConnectionRefusedError("Connection refused"),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "broker": False},
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails(client):
    with mock.patch("shishi_mediation.health.connection.cursor", side_effect=OSError("gone")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False
