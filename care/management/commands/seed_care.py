"""The care register's demo data (``seed_demo`` calls it by name; idempotent): an elderly
woman living alone in 曾坑社区 whose visit falls due in a few days (the officer ``police``
records a visit to her in the browser journey), the man in a mental crisis of the demo
order "精神障碍患者病情波动…" (linked to it by his phone and ID number, with the 2,000 yuan
raised to take him to hospital), and a few others."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from care.models import AidKind, CareKind, CareSubject
from care.services import SubjectInput, care_aid_record, care_subject_register, care_visit_record
from dispatch.models import Area
from shishi_mediation.validators import id_check_digit


def resident_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


# (registrar, street code, community code, name, kind, phone, id first 17, address,
#  guardian, guardian phone, needs, registered days ago, [(visited days ago, condition,
#  needs found)], [(aid kind, amount, days ago, outcome)])
SUBJECTS = [
    (
        "police",
        "HB",
        "ZK",
        "陈秀琴",
        CareKind.ELDERLY_ALONE,
        "13960718825",
        "35058119420817002",
        "湖滨街道曾坑社区曾坑北路8号",
        "陈建华（儿子，在外务工）",
        "13905951876",
        "82岁独居，腿脚不便，子女在外地；需每月上门看望，留意用电用气安全。",
        26,
        [],
        [],
    ),
    (
        "police",
        "HB",
        "ZK",
        "王志斌",
        CareKind.MENTAL_ILLNESS,
        "18050716638",
        "35058119870623019",
        "湖滨街道曾坑社区曾坑南路17号",
        "林秀治（母亲）",
        "13599258147",
        "精神分裂症，需按时服药；母亲年近七旬独自照料，家庭低保。",
        40,
        [(20, "出院后情绪稳定，按时服药。", "需协调长期服药费用。")],
        [
            (
                AidKind.HOSPITAL,
                Decimal("2000"),
                19,
                "民警与社区共同募集2000元，送泉州市第三医院住院治疗，病情已稳定。",
            ),
            (AidKind.CIVIL_AFFAIRS, None, 10, "已转介民政部门申请临时救助和医疗救助。"),
        ],
    ),
    (
        "yuhu",
        "HB",
        "YH",
        "黄小雨",
        CareKind.MINOR,
        "",
        "",
        "湖滨街道玉湖社区玉湖路21号",
        "黄春生（祖父）",
        "13860791234",
        "父母离异后随祖父生活，需关注上学和心理状况。",
        12,
        [(5, "在校表现正常，祖父身体尚可。", "")],
        [(AidKind.RESIDENTS, None, 5, "转介玉湖社区居委会，落实课后托管。")],
    ),
    (
        "police_fl",
        "FL",
        "XH",
        "李国富",
        CareKind.DISABLED,
        "13599021456",
        "35058119600405031",
        "凤里街道新华社区新华路45号",
        "",
        "",
        "下肢残疾，独自居住一楼，需协助办理残疾人补贴。",
        45,
        [(30, "生活能自理，情绪平稳。", "补贴材料需代办。")],
        [],
    ),
]


class Command(BaseCommand):
    help = "Create the care register's demo subjects, visits and aid (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date and time (default: now)")

    def handle(self, *args, **options):
        now = parse_datetime(options["now"]) if options.get("now") else timezone.now()
        created = seed_care(now=now)
        self.stdout.write(f"care subjects {CareSubject.objects.count()} ({created} created now)")


def seed_care(*, now: datetime) -> int:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in={s[0] for s in SUBJECTS})
    }
    created = 0
    with transaction.atomic():
        for (
            who,
            street,
            code,
            name,
            kind,
            phone,
            id17,
            address,
            guardian,
            guardian_phone,
            needs,
            ago,
            visits,
            aids,
        ) in SUBJECTS:
            community = Area.objects.filter(code=code, parent__code=street).first()
            actor = users.get(who)
            if community is None or actor is None:
                continue
            if CareSubject.objects.filter(name=name, community=community).exists():
                continue
            subject = care_subject_register(
                actor=actor,
                data=SubjectInput(
                    name=name,
                    kind=kind,
                    community_id=community.pk,
                    address=address,
                    phone=phone,
                    id_number=resident_id(id17) if id17 else "",
                    guardian_name=guardian,
                    guardian_phone=guardian_phone,
                    needs=needs,
                ),
                now=now - timedelta(days=ago),
            )
            for days, condition, found in visits:
                care_visit_record(
                    actor=actor,
                    subject_id=subject.pk,
                    visited_at=now - timedelta(days=days),
                    condition=condition,
                    needs_found=found,
                    now=now,
                )
            for aid_kind, amount, days, outcome in aids:
                care_aid_record(
                    actor=actor,
                    subject_id=subject.pk,
                    kind=aid_kind,
                    amount=amount,
                    given_on=timezone.localdate(now - timedelta(days=days)),
                    outcome=outcome,
                    now=now,
                )
            created += 1
    return created
