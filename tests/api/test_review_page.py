"""The public review page ``/review/<token>/``: no login, once per token, rate-limited,
CSRF-protected, Chinese."""

import pytest
from django.test import Client

from disputes.models import Review

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(order_in):
    order = order_in("closed")
    return order.reviews.order_by("id").first()


def page(review_or_token) -> str:
    token = getattr(review_or_token, "token", review_or_token)
    return f"/review/{token}/"


def test_no_login_needed_and_only_number_and_unit_shown(client, review):
    response = client.get(page(review))
    assert response.status_code == 200
    html = response.content.decode()
    assert review.order.number in html
    assert "湖滨派出所" in html
    assert 'lang="zh-hans"' in html and "好评" in html and "差评" in html
    for secret in ["王某", "李某", "13812345678", "拖欠", "分三期"]:  # parties, title, summary
        assert secret not in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    assert "noindex" in response["X-Robots-Tag"]


def test_chinese_even_for_an_english_browser(client, review):
    html = client.get(page(review), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "提交评价" in html


def test_a_review_is_taken_once_per_token(client, review):
    response = client.post(page(review), {"rating": "good", "comment": "调解员很耐心"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.rating, review.comment) == ("good", "调解员很耐心")
    assert review.order.events.filter(kind="reviewed").count() == 1

    thanks = client.get(page(review))
    assert thanks.status_code == 200
    assert "感谢" in thanks.content.decode()
    assert "<form" not in thanks.content.decode()

    again = client.post(page(review), {"rating": "bad", "comment": "改主意了"})
    assert again.status_code == 409
    assert "已评价过" in again.content.decode()
    review.refresh_from_db()
    assert review.rating == "good"
    assert review.order.events.filter(kind="reviewed").count() == 1


def test_each_party_has_its_own_token(client, review):
    other = Review.objects.exclude(pk=review.pk).get(order=review.order)
    client.post(page(review), {"rating": "good"})
    assert client.post(page(other), {"rating": "bad"}).status_code == 302
    assert sorted(review.order.reviews.values_list("rating", flat=True)) == ["bad", "good"]


@pytest.mark.parametrize("token", ["nope", "x" * 32, "x" * 500, "%E6%97%A0"])
def test_a_bad_token_is_404(client, review, token):
    assert client.get(page(token)).status_code == 404
    assert client.post(page(token), {"rating": "good"}).status_code == 404


def test_a_missing_rating_or_long_comment_is_400_and_nothing_saved(client, review):
    response = client.post(page(review), {"comment": "没选"})
    assert response.status_code == 400
    assert "请选择好评或差评" in response.content.decode()
    assert client.post(page(review), {"rating": "meh"}).status_code == 400
    assert client.post(page(review), {"rating": "good", "comment": "长" * 1001}).status_code == 400
    review.refresh_from_db()
    assert review.submitted_at is None


def test_csrf_is_enforced(review):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(page(review), {"rating": "good"}).status_code == 403
    form = browser.get(page(review))
    token = form.cookies["csrftoken"].value
    response = browser.post(
        page(review), {"rating": "bad", "csrfmiddlewaretoken": form.context["csrf_token"]}
    )
    assert token and response.status_code == 302
    review.refresh_from_db()
    assert review.rating == "bad"


def test_rate_limited_per_address_and_token(client, review, settings):
    settings.REVIEW_RATE_PER_TOKEN = 3
    for _ in range(3):
        assert client.get(page(review)).status_code == 200
    limited = client.get(page(review))
    assert limited.status_code == 429
    assert "频繁" in limited.content.decode()
    assert limited["Retry-After"]
    # Another address is not affected; the limited one cannot even post.
    assert client.get(page(review), REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.post(page(review), {"rating": "good"}).status_code == 429
    review.refresh_from_db()
    assert review.submitted_at is None


def test_rate_limited_per_address_over_all_tokens(client, review, settings):
    settings.REVIEW_RATE_PER_IP = 5
    codes = [client.get(page(f"guess{i}")).status_code for i in range(7)]
    assert codes == [404] * 5 + [429] * 2
    assert client.get(page(review)).status_code == 429


def test_a_forged_forwarded_address_does_not_escape_the_limit(client, review, settings):
    # No proxy configured (NUM_PROXIES 0): X-Forwarded-For is the client's own writing.
    settings.REVIEW_RATE_PER_IP = 5
    codes = [
        client.get(page(f"guess{i}"), HTTP_X_FORWARDED_FOR=f"10.9.{i}.1").status_code
        for i in range(7)
    ]
    assert codes == [404] * 5 + [429] * 2
    assert client.get(page(review), HTTP_X_FORWARDED_FOR="10.9.99.1").status_code == 429


def test_behind_one_proxy_the_forwarded_address_counts(client, review, settings):
    settings.NUM_PROXIES = 1
    settings.REVIEW_RATE_PER_IP = 2
    # The proxy (REMOTE_ADDR) appends the address it saw; anything left of it is forged.
    via = {"REMOTE_ADDR": "172.18.0.5"}
    assert client.get(page("a"), HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4", **via).status_code == 404
    assert client.get(page("b"), HTTP_X_FORWARDED_FOR="7.7.7.7, 1.2.3.4", **via).status_code == 404
    assert client.get(page("c"), HTTP_X_FORWARDED_FOR="1.2.3.4", **via).status_code == 429
    # Another client behind the same proxy has its own count.
    assert client.get(page(review), HTTP_X_FORWARDED_FOR="5.6.7.8", **via).status_code == 200
