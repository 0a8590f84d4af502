"""The mediation alliance's invitations (issue 18): an invited volunteer sees only the
invited order, with the parties' phones masked until the lead unit grants them, adds
attributed notes, and loses the order when the center withdraws the invitation."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dispatch.models import Role
from disputes import services
from disputes.models import EventKind, Invitation
from disputes.selectors import orders_visible_to
from notifications.models import Notification
from shishi_mediation.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import fresh, report_order

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
MASKED = "138****5678"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(fresh(user))
    return client


@pytest.fixture
def invited(world, alliance, order_in):
    """An order signed by the HB police, to which the HB center invited 阿珠 by name;
    and another order nobody invited."""
    order = order_in("signed")
    other = order_in("signed")
    invitation = services.order_invite(
        order_id=order.pk,
        actor=world.dispatcher,
        member_id=alliance.vol.pk,
        message="请用闽南话沟通",
    )
    return order, other, invitation


def test_the_invited_volunteer_sees_that_order_alone(world, alliance, invited, client):
    order, other, _invitation = invited
    assert list(orders_visible_to(fresh(alliance.vol))) == [order]
    assert list(orders_visible_to(fresh(alliance.vol2))) == []  # invited by name, not the team
    client.force_login(alliance.vol)
    assert client.get(reverse("order-detail", args=[order.pk])).status_code == 200
    assert client.get(reverse("order-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("board")).status_code == 403
    assert client.get(reverse("overview")).status_code == 403
    assert client.get(reverse("map")).status_code == 403
    assert client.get(reverse("reports:standing")).status_code in (403, 404)
    assert client.get(reverse("reports:monthly")).status_code in (403, 404)
    assert client.get(reverse("alliance:units")).status_code == 403
    listed = client.get(reverse("order-list"))
    assert order.number in listed.content.decode() and other.number not in listed.content.decode()
    mine = client.get(reverse("my-assists")).content.decode()
    assert order.number in mine and other.number not in mine
    # The API alike.
    c = api(alliance.vol)
    assert c.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert c.get(f"/api/v1/orders/{other.pk}/").status_code == 404
    assert [o["id"] for o in c.get("/api/v1/orders/").json()["results"]] == [order.pk]
    assert c.get("/api/v1/reports/monthly/?month=2026-11").status_code in (403, 404)


def test_a_volunteer_may_do_nothing_but_notes(world, alliance, invited, client):
    order, _other, _invitation = invited
    vol = fresh(alliance.vol)
    with pytest.raises(Forbidden):
        services.order_record_contact(order_id=order.pk, actor=vol, method="phone", note="x")
    c = api(alliance.vol)
    with pytest.raises(Forbidden):  # reports nothing
        report_order(world, actor=vol)
    assert (
        c.post(
            f"/api/v1/orders/{order.pk}/contact/", {"method": "phone"}, format="json"
        ).status_code
        == 403
    )
    detail = c.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["actions"] == []
    client.force_login(alliance.vol)
    assert client.get(reverse("report")).status_code == 403


def test_contacts_masked_until_granted_and_again_after_revoke(world, alliance, invited, client):
    order, _other, invitation = invited
    c = api(alliance.vol)

    def phones() -> set[str]:
        return {p["phone"] for p in c.get(f"/api/v1/orders/{order.pk}/").json()["parties"]}

    assert phones() == {MASKED}
    client.force_login(alliance.vol)
    assert PHONE not in client.get(reverse("order-detail", args=[order.pk])).content.decode()
    # The center may not grant: the lead unit's handler does.
    with pytest.raises(Forbidden):
        services.order_contact_grant(
            order_id=order.pk, actor=fresh(world.dispatcher), invitation_id=invitation.pk
        )
    r = api(world.handler).post(
        f"/api/v1/alliance/invitations/{invitation.pk}/contact/", {"grant": True}, format="json"
    )
    assert r.status_code == 200 and r.json()["contact_granted"] is True
    assert phones() == {PHONE}
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert PHONE in page
    detail = c.get(f"/api/v1/orders/{order.pk}/").json()["parties"][0]
    assert "*" in detail["id_number"]  # never the ID number
    again = api(world.handler).post(
        f"/api/v1/alliance/invitations/{invitation.pk}/contact/", {"grant": True}, format="json"
    )
    assert again.status_code == 409
    client.force_login(world.head)
    revoke = client.post(
        reverse("order-contact-grant", args=[order.pk, invitation.pk]), {"grant": "0"}
    )
    assert revoke.status_code == 302
    assert phones() == {MASKED}
    kinds = list(order.events.values_list("kind", flat=True))
    assert EventKind.CONTACT_GRANTED in kinds and EventKind.CONTACT_REVOKED in kinds


def test_notes_are_attributed_and_tagged(world, alliance, invited, client):
    order, _other, invitation = invited
    client.force_login(alliance.vol)
    r = client.post(reverse("order-note", args=[order.pk]), {"note": "已用闽南话电话沟通"})
    assert r.status_code == 302
    r = api(alliance.vol).post(
        f"/api/v1/alliance/invitations/{invitation.pk}/notes/",
        {"note": "双方同意再谈"},
        format="json",
    )
    assert r.status_code == 201
    notes = list(order.events.filter(kind=EventKind.NOTE).order_by("seq"))
    assert [(e.actor_id, e.note) for e in notes] == [
        (alliance.vol.pk, "已用闽南话电话沟通"),
        (alliance.vol.pk, "双方同意再谈"),
    ]
    assert all(e.data["invitation_id"] == invitation.pk for e in notes)
    assert all(e.data["alliance_unit_id"] == alliance.team.pk for e in notes)
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert "已用闽南话电话沟通" in page and "阿珠" in page


def test_withdrawn_the_order_is_gone(world, alliance, invited, client):
    order, _other, invitation = invited
    client.force_login(world.dispatcher)
    r = client.post(reverse("order-invite-withdraw", args=[order.pk, invitation.pk]))
    assert r.status_code == 302
    client.force_login(alliance.vol)
    assert client.get(reverse("order-detail", args=[order.pk])).status_code == 404
    c = api(alliance.vol)
    assert c.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert (
        c.post(
            f"/api/v1/alliance/invitations/{invitation.pk}/notes/", {"note": "x"}, format="json"
        ).status_code
        == 404
    )
    assert c.get("/api/v1/alliance/invitations/").json() == []
    assert order.events.filter(kind=EventKind.INVITE_WITHDRAWN).count() == 1
    # Withdrawing again: nothing running under that id.
    with pytest.raises(NotFound):
        services.order_invite_withdraw(
            order_id=order.pk, actor=fresh(world.dispatcher), invitation_id=invitation.pk
        )


def test_only_the_streets_dispatchers_invite(world, alliance, order_in, client):
    order = order_in("signed")
    body = {"order": order.pk, "member": alliance.vol.pk, "message": "请协助"}
    assert (
        api(world.fl_dispatcher)
        .post("/api/v1/alliance/invitations/", body, format="json")
        .status_code
        == 404
    )
    for user in (world.handler, world.head, world.supervisor, world.reporter):
        r = api(user).post("/api/v1/alliance/invitations/", body, format="json")
        assert r.status_code == 403, user
    assert (
        api(alliance.vol2).post("/api/v1/alliance/invitations/", body, format="json").status_code
        == 404
    )
    client.force_login(world.handler)
    assert client.get(reverse("order-invite", args=[order.pk])).status_code == 403
    assert not Invitation.objects.exists()
    r = api(world.dispatcher).post("/api/v1/alliance/invitations/", body, format="json")
    assert r.status_code == 201 and r.json()["member_name"] == "阿珠"
    # A replay is a 409 and writes nothing.
    again = api(world.dispatcher).post("/api/v1/alliance/invitations/", body, format="json")
    assert again.status_code == 409
    assert Invitation.objects.count() == 1
    assert order.events.filter(kind=EventKind.INVITED).count() == 1


def test_a_unit_invitation_reaches_all_its_volunteers_and_tells_them(
    world, alliance, order_in, client
):
    order = order_in("dispatched")
    client.force_login(world.dispatcher)
    page = client.get(reverse("order-detail", args=[order.pk])).content.decode()
    assert reverse("order-invite", args=[order.pk]) in page
    form = client.get(reverse("order-invite", args=[order.pk])).content.decode()
    assert "阿珠（闽南话·调解）" in form  # the invite form offers her dialect
    r = client.post(
        reverse("order-invite", args=[order.pk]),
        {"invitee": f"u:{alliance.team.pk}", "message": "需要闽南话志愿者"},
    )
    assert r.status_code == 302
    for user in (alliance.vol, alliance.vol2):
        assert list(orders_visible_to(fresh(user))) == [order]
        assert Notification.objects.filter(recipient=user, order=order, kind="invited").exists()
    assert list(orders_visible_to(fresh(alliance.lawyer))) == []
    bad = client.post(reverse("order-invite", args=[order.pk]), {"invitee": "u:999999"})
    assert bad.status_code == 400
    # A volunteer struck off the register (在册 no more) is not invited by name.
    alliance.lawyer.memberships.get().volunteer_profile.__class__.objects.filter(
        membership__user=alliance.lawyer
    ).update(is_active=False)
    with pytest.raises(InvalidInput):
        services.order_invite(
            order_id=order.pk, actor=fresh(world.dispatcher), member_id=alliance.lawyer.pk
        )


def test_a_closed_order_takes_no_invitation(world, alliance, order_in):
    order = order_in("closed")
    with pytest.raises(Conflict):
        services.order_invite(
            order_id=order.pk, actor=fresh(world.dispatcher), unit_id=alliance.team.pk
        )
    with pytest.raises(InvalidInput):
        services.order_invite(
            order_id=order.pk, actor=fresh(world.dispatcher), unit_id=world.hb_police.pk
        )


def test_alliance_pages_and_api_for_the_center(world, alliance, client):
    alliance.vol.profile_phone = None
    from dispatch.models import Profile

    Profile.objects.create(user=alliance.vol, phone="13912345678")
    client.force_login(world.dispatcher)
    page = client.get(reverse("alliance:unit", args=[alliance.team.pk])).content.decode()
    assert "阿珠" in page and "139****5678" in page and "13912345678" not in page
    found = client.get(reverse("alliance:units") + "?dialect=minnan").content.decode()
    assert "阿珠" in found and "阿华" not in found
    rows = api(world.supervisor).get("/api/v1/alliance/members/?dialect=minnan").json()
    assert [(r["name"], r["phone"]) for r in rows] == [("阿珠", "139****5678")]
    assert api(world.handler).get("/api/v1/alliance/members/").status_code == 403
    assert api(alliance.vol).get("/api/v1/alliance/units/").status_code == 403
    assert Role.VOLUNTEER == "volunteer"
