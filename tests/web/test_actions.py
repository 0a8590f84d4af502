"""Actions through the web forms: the happy path, field errors in place, forged POSTs
refused with nothing changed, and conflicts shown as a message rather than an error page."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from disputes.models import (
    Attachment,
    EventKind,
    Order,
    OrderEvent,
    PartyConfirmation,
    Review,
    State,
)
from tests.factories import AGREEMENT
from tests.images import camera_jpeg

from .conftest import html

pytestmark = pytest.mark.django_db


def snapshot(order: Order) -> tuple:
    fresh = Order.objects.get(pk=order.pk)
    return (
        fresh.state,
        fresh.lead_unit_id,
        fresh.assignee_id,
        fresh.cancel_reason,
        OrderEvent.objects.filter(order=order).count(),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the whole path through the forms ----------------------------------------------------


def test_dispatch_sign_contact_meet_close_through_the_forms(
    world, order_in, routing, as_user, client
):
    order = order_in(State.REPORTED, category=world.neighbours)
    url = lambda name: reverse(name, args=[order.pk])  # noqa: E731

    center = as_user(world.dispatcher)
    form = center.get(url("order-dispatch"))
    assert form.status_code == 200
    page = html(form)
    # The routing rules' best unit is suggested and preselected.
    assert f'<option value="{world.hb_committee.pk}" selected>' in page
    # Only units that can work in 曾坑 are offered: no supervisors, no other street's.
    assert f'<option value="{world.hb_labour.pk}"' in page
    assert f'<option value="{world.city_supervision.pk}"' not in page
    assert f'<option value="{world.fl_police.pk}"' not in page
    response = center.post(
        url("order-dispatch"),
        {
            "lead_unit": world.hb_committee.pk,
            "assignee": world.committee_handler.pk,
            "assisting_units": [world.zk_residents.pk],
            "note": "请尽快联系双方",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("order-detail")
    order.refresh_from_db()
    assert order.state == State.DISPATCHED and order.lead_unit == world.hb_committee
    assert list(order.assisting_units.all()) == [world.zk_residents]

    committee = as_user(world.committee_handler)
    response = committee.post(url("order-sign"), {"next": reverse("handling")})
    assert response.status_code == 302 and response["Location"] == reverse("handling")

    local = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = committee.post(
        url("order-contact"), {"method": "phone", "contacted_at": local, "note": "与双方通话"}
    )
    assert response.status_code == 302, html(response)
    response = committee.post(
        url("order-meet"),
        {"place": "曾坑社区调解室", "participants": "双方、调解员", "result": "达成协议"},
    )
    assert response.status_code == 302, html(response)
    parties = list(order.parties.values_list("pk", flat=True))
    response = committee.post(
        url("order-close"),
        {
            "outcome": "mediated",
            "summary": "6楼铺设地垫",
            "grade": "simple",
            "facts": "楼上夜间噪音",
            "terms": "6楼铺设地垫，22点后不再走动",
            "performance": "三日内铺设",
        },
    )
    assert response.status_code == 302, html(response)
    order.refresh_from_db()
    assert order.state == State.CONFIRMING
    # Each party through its own link, then the reporter and the center sign off.
    for token in PartyConfirmation.objects.filter(proposal__order=order).values_list(
        "token", flat=True
    ):
        confirmed = client.post(reverse("confirm", args=[token]), {"answer": "confirm"})
        assert confirmed.status_code == 302
    assert as_user(world.reporter).post(url("order-closing-sign")).status_code == 302
    assert as_user(world.dispatcher).post(url("order-closing-sign")).status_code == 302
    order.refresh_from_db()
    assert order.state == State.CLOSED
    committee = as_user(world.committee_handler)

    page = html(committee.get(url("order-detail")))
    kinds = [
        EventKind.REPORTED,
        EventKind.DISPATCHED,
        EventKind.SIGNED,
        EventKind.CONTACTED,
        EventKind.MET,
        EventKind.CLOSED,
    ]
    positions = [page.index(f'data-kind="{k}"') for k in kinds]
    assert positions == sorted(positions)
    # One review link per party, printed for the handling unit.
    for review in Review.objects.filter(order=order):
        assert f"/review/{review.token}/" in page
    assert len(parties) == Review.objects.filter(order=order).count() == 2


def test_review_links_are_not_shown_to_the_reporter(world, order_in, as_user):
    order = order_in(State.CLOSED)
    page = html(as_user(world.reporter).get(reverse("order-detail", args=[order.pk])))
    assert "/review/" not in page


def test_reassign_cancel_and_return(world, order_in, as_user):
    order = order_in(State.DISPATCHED)
    center = as_user(world.dispatcher)
    response = center.post(
        reverse("order-reassign", args=[order.pk]), {"lead_unit": world.hb_committee.pk}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.lead_unit == world.hb_committee and order.state == State.DISPATCHED

    committee = as_user(world.committee_handler)
    response = committee.post(reverse("order-return", args=[order.pk]), {"reason": "不属本会职责"})
    assert response.status_code == 302  # asked: the center reviews it
    order.refresh_from_db()
    assert order.state == State.DISPATCHED and order.return_pending
    center = as_user(world.dispatcher)
    response = center.post(reverse("order-return-review", args=[order.pk]), {"decision": "approve"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == State.REPORTED

    page = html(as_user(world.dispatcher).get(reverse("queue")))
    assert "不属本会职责" in page and "曾坑社区人民调解委员会" in page

    response = as_user(world.dispatcher).post(
        reverse("order-cancel", args=[order.pk]), {"reason": "重复报单"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == State.CANCELLED and order.cancel_reason == "重复报单"


def test_return_visit_and_note_with_attachment(world, order_in, as_user, media_root):
    order = order_in(State.CLOSED)
    police = as_user(world.handler)
    response = police.post(
        reverse("order-return-visit", args=[order.pk]), {"satisfied": "yes", "note": "已履行"}
    )
    assert response.status_code == 302
    visit = order.return_visits.get()
    assert visit.satisfied is True and visit.note == "已履行"

    reporter = as_user(world.reporter)
    upload = SimpleUploadedFile("现场.jpg", camera_jpeg(), content_type="image/jpeg")
    response = reporter.post(
        reverse("order-note", args=[order.pk]), {"note": "补充照片", "file": upload}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(order=order)
    download = reverse("attachment", args=[attachment.pk])
    assert download in html(reporter.get(reverse("order-detail", args=[order.pk])))

    got = reporter.get(download)
    assert got.status_code == 200
    with attachment.file.open("rb") as stored:
        assert b"".join(got.streaming_content) == stored.read()
    assert "inline" in got["Content-Disposition"]
    assert got["X-Content-Type-Options"] == "nosniff"
    assert as_user(world.dispatcher).get(download).status_code == 200
    assert as_user(world.other_reporter).get(download).status_code == 404
    assert as_user(world.fl_dispatcher).get(download).status_code == 404


# --- field errors in place -----------------------------------------------------------------


def test_form_errors_show_next_to_their_fields(world, order_in, as_user):
    order = order_in(State.SIGNED)
    police = as_user(world.handler)
    response = police.post(reverse("order-contact", args=[order.pk]), {"note": "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["method"]
    assert 'id="id_method_error"' in html(response)
    assert snapshot(order)[0] == State.SIGNED


def test_service_errors_land_on_the_form_fields(world, order_in, as_user):
    order = order_in(State.SIGNED)  # signed at T0 + 15 min, long ago
    police = as_user(world.handler)
    before = timezone.localtime(order.signed_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = police.post(
        reverse("order-contact", args=[order.pk]), {"method": "phone", "contacted_at": before}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["contacted_at"] == ["联系时间不能早于签收时间。"]
    assert snapshot(order)[0] == State.SIGNED


def test_a_mediated_closing_needs_its_agreement_and_grade(world, order_in, as_user):
    order = order_in(State.MET)
    response = as_user(world.handler).post(
        reverse("order-close", args=[order.pk]),
        {"outcome": "mediated", "summary": "s", "grade": "simple"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"facts", "terms", "performance"}
    response = as_user(world.handler).post(
        reverse("order-close", args=[order.pk]),
        {"outcome": "mediated", "summary": "s", "facts": "f", "terms": "t", "performance": "p"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["grade"]
    assert Order.objects.get(pk=order.pk).state == State.MET


def test_dispatch_to_a_person_outside_the_unit_is_a_field_error(world, order_in, as_user):
    order = order_in(State.REPORTED)
    response = as_user(world.dispatcher).post(
        reverse("order-dispatch", args=[order.pk]),
        {"lead_unit": world.hb_police.pk, "assignee": world.committee_handler.pk},
    )
    assert response.status_code == 400
    assert "assignee" in response.context["form"].errors
    assert Order.objects.get(pk=order.pk).state == State.REPORTED


def test_assignee_options_follow_the_lead_unit(world, as_user):
    url = reverse("assignee-options")
    page = html(as_user(world.dispatcher).get(url, {"lead_unit": world.hb_police.pk}))
    assert f'value="{world.handler.pk}"' in page and f'value="{world.head.pk}"' in page
    assert f'value="{world.committee_handler.pk}"' not in page
    assert as_user(world.handler).get(url, {"lead_unit": world.hb_police.pk}).status_code == 403


# --- forged POSTs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, who, action, data, status",
    [
        # Roles that see the order but may not act: 403.
        (State.DISPATCHED, "reporter", "order-sign", {}, 403),
        (State.DISPATCHED, "supervisor", "order-sign", {}, 403),
        (State.DISPATCHED, "labour_handler", "order-sign", {}, 403),  # assisting only
        (State.DISPATCHED, "handler", "order-reassign", {"lead_unit": "committee"}, 403),
        (State.DISPATCHED, "handler", "order-cancel", {"reason": "x"}, 403),
        (State.REPORTED, "reporter", "order-dispatch", {"lead_unit": "police"}, 403),
        (State.REPORTED, "supervisor", "order-cancel", {"reason": "x"}, 403),
        (State.SIGNED, "dispatcher", "order-contact", {"method": "phone"}, 403),
        (State.CLOSED, "reporter", "order-return-visit", {"satisfied": "yes"}, 403),
        (State.CLOSED, "supervisor", "order-note", {"note": "x"}, 403),
        # Outside the scope: 404, never a hint that the order exists.
        (State.DISPATCHED, "committee_handler", "order-sign", {}, 404),
        (State.REPORTED, "fl_dispatcher", "order-dispatch", {"lead_unit": "police"}, 404),
        (State.REPORTED, "fl_dispatcher", "order-cancel", {"reason": "x"}, 404),
        (State.SIGNED, "other_reporter", "order-note", {"note": "x"}, 404),
        (State.SIGNED, "nobody", "order-return", {"reason": "x"}, 404),
    ],
)
def test_forged_posts_are_refused_and_change_nothing(
    world, order_in, as_user, state, who, action, data, status
):
    order = order_in(state, assisting_units=[world.hb_labour] if state != State.REPORTED else ())
    units = {"committee": world.hb_committee.pk, "police": world.hb_police.pk}
    data = {k: units.get(v, v) for k, v in data.items()}
    before = snapshot(order)
    response = as_user(getattr(world, who)).post(reverse(action, args=[order.pk]), data)
    assert response.status_code == status
    assert snapshot(order) == before
    if status == 404:
        assert order.number not in html(response)


def test_forms_of_disallowed_actions_are_not_even_shown(world, order_in, as_user):
    order = order_in(State.DISPATCHED)
    assert as_user(world.reporter).get(reverse("order-close", args=[order.pk])).status_code == 403
    assert (
        as_user(world.committee_handler).get(reverse("order-close", args=[order.pk])).status_code
        == 404
    )


def test_a_colleague_named_elsewhere_hears_why(world, order_in, as_user):
    order = order_in(State.DISPATCHED, assignee=world.handler)
    response = as_user(world.handler2).post(reverse("order-sign", args=[order.pk]))
    assert response.status_code == 403
    assert "此订单已指定其他责任人" in html(response)
    assert snapshot(order)[0] == State.DISPATCHED


# --- conflicts: a message, not an error page ---------------------------------------------


def test_signing_after_a_colleague_is_a_clear_message(world, order_in, as_user):
    order = order_in(State.DISPATCHED)  # no named assignee: any handler may sign
    as_user(world.handler).post(reverse("order-sign", args=[order.pk]))
    before = snapshot(order)

    response = as_user(world.handler2).post(
        reverse("order-sign", args=[order.pk]), {"next": reverse("handling")}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("handling")
    [message] = messages_of(response)
    assert order.number in message and "张警官" in message and "签收" in message
    assert snapshot(order) == before


def test_an_action_the_state_no_longer_allows_is_a_message_on_the_order_page(
    world, order_in, as_user
):
    order = order_in(State.SIGNED)
    before = snapshot(order)
    police = as_user(world.handler)
    # The close form was open in another tab while the order was still being handled.
    response = police.post(
        reverse("order-close", args=[order.pk]),
        {"outcome": "mediated", "summary": "s", "grade": "simple", **AGREEMENT},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("order-detail", args=[order.pk]), 302)]
    assert messages_of(response) == ["当前状态“已签收”不能执行此操作。"]
    assert snapshot(order) == before

    response = as_user(world.dispatcher).get(
        reverse("order-dispatch", args=[order.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("order-detail", args=[order.pk]), 302)]
    assert "不能执行此操作" in messages_of(response)[0]


def test_the_next_parameter_never_leaves_the_site(world, order_in, as_user):
    order = order_in(State.DISPATCHED)
    response = as_user(world.handler).post(
        reverse("order-sign", args=[order.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("order-detail", args=[order.pk])


# --- whom to call, how to hand out review links (issue 12) -------------------------------


def test_the_contact_form_lists_the_parties_with_tel_links(world, order_in, as_user):
    order = order_in(State.SIGNED)
    page = html(as_user(world.handler).get(reverse("order-contact", args=[order.pk])))
    assert 'id="contact-parties"' in page
    for party in order.parties.all():
        assert party.name in page
    assert 'href="tel:13812345678"' in page


def test_a_supervisor_still_sees_masked_numbers(world, order_in, as_user):
    order = order_in(State.SIGNED)
    page = html(as_user(world.supervisor).get(reverse("order-detail", args=[order.pk])))
    assert "138****5678" in page and "13812345678" not in page and "tel:" not in page


def test_the_reporter_sees_his_own_phone_but_not_someone_elses_order(world, order_in, as_user):
    order = order_in(State.SIGNED)
    url = reverse("order-detail", args=[order.pk])
    page = html(as_user(world.reporter).get(url))
    assert 'href="tel:13812345678"' in page and "（身份证号已脱敏）" in page
    response = as_user(world.other_reporter).get(url)
    assert response.status_code == 404 and "13812345678" not in html(response)


def test_review_links_come_with_copy_sms_and_qr(world, order_in, as_user):
    from urllib.parse import quote

    from disputes.services import PartyInput

    parties = [
        PartyInput(name="王某", role="applicant", phone="13812345678"),
        PartyInput(name="李某", role="respondent", phone="0595-88881234"),  # a landline
        PartyInput(name="张某", role="respondent"),  # no phone at all
    ]
    order = order_in(State.CLOSED, parties=parties)
    page = html(as_user(world.handler).get(reverse("order-detail", args=[order.pk])))
    reviews = list(Review.objects.filter(order=order).select_related("party"))
    assert len(reviews) == 3
    assert page.count('<svg viewBox="') >= 3 and page.count('class="qr"') == 3
    assert '<script src="/static/js/copy.js' in page
    for review in reviews:
        link = f"http://testserver/review/{review.token}/"
        assert f'data-copy="{link}"' in page
    applicant = next(r for r in reviews if r.party.name == "王某")
    link = quote(f"http://testserver/review/{applicant.token}/", safe="")
    assert 'href="sms:13812345678?body=' in page and link in page
    assert page.count('href="sms:') == 1  # not to a landline, not without a phone
