"""Who sees a care subject: in full only the community's police and committees; masked
in the list for the street center and supervisors; nothing for anyone else."""

import pytest
from django.urls import reverse

from care.selectors import subjects_in_full, subjects_listed
from tests.care.conftest import ELDER_PHONE

pytestmark = pytest.mark.django_db

FULL = ["handler", "head", "committee_handler", "reporter", "admin"]
MASKED = ["dispatcher", "supervisor", "hb_supervisor"]
NOTHING = ["fl_handler", "fl_dispatcher", "labour_handler", "nobody"]


@pytest.mark.parametrize("who", FULL)
def test_full_detail_for_community_police_and_committees(client, world, elder, who):
    client.force_login(getattr(world, who))
    page = client.get(reverse("care:detail", args=[elder.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "陈阿婆" in text and ELDER_PHONE in text and "曾坑社区 3 号" in text
    assert "行动不便" in text
    listed = client.get(reverse("care:list")).content.decode()
    assert "陈阿婆" in listed


@pytest.mark.parametrize("who", MASKED)
def test_masked_list_and_no_detail_for_center_and_supervisors(client, world, elder, who):
    client.force_login(getattr(world, who))
    listed = client.get(reverse("care:list"))
    assert listed.status_code == 200
    text = listed.content.decode()
    assert "陈*" in text and "陈阿婆" not in text
    assert ELDER_PHONE not in text and "曾坑社区 3 号" not in text and "行动不便" not in text
    assert client.get(reverse("care:detail", args=[elder.pk])).status_code == 404
    assert client.get(reverse("care:visit", args=[elder.pk])).status_code == 404


@pytest.mark.parametrize("who", NOTHING)
def test_others_get_404_and_an_empty_register(client, world, elder, who):
    user = getattr(world, who)
    client.force_login(user)
    assert client.get(reverse("care:detail", args=[elder.pk])).status_code == 404
    listed = client.get(reverse("care:list"))
    # Another street's police and center have a register of their own (empty here).
    assert listed.status_code == (200 if who in ("fl_handler", "fl_dispatcher") else 404)
    assert "陈" not in listed.content.decode()
    assert not subjects_listed(user).exists()
    assert not subjects_in_full(user).exists()


def test_other_communitys_committee_sees_nothing(world, register):
    # 石光 (sg) is HB's other community: HB's police see its subject, 曾坑's committee not.
    subject = register(community=world.sg, name="林大伯", phone="", id_number="")
    assert subjects_in_full(world.handler).filter(pk=subject.pk).exists()
    assert not subjects_listed(world.committee_handler).filter(pk=subject.pk).exists()
    assert subjects_listed(world.dispatcher).filter(pk=subject.pk).exists()
    assert not subjects_in_full(world.dispatcher).filter(pk=subject.pk).exists()
