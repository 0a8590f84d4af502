"""The escalation level badge (``.escalated.lvl-N``): the inbox, the order page and the
board name a level so."""

from django import template
from django.utils.html import format_html

from ..levels import EscalationLevel

register = template.Library()


@register.simple_tag
def escalation_badge(level) -> str:
    """An escalation level's badge, one colour per level (``.escalated.lvl-N``)."""
    if level is None or level == "":
        return ""
    level = int(level)
    return format_html(
        '<span class="escalated lvl-{}">{}</span>',
        level,
        dict(EscalationLevel.choices).get(level, level),
    )
