"""Chinese first, English available: the header's switch, the compiled catalogue, and
the login/logout pages."""

import pytest
from django.conf import settings
from django.urls import reverse

from disputes.models import State
from tests.factories import AGREEMENT

from .conftest import html

pytestmark = pytest.mark.django_db


def test_chinese_is_the_default(world, as_user):
    page = html(as_user(world.dispatcher).get(reverse("board")))
    assert '<html lang="zh-hans">' in page and "实时看板" in page


def test_switching_to_english(world, order_in, as_user):
    order = order_in(State.SIGNED)
    client = as_user(world.handler)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("handling")})
    assert response.status_code == 302 and response["Location"] == reverse("handling")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    page = html(client.get(reverse("handling")))
    assert '<html lang="en">' in page
    assert "My unit&#x27;s orders" in page and "Record contact" in page
    assert "本单位订单" not in page
    assert "Details" in page and "详情" not in page  # the cards' strings are catalogued too
    detail = html(client.get(reverse("order-detail", args=[order.pk])))
    assert "Timeline" in detail and "Signed" in detail and "Wages" in detail  # name_en
    assert "Lead unit" in detail


def test_english_messages_from_the_services(world, order_in, as_user):
    order = order_in(State.SIGNED)
    client = as_user(world.handler)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("order-close", args=[order.pk]),
        {
            "outcome": "mediated",
            "summary": "s",
            "grade": "simple",
            **AGREEMENT,
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        'This cannot be done while the order is "Signed".'
    ]


def test_every_catalogue_entry_is_translated():
    import gettext
    from pathlib import Path

    mo = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"
    catalog = gettext.GNUTranslations(mo.open("rb"))
    assert catalog.gettext("派单队列") == "Dispatch queue"
    po = (mo.with_suffix(".po")).read_text()
    assert '\nmsgstr ""\n\n' not in po.split("\n\n", 1)[1], "an untranslated entry"


def test_login_and_logout(world, client):
    page = html(client.get(reverse("login")))
    assert 'name="username"' in page and 'name="viewport"' in page
    bad = client.post(reverse("login"), {"username": "center", "password": "nope"})
    assert bad.status_code == 200 and "errorlist" in html(bad)
    ok = client.post(reverse("login"), {"username": "center", "password": "pw"})
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
    out = client.post(reverse("logout"))
    assert out.status_code == 302 and out["Location"] == reverse("login")
    assert client.get(reverse("board")).status_code == 302
