import pytest

from care.models import CareKind
from care.services import SubjectInput, care_subject_register
from tests.factories import T0, valid_id_number

ELDER_PHONE = "13900001111"
ELDER_ID = valid_id_number("35058119400101001")


@pytest.fixture
def register(world):
    """``register(name=..., community=world.zk, actor=world.handler, now=T0, **fields)``."""

    def make(*, actor=None, community=None, now=T0, **fields):
        data = {
            "name": "陈阿婆",
            "kind": CareKind.ELDERLY_ALONE,
            "community_id": (community or world.zk).pk,
            "address": "曾坑社区 3 号",
            "phone": ELDER_PHONE,
            "id_number": ELDER_ID,
            "needs": "行动不便，需要定期上门",
        } | fields
        return care_subject_register(
            actor=actor or world.handler, data=SubjectInput(**data), now=now
        )

    return make


@pytest.fixture
def elder(register):
    return register()
