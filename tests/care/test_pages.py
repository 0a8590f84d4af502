"""The care pages' forms, posted as a browser posts them."""

import pytest
from django.urls import reverse

from care.models import CareAid, CareSubject, CareVisit

pytestmark = pytest.mark.django_db


def test_register_record_a_visit_and_add_aid(client, world, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00", tick=False)
    client.force_login(world.handler)
    assert "关爱对象" in client.get(reverse("care:list")).content.decode()  # nav and page
    form = client.get(reverse("care:register")).content.decode()
    assert "曾坑社区" in form and "凤里社区" not in form
    response = client.post(
        reverse("care:register"),
        {
            "name": "林阿公",
            "kind": "elderly_alone",
            "community": world.zk.pk,
            "phone": "13912345678",
        },
    )
    subject = CareSubject.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "care:detail", args=[subject.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "还剩 30 天" in page

    response = client.post(
        reverse("care:visit", args=[subject.pk]),
        {"visited_at": "2026-11-20T10:00", "condition": "精神很好", "needs_found": "换灯泡"},
    )
    assert response.status_code == 302
    visit = CareVisit.objects.get()
    assert (visit.visited_by, visit.on_time, visit.needs_found) == (world.handler, True, "换灯泡")

    response = client.post(
        reverse("care:aid", args=[subject.pk]),
        {"kind": "fundraising", "given_on": "2026-11-20", "amount": "", "outcome": ""},
    )
    assert response.status_code == 400 and "募捐须填写金额" in response.content.decode()
    response = client.post(
        reverse("care:aid", args=[subject.pk]),
        {"kind": "hospital", "given_on": "2026-11-20", "amount": "2000", "outcome": "送医"},
    )
    assert response.status_code == 302 and CareAid.objects.get().amount == 2000
    assert "2000" in client.get(reverse("care:detail", args=[subject.pk])).content.decode()


def test_form_errors_name_the_fields(client, world, elder, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00", tick=False)
    client.force_login(world.handler)
    response = client.post(
        reverse("care:register"),
        {"name": "", "kind": "elderly_alone", "community": world.fl_community.pk, "phone": "12"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "community", "phone"} <= set(errors)
    response = client.post(
        reverse("care:visit", args=[elder.pk]),
        {"visited_at": "2026-11-21T09:00", "condition": "好"},
    )
    assert response.status_code == 400 and "visited_at" in response.context["form"].errors


def test_the_nav_entry_is_for_those_who_see_the_register(client, world):
    client.force_login(world.labour_handler)
    assert reverse("care:list") not in client.get(reverse("order-list")).content.decode()
    client.force_login(world.supervisor)
    assert reverse("care:list") in client.get(reverse("order-list")).content.decode()
