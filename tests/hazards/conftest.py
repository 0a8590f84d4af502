"""A world with hazard categories: 消防安全 routed to the HB labour department (a
department, 10 days) but to the FL police station in 凤里 (a street's route); 房屋安全
to the HB committee (5 days)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hazards.models import HazardCategory, HazardRoute
from hazards.services import HazardInput, hazard_report
from tests.factories import T0
from tests.images import image_bytes


@dataclass
class Categories:
    fire: HazardCategory
    housing: HazardCategory


@pytest.fixture
def categories(world) -> Categories:
    fire = HazardCategory.objects.create(
        code="fire", name="消防安全", department=world.hb_labour, fix_days=10
    )
    housing = HazardCategory.objects.create(
        code="housing", name="房屋安全", department=world.hb_committee, fix_days=5, position=1
    )
    HazardRoute.objects.create(category=fire, street=world.fl, department=world.fl_police)
    return Categories(fire=fire, housing=housing)


def photo(name="photo.jpg", fmt="JPEG") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt), content_type="image/jpeg")


@pytest.fixture
def report(world, categories, media_root):
    """``report(at=..., community=..., category=...)`` → a hazard reported by the grid
    worker through the service, with one photo before."""

    def make(*, at=T0, community=None, category=None, actor=None, photos=None, **kwargs):
        return hazard_report(
            actor=actor or world.reporter,
            data=HazardInput(
                category_id=(category or categories.fire).pk,
                community_id=(community or world.zk).pk,
                address=kwargs.pop("address", "曾坑村 8 号楼道"),
                description=kwargs.pop("description", "楼道堆放杂物，堵塞消防通道。"),
                **kwargs,
            ),
            photos=[photo()] if photos is None else photos,
            now=at,
        )

    return make


DAY = timedelta(days=1)


@pytest.fixture
def api():
    """``api(user)`` → an APIClient sending that user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
