"""Open orders for the load test, on top of ``manage.py seed_demo``.

The demo has ~40 orders, too few open ones for handlers to sign and contact for ten
minutes. This adds, through ``disputes.services`` only (never raw SQL), for the two
demo streets the load test drives (湖滨 and 凤里):

* ``--reported`` orders per street waiting in the dispatch queue;
* ``--dispatched`` orders per street dispatched to a unit whose handler is a load-test
  user, back-dated so that their 30-minute sign clock started 14 to 32 minutes ago: the
  warning (80 %, at 24 min) and level 1 (at 30 min) of many of them come due while the
  load runs, so the every-minute SLA sweep has real work during the test;
* ``--signed`` orders per street signed an hour ago, waiting for the contact record.

Run with the project's virtualenv and the load test's DATABASE_URL:
``python loadtest/seed_open.py --reported 60 --dispatched 150 --signed 60``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shishi_mediation.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dispatch.models import Area, Category, Unit  # noqa: E402
from disputes import services  # noqa: E402
from disputes.services import PartyInput, ReportInput  # noqa: E402

# street code → (dispatcher, reporters, [(community code or None for "any", lead unit)])
STREETS = {
    "HB": (
        "center",
        ["police", "grid"],
        [("ZK", "曾坑社区人民调解委员会"), ("YH", "玉湖社区人民调解委员会"), (None, "湖滨派出所")],
    ),
    "FL": (
        "center_fl",
        ["police_fl", "grid_fl"],
        [("XH", "新华社区人民调解委员会"), (None, "凤里派出所")],
    ),
}
# Categories whose default sign limit is 30 min (crisis is 10 min, high risk 15 min).
CATEGORIES = ["neighbour", "family", "property", "contract", "wages", "consumer"]
SURNAMES = "陈林黄张李王吴刘蔡杨许郑谢洪邱曾"


def lead_for(community_code: str, routes) -> str:
    for code, unit in routes:
        if code is None or code == community_code:
            return unit
    raise LookupError(community_code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reported", type=int, default=60, help="per street")
    parser.add_argument("--dispatched", type=int, default=150, help="per street")
    parser.add_argument("--signed", type=int, default=60, help="per street")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    logging.getLogger("disputes.services").setLevel(logging.WARNING)

    users = {u.username: u for u in get_user_model().objects.all()}
    categories = {c.code: c for c in Category.objects.filter(code__in=CATEGORIES)}
    units = {u.name: u for u in Unit.objects.all()}
    now = timezone.now()
    t0 = time.monotonic()
    made = {"reported": 0, "dispatched": 0, "signed": 0}

    for street_code, (dispatcher, reporters, routes) in STREETS.items():
        street = Area.objects.get(code=street_code, level=Area.Level.STREET)
        communities = list(Area.objects.filter(parent=street, level=Area.Level.COMMUNITY))
        plan = (
            ["reported"] * args.reported
            + ["dispatched"] * args.dispatched
            + ["signed"] * args.signed
        )
        for i, target in enumerate(plan):
            community = rng.choice(communities)
            category = categories[rng.choice(CATEGORIES)]
            reporter = users[rng.choice(reporters)]
            if target == "dispatched":
                # Sign clock started 14-32 min ago: warnings and level 1 fall in the run.
                dispatched_at = now - timedelta(seconds=rng.uniform(14 * 60, 32 * 60))
            else:
                dispatched_at = now - timedelta(minutes=rng.uniform(60, 120))
            reported_at = dispatched_at - timedelta(minutes=rng.uniform(2, 20))
            if target == "reported":
                reported_at = now - timedelta(minutes=rng.uniform(1, 25))
            name = rng.choice(SURNAMES)
            with transaction.atomic():
                order = services.order_report(
                    actor=reporter,
                    data=ReportInput(
                        title=f"压测预置{i:04d} {community.name}{category.name}",
                        narrative=f"负载测试预置订单：{community.name}居民反映{category.name}。",
                        category_id=category.pk,
                        community_id=community.pk,
                        risk_level=rng.choice(["low", "low", "medium"]),
                        # Its own address and names: the repeat radar finds nothing, so no
                        # order turns red (red needs a 包案 leader at dispatch).
                        address=f"{community.name}{street_code}{i}号",
                        parties=[
                            PartyInput(
                                name=f"{name}某{i}",
                                phone=f"139{rng.randint(0, 99999999):08d}",
                            ),
                            PartyInput(
                                name=f"{rng.choice(SURNAMES)}某{street_code}{i}", role="respondent"
                            ),
                        ],
                    ),
                    now=reported_at,
                )
                if target in ("dispatched", "signed"):
                    lead = units[lead_for(community.code, routes)]
                    services.order_dispatch(
                        order_id=order.pk,
                        actor=users[dispatcher],
                        lead_unit_id=lead.pk,
                        note="压测预置",
                        now=dispatched_at,
                    )
                    if target == "signed":
                        handler = lead.memberships.filter(role="handler").first().user
                        services.order_sign(
                            order_id=order.pk,
                            actor=handler,
                            now=dispatched_at + timedelta(minutes=rng.uniform(1, 20)),
                        )
            made[target] += 1
    print(
        "seed_open: "
        + ", ".join(f"{k} {v}" for k, v in made.items())
        + f" orders added through disputes.services in {time.monotonic() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
