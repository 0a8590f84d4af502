"""The reporter's short form: parties as a formset, attachments, errors in place."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dispatch.models import Role
from disputes import services
from disputes.models import Attachment, Order, Party, State
from shishi_mediation.errors import InvalidInput
from tests.factories import MembershipFactory, invalid_id_number, valid_id_number
from tests.images import camera_jpeg

from .conftest import html

pytestmark = pytest.mark.django_db


def report_data(world, *parties, **fields) -> dict:
    parties = parties or (
        {"name": "施秀琴", "role": "applicant", "phone": "13860712235"},
        {"name": "邱建伟", "role": "respondent", "is_minor": "on"},
    )
    data = {
        "category": world.neighbours.pk,
        "community": world.zk.pk,
        "address": "金曾花园3幢",
        "risk_level": "medium",
        "narrative": "楼上孩子夜间跑跳，楼下多次交涉未果。",
        "source": "patrol",
        "parties-TOTAL_FORMS": str(len(parties)),
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "20",
    }
    for i, party in enumerate(parties):
        data.update({f"parties-{i}-{k}": v for k, v in party.items()})
    data.update(fields)
    return data


def test_the_form_renders_for_a_phone(world, as_user):
    response = as_user(world.reporter).get(reverse("report"))
    assert response.status_code == 200
    page = html(response)
    assert 'name="viewport"' in page
    assert 'name="parties-0-name"' in page and 'inputmode="tel"' in page
    assert 'type="file"' in page and "multiple" in page
    # The grid worker's unit sits in 曾坑: it is the default community.
    assert f'<option value="{world.zk.pk}" selected>' in page


def test_a_report_with_parties_and_photos(world, as_user, media_root):
    photo = SimpleUploadedFile("现场.jpg", camera_jpeg(), content_type="image/jpeg")
    note = SimpleUploadedFile("说明.txt", b"text", content_type="text/plain")
    response = as_user(world.reporter).post(
        reverse("report"), report_data(world, files=[photo, note])
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])
    assert order.state == State.REPORTED and order.reporter == world.reporter
    assert order.title == "曾坑社区邻里纠纷"  # left blank: community + category
    assert order.risk_level == "medium"
    assert [(p.name, p.role, p.is_minor) for p in order.parties.all()] == [
        ("施秀琴", "applicant", False),
        ("邱建伟", "respondent", True),
    ]
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "现场.jpg",
        "说明.txt",
    ]


def test_party_errors_show_inside_that_party(world, as_user):
    response = as_user(world.reporter).post(
        reverse("report"),
        report_data(
            world,
            {"name": "甲", "phone": "12345"},
            {"name": "乙", "id_number": invalid_id_number()},
        ),
    )
    assert response.status_code == 400
    parties = response.context["parties"]
    assert parties.forms[0].errors["phone"]
    assert parties.forms[1].errors["id_number"] == ["身份证号校验位不正确，请核对。"]
    page = html(response)
    assert 'id="id_parties-0-phone_error"' in page
    assert 'id="id_parties-1-id_number_error"' in page
    assert 'value="甲"' in page  # what was typed stays
    assert not Order.objects.exists()


def test_at_least_one_party_and_the_required_fields(world, as_user):
    data = report_data(world, {"name": ""}, category="", narrative="")
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"category", "narrative"}
    assert response.context["parties"].forms[0].errors["name"]
    assert not Order.objects.exists()


def test_an_added_but_empty_party_is_ignored(world, as_user):
    data = report_data(world, {"name": "甲", "role": "applicant"}, {"role": "applicant"})
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 302
    assert list(Party.objects.values_list("name", flat=True)) == ["甲"]


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_saved(world, as_user, media_root):
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = as_user(world.reporter).post(reverse("report"), report_data(world, files=[bad]))
    assert response.status_code == 400
    assert "不支持的文件类型" in str(response.context["form"].errors["files"])
    assert not Order.objects.exists()


def test_a_forged_community_is_refused(world, as_user):
    data = report_data(world, {"name": "甲", "id_number": valid_id_number()})
    data["community"] = world.hb.pk  # a street, not offered
    response = as_user(world.reporter).post(reverse("report"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["community"]
    assert not Order.objects.exists()


def test_service_errors_map_to_the_form_and_each_party(world, as_user, monkeypatch):
    def refuse(**kwargs):
        raise InvalidInput(
            {
                "community": ["请选择一个社区。"],
                "parties[1].phone": ["号码有误"],
                "parties": ["至少填写一名当事人。"],
            }
        )

    monkeypatch.setattr(services, "order_report", refuse)
    response = as_user(world.reporter).post(reverse("report"), report_data(world))
    assert response.status_code == 400
    assert response.context["form"].errors["community"] == ["请选择一个社区。"]
    assert response.context["form"].non_field_errors() == ["至少填写一名当事人。"]
    assert response.context["parties"].forms[1].errors["phone"] == ["号码有误"]


def test_supervisors_do_not_report(world, as_user):
    assert as_user(world.supervisor).get(reverse("report")).status_code == 403


def test_a_handler_only_officer_sees_and_attaches_to_its_report(world, as_user, media_root):
    # Any non-supervisor may report (can_report) and sees what it reported.
    photo = SimpleUploadedFile("现场.jpg", camera_jpeg(), content_type="image/jpeg")
    response = as_user(world.handler).post(
        reverse("report"), report_data(world, community=world.sg.pk, files=[photo])
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("order-detail", args=[order.pk])
    assert order.reporter == world.handler
    assert order.attachments.get().original_name == "现场.jpg"


def test_a_reporter_with_two_units_picks_one(world, as_user):
    MembershipFactory(user=world.reporter, unit=world.hb_police, role=Role.REPORTER)
    page = html(as_user(world.reporter).get(reverse("report")))
    assert 'name="reporter_unit"' in page
    response = as_user(world.reporter).post(
        reverse("report"), report_data(world, reporter_unit=world.hb_police.pk)
    )
    assert response.status_code == 302
    assert Order.objects.get().reporter_unit == world.hb_police


def test_another_party_is_added_by_htmx(world, as_user):
    response = as_user(world.reporter).get(reverse("report-party"), {"index": 2})
    page = html(response)
    assert 'name="parties-2-name"' in page
    assert 'id="id_parties-TOTAL_FORMS" value="3" hx-swap-oob="true"' in page
    assert "index=3" in page  # the button now asks for the next one
