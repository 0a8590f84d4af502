"""The care visit clock (``deadlines`` kind ``care_visit``): one open per active subject,
started at registration and again at each visit, due ``visit_interval(kind)`` later.

Told (``deadlines.sweep``): at the warning (80 % of the interval) the community's police
(handlers and reporters of the police stations looking after the community); at the due
time those and the stations' heads; as long again past due the stations' heads and the
heads of the community's residents' and mediation committees. All of them see the subject
in full, so the notice's link (the subject's page) opens for each. The notice names the
subject masked (张*): notices may leave the site by SMS, e-mail or push."""

from __future__ import annotations

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from deadlines.kinds import DeadlineKind, declare
from dispatch.models import Role

from .models import VISIT_CLOCK, CareSubject
from .selectors import community_committee_heads, community_police, mask_name

KIND = VISIT_CLOCK


def _told(deadline, level: int) -> list[int]:
    community_id = (
        CareSubject.objects.filter(pk=deadline.subject_id).values_list("community_id", flat=True)
    ).first()
    if community_id is None:
        return []
    police = (Role.HANDLER, Role.REPORTER)
    heads = (Role.UNIT_HEAD,)
    if level == 0:
        rows = community_police(community_id, *police)
    elif level == 1:
        rows = community_police(community_id, *police, *heads)
    else:
        committee = community_committee_heads(community_id).values_list("user_id", flat=True)
        return sorted(
            set(community_police(community_id, *heads).values_list("user_id", flat=True))
            | set(committee)
        )
    return sorted(set(rows.values_list("user_id", flat=True)))


def _describe(deadline) -> tuple[str, str]:
    subject = CareSubject.objects.filter(pk=deadline.subject_id).select_related("community").first()
    if subject is None:
        return _t("关爱走访"), "/care/"
    text = _t("关爱走访：%(name)s（%(community)s，%(kind)s）") % {
        "name": mask_name(subject.name),
        "community": subject.community.name,
        "kind": subject.get_kind_display(),
    }
    return text, f"/care/{subject.pk}/"


CARE_VISIT = declare(DeadlineKind(name=KIND, label=_("关爱走访"), told=_told, describe=_describe))
