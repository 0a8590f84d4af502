"""The training pages as a browser uses them: the list, a session, the recorder's form
(posted as a browser posts it), 我的培训; 404 outside the scope, 403 for a non-recorder."""

from datetime import date

import pytest

from training.models import Attendance, TrainingSession

from .conftest import record


def form_data(world, **kwargs) -> dict:
    data = {
        "topic": "心理疏导入门",
        "kind": "counselling",
        "date": "2026-11-18",
        "start_time": "09:00",
        "end_time": "11:00",
        "hours": "",
        "place": "湖滨街道会议室",
        "trainer_name": "黄医生",
        "trainer_unit": "市心理咨询中心",
        "organizer": str(world.hb_center.pk),
        "area": str(world.hb.pk),
        "note": "",
        "attendees": [
            f"{world.hb_police.pk}:{world.handler.pk}",
            f"{world.hb_committee.pk}:{world.committee_handler.pk}",
        ],
        "absentees": [f"{world.hb_police.pk}:{world.head.pk}"],
        f"hc_{world.zk_residents.pk}": "5",
    }
    return data | kwargs


def test_a_dispatcher_records_a_session_on_the_form(client, world):
    client.force_login(world.dispatcher)
    page = client.get("/training/new/")
    assert page.status_code == 200
    html = page.content.decode()
    # the picker offers the street's people, grouped by unit
    assert f'value="{world.hb_police.pk}:{world.handler.pk}"' in html
    assert f'value="{world.fl_police.pk}:{world.fl_handler.pk}"' not in html
    r = client.post("/training/new/", form_data(world))
    s = TrainingSession.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/training/{s.pk}/"
    assert s.hours == 2 and s.created_by == world.dispatcher
    assert {(a.user_id, a.status) for a in s.attendances.all()} == {
        (world.handler.pk, "attended"),
        (world.committee_handler.pk, "attended"),
        (world.head.pk, "absent"),
    }
    assert [(h.unit_id, h.count) for h in s.headcounts.all()] == [(world.zk_residents.pk, 5)]
    detail = client.get(r["Location"]).content.decode()
    assert "心理疏导入门" in detail and "张警官" in detail
    assert '<dd id="session-people">7</dd>' in detail  # 2 attended + 5 without a login
    assert '<dd id="session-person-hours">14.00</dd>' in detail


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start_time": "11:00", "end_time": "10:00"}, "end_time", "结束时间须晚于开始时间"),
        ({"start_time": "", "end_time": "", "hours": "0"}, "hours", "学时须大于0"),
        ({"start_time": "", "end_time": "", "hours": "25"}, "hours", "学时不能超过24小时"),
        ({"area": str(0)}, "area", ""),
    ],
)
def test_bad_fields_are_400_on_the_form(client, world, change, field, message):
    client.force_login(world.dispatcher)
    r = client.post("/training/new/", form_data(world, **change))
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert message in r.content.decode()
    assert not TrainingSession.objects.exists()


def test_a_person_both_attending_and_absent_is_400(client, world):
    client.force_login(world.dispatcher)
    key = f"{world.hb_police.pk}:{world.handler.pk}"
    r = client.post("/training/new/", form_data(world, attendees=[key], absentees=[key]))
    assert r.status_code == 400 and "absentees" in r.context["form"].errors


def test_an_attendee_outside_the_chosen_area_is_400(client, world):
    # A session for 曾坑社区 alone: 湖滨派出所 (the street's) is not of it.
    client.force_login(world.dispatcher)
    r = client.post("/training/new/", form_data(world, area=str(world.zk.pk)))
    assert r.status_code == 400
    assert "此人不属于培训范围内的单位" in str(r.context["form"].errors["attendees"])


def test_who_may_open_what(client, world, hb_session):
    client.force_login(world.handler)  # attended
    assert client.get(f"/training/{hb_session.pk}/").status_code == 200
    assert (
        f"/training/{hb_session.pk}/edit/"
        not in client.get(f"/training/{hb_session.pk}/").content.decode()
    )
    assert client.get(f"/training/{hb_session.pk}/edit/").status_code == 403
    assert client.get("/training/new/").status_code == 403
    assert client.post(f"/training/{hb_session.pk}/delete/").status_code == 403
    for user in (world.fl_dispatcher, world.handler2, world.nobody):
        client.force_login(user)
        assert client.get(f"/training/{hb_session.pk}/").status_code == 404
        assert hb_session.topic not in client.get("/training/").content.decode()
    client.force_login(world.hb_supervisor)
    assert client.get(f"/training/{hb_session.pk}/edit/").status_code == 200
    client.force_login(world.dispatcher)
    r = client.post(f"/training/{hb_session.pk}/delete/")
    assert r.status_code == 302 and not TrainingSession.objects.exists()


def test_the_list_filters_by_month_and_unit(client, world, hb_session):
    december = record(world, date=date(2026, 12, 2), topic="十二月培训", attendance=[])
    client.force_login(world.dispatcher)
    html = client.get("/training/", {"month": "2026-11"}).content.decode()
    assert hb_session.topic in html and december.topic not in html
    html = client.get("/training/", {"unit": world.hb_police.pk}).content.decode()
    assert hb_session.topic in html and december.topic not in html
    r = client.get("/training/", {"month": "2026-13"})
    assert r.status_code == 400 and "month" in r.content.decode()
    assert client.get("/training/", {"unit": "abc"}).status_code == 400


def test_my_training(client, world, hb_session):
    record(world, date=date(2026, 12, 2), start_time=None, end_time=None, hours=1)
    absent = record(world, topic="缺席的一次", attendance=[])
    absent.attendances.create(user=world.handler, unit=world.hb_police, status="absent")
    client.force_login(world.handler)
    html = client.get("/training/mine/").content.decode()
    assert "累计 3.50 小时" in html  # 2.5 in November, 1 in December; absent counts nothing
    assert "2026年11月：1 次，2.50 小时" in html
    assert "缺席的一次" in html and str(Attendance.Status.ABSENT.label) in html
    nav = html[html.index('class="main-nav"') :]
    assert 'href="/training/"' in nav[: nav.index("</nav>")]  # the nav links it
