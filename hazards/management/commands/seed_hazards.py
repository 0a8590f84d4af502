"""The demo's hazards and screening log (called by ``seed_demo``; idempotent).

Categories routed to the demo's departments: 房屋安全 to the housing bureau (login
``housing``), 消防安全 / 道路交通 / 治安隐患 to each street's police station, 矛盾隐患 and
其他 to each street's center. A few hazards reported by the 曾坑 grid worker (``grid``):
one open near its deadline (湖滨派出所, login ``police``), one fixed on time with a photo
(by ``housing``), one open for the journey (房屋安全, to be closed by ``housing``); and
screening visits, one of them finding a hazard.
"""

import io
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image

from dispatch.models import Area, Unit
from shishi_mediation.commands import add_now_argument, parse_now

from ...models import Hazard, HazardCategory, HazardRoute, ScreeningVisit
from ...services import (
    HazardInput,
    ScreeningInput,
    hazard_close,
    hazard_report,
    screening_record,
)

HOUSING = "石狮市住房和城乡建设局"
DAY = timedelta(days=1)

# (code, name, English, days, routed to each street's "police" or "center", or a unit)
CATEGORIES = [
    ("fire", "消防安全", "Fire safety", 7, "police"),
    ("housing", "房屋安全", "Building safety", 10, HOUSING),
    ("traffic", "道路交通", "Road traffic", 7, "police"),
    ("security", "治安隐患", "Public security", 7, "police"),
    ("conflict", "矛盾隐患", "Brewing disputes", 3, "center"),
    ("other", "其他", "Other", 7, "center"),
]


def demo_photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


class Command(BaseCommand):
    help = "Create the demo's hazard categories, hazards and screening visits (idempotent)."

    def add_arguments(self, parser):
        add_now_argument(parser, what="seed")

    def handle(self, *args, now=None, **options):
        now = parse_now(now)
        with transaction.atomic():
            categories = self.seed_categories()
            created = self.seed_hazards(categories, now)
        self.stdout.write(
            f"hazard categories {len(categories)} · hazards {Hazard.objects.count()} "
            f"({created} created now) · screening visits {ScreeningVisit.objects.count()}"
        )

    def seed_categories(self) -> dict[str, HazardCategory]:
        streets = list(Area.objects.filter(level=Area.Level.STREET))
        units = {u.name: u for u in Unit.objects.filter(is_active=True)}
        found = {}
        for position, (code, name, name_en, days, routed) in enumerate(CATEGORIES):
            # The demo's names: 湖滨派出所 (two characters), 湖滨街道多元调处中心.
            names = {
                s: f"{s.name[:2]}派出所" if routed == "police" else f"{s.name}多元调处中心"
                for s in streets
            }
            per_street = {s: units.get(name) for s, name in names.items()}
            default = units.get(routed) or next((u for u in per_street.values() if u), None)
            if default is None:
                continue
            category, _ = HazardCategory.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "fix_days": days,
                    "department": default,
                    "position": position,
                    "is_active": True,
                },
            )
            if routed in ("police", "center"):
                for street, unit in per_street.items():
                    if unit is not None:
                        HazardRoute.objects.update_or_create(
                            category=category, street=street, defaults={"department": unit}
                        )
            found[code] = category
        return found

    def seed_hazards(self, categories, now) -> int:
        users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in=["grid", "police", "housing", "grid_fl"]
            )
        }
        zk = Area.objects.filter(level=Area.Level.COMMUNITY, name="曾坑社区").first()
        if zk is None or "grid" not in users or not {"fire", "housing"} <= set(categories):
            return 0
        grid = users["grid"]
        if Hazard.objects.filter(reporter=grid, address__startswith="曾坑").exists():
            return 0
        fire, housing = categories["fire"], categories["housing"]
        # Screening visits: two found nothing, one found the blocked fire lane.
        for days, place, checked in (
            (9, "曾坑菜市场", [fire, categories.get("security")]),
            (4, "曾坑社区老旧小区 5 栋", [fire, housing]),
        ):
            screening_record(
                actor=grid,
                data=ScreeningInput(
                    community_id=zk.pk,
                    place=place,
                    visited_at=now - days * DAY,
                    checked_ids=[c.pk for c in checked if c],
                    note="未发现隐患。",
                ),
                now=now - days * DAY,
            )
        found = screening_record(
            actor=grid,
            data=ScreeningInput(
                community_id=zk.pk,
                place="曾坑村 8 号出租屋",
                visited_at=now - 6 * DAY - 13 * timedelta(hours=1),
                checked_ids=[fire.pk, housing.pk],
                note="楼道堆放电动车和杂物。",
            ),
            now=now - 6 * DAY - 12 * timedelta(hours=1),
        )
        # Open, near its deadline (6.5 of 7 days gone): 湖滨派出所 must act.
        hazard_report(
            actor=grid,
            data=HazardInput(
                category_id=fire.pk,
                community_id=zk.pk,
                address="曾坑村 8 号出租屋楼道",
                description="楼道内停放电动车充电、堆放杂物，堵塞消防通道。",
                screening_id=found.pk,
            ),
            photos=[demo_photo("楼道.jpg", (150, 60, 40))],
            now=now - 6 * DAY - 12 * timedelta(hours=1),
        )
        # Fixed on time, with a photo after, by the housing bureau.
        fixed = hazard_report(
            actor=grid,
            data=HazardInput(
                category_id=housing.pk,
                community_id=zk.pk,
                address="曾坑村 21 号外墙",
                description="外墙瓷砖松动，有坠落危险。",
            ),
            photos=[demo_photo("外墙.jpg", (120, 120, 120))],
            now=now - 9 * DAY,
        )
        if "housing" in users:
            hazard_close(
                hazard_id=fixed.pk,
                actor=users["housing"],
                note="已清除松动瓷砖并加设防护网。",
                photos=[demo_photo("整改后.jpg", (60, 150, 60))],
                now=now - 3 * DAY,
            )
        # Open, just reported: the journey's hazard for ``housing`` to fix and close.
        hazard_report(
            actor=grid,
            data=HazardInput(
                category_id=housing.pk,
                community_id=zk.pk,
                address="曾坑村 3 号危房",
                description="老旧砖房墙体开裂，仍有人居住。",
            ),
            photos=[demo_photo("危房.jpg", (110, 90, 70))],
            now=now - 2 * timedelta(hours=1),
        )
        return 3
