"""重复报单合并 on the pages: the dispatcher merges from the duplicate's page; the
duplicate says 已合并至 N with a link; the kept order shows the duplicate's parties,
notes and attachments, read-only, labelled as from the duplicate."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from disputes import services
from disputes.models import Attachment, Order, State
from tests.factories import party_input
from tests.web.conftest import html
from tests.web.test_queries import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def pair(world, media):
    kept = world.order(State.SIGNED, assignee=world.handler)
    duplicate = world.order(
        State.REPORTED,
        reporter=world.other_reporter,
        parties=[party_input(name="陈某某", phone="13900001111")],
    )
    services.order_add_note(
        order_id=duplicate.pk, actor=world.other_reporter, note="工头电话已停机"
    )
    services.order_add_note(
        order_id=duplicate.pk,
        actor=world.other_reporter,
        note="欠条照片",
        upload=SimpleUploadedFile("欠条.pdf", b"%PDF-1.4 iou", content_type="application/pdf"),
    )
    return kept, duplicate


def test_the_dispatcher_merges_from_the_duplicates_page(world, pair, as_user):
    kept, duplicate = pair
    client = as_user(world.dispatcher)
    page = html(client.get(f"/orders/{duplicate.pk}/"))
    assert f'href="/orders/{duplicate.pk}/merge/"' in page
    form = client.get(f"/orders/{duplicate.pk}/merge/")
    assert form.status_code == 200 and 'name="into"' in html(form)
    response = client.post(
        f"/orders/{duplicate.pk}/merge/", {"into": kept.number, "reason": "同一欠薪纠纷"}
    )
    assert response.status_code == 302 and response["Location"] == f"/orders/{duplicate.pk}/"
    assert Order.objects.get(pk=duplicate.pk).merged_into_id == kept.pk

    page = html(client.get(f"/orders/{duplicate.pk}/"))
    assert "已合并至" in page and f'href="/orders/{kept.pk}/"' in page
    assert "merge-button" not in page  # no second merge
    kept_page = html(client.get(f"/orders/{kept.pk}/"))
    assert f'href="/orders/{duplicate.pk}/"' in kept_page
    assert "13900001111" in kept_page  # the center sees numbers in full


def test_the_kept_orders_handler_sees_the_duplicates_party_note_and_attachment(
    world, pair, as_user
):
    kept, duplicate = pair
    services.order_merge(
        order_id=duplicate.pk, actor=world.dispatcher, into=kept.number, reason="重复"
    )
    client = as_user(world.handler)  # handles the kept order; never saw the duplicate
    page = html(client.get(f"/orders/{kept.pk}/"))
    section = page[page.index('id="merged"') :]
    assert f"来自订单 {duplicate.number}" in section
    assert "陈某某" in section and "13900001111" in section  # the handling unit: in full
    assert "工头电话已停机" in section and "欠条.pdf" in section
    attachment = Attachment.objects.get(order=duplicate)
    download = client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    # The duplicate's own page stays out of the handler's scope.
    assert client.get(f"/orders/{duplicate.pk}/").status_code == 404


def test_a_reporter_sees_numbers_masked(world, pair, as_user):
    kept, duplicate = pair
    services.order_merge(
        order_id=duplicate.pk, actor=world.dispatcher, into=kept.number, reason="重复"
    )
    page = html(as_user(world.hb_supervisor).get(f"/orders/{kept.pk}/"))
    section = page[page.index('id="merged"') :]
    assert "陈某某" in section and "13900001111" not in section


@pytest.mark.parametrize("who", ["handler", "reporter"])
def test_no_button_and_403_for_others(world, pair, as_user, who):
    kept, duplicate = pair
    client = as_user(world.other_reporter if who == "reporter" else world.handler)
    if who == "reporter":
        assert "merge-button" not in html(client.get(f"/orders/{duplicate.pk}/"))
        assert client.get(f"/orders/{duplicate.pk}/merge/").status_code == 403
        posted = client.post(f"/orders/{duplicate.pk}/merge/", {"into": kept.number, "reason": "x"})
        assert posted.status_code == 403
    else:  # the duplicate is not the handler's: out of its scope
        assert client.get(f"/orders/{duplicate.pk}/merge/").status_code == 404
    assert Order.objects.get(pk=duplicate.pk).state == State.REPORTED


def test_a_bad_number_shows_on_the_form(world, pair, as_user):
    _kept, duplicate = pair
    client = as_user(world.dispatcher)
    response = client.post(
        f"/orders/{duplicate.pk}/merge/", {"into": "HB-209901-00009", "reason": "重复"}
    )
    assert response.status_code == 400
    assert "未找到编号" in html(response)


def test_the_overview_total_leaves_merged_out(world, pair, as_user):
    kept, duplicate = pair
    services.order_merge(
        order_id=duplicate.pk, actor=world.dispatcher, into=kept.number, reason="重复"
    )
    page = html(as_user(world.dispatcher).get("/overview/"))
    row = page[page.index('data-street="湖滨街道"') :]
    assert '<td data-state="merged"><a' in row
    total = row[row.index('data-state="total"') :]
    assert (
        total.startswith('data-state="total"><a href="/orders/?street=') and ">1</a>" in total[:80]
    )


def test_the_kept_pages_queries_do_not_grow_with_its_duplicates(world, pair, as_user):
    kept, duplicate = pair
    services.order_merge(
        order_id=duplicate.pk, actor=world.dispatcher, into=kept.number, reason="重复"
    )
    client = as_user(world.dispatcher)
    client.get(f"/orders/{kept.pk}/")  # the first request of a process loads disputes.reference
    one = queries(client, f"/orders/{kept.pk}/")
    for _ in range(3):
        more = world.order(State.REPORTED)
        services.order_add_note(order_id=more.pk, actor=world.reporter, note="补充")
        services.order_merge(
            order_id=more.pk, actor=world.dispatcher, into=kept.number, reason="重复"
        )
    client.get(f"/orders/{kept.pk}/")
    assert queries(client, f"/orders/{kept.pk}/") == one
