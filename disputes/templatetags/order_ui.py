"""Template helpers for the order pages: the header's navigation and bilingual labels."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dispatch.models import Role
from dispatch.selectors import memberships_of
from disputes.selectors import HANDLER_ROLES, can_report
from shishi_mediation.templatetags.shishi import display_name_filter

register = template.Library()

# ``{% load shishi %}`` needs shishi_mediation in INSTALLED_APPS (or TEMPLATES
# "libraries"); until then the same filter is offered here.
register.filter("display_name", display_name_filter)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@register.simple_tag
def nav_links(user) -> list[dict]:
    """The pages this user's roles use, in the order of the work."""
    if not getattr(user, "is_authenticated", False):
        return []
    roles = {m.role for m in memberships_of(user)}
    links: list[tuple[str, object]] = []
    if can_report(user):
        links += [("report", _("报单")), ("my-reports", _("我的报单"))]
    if Role.DISPATCHER in roles or user.is_superuser:
        links += [("queue", _("派单队列"))]
    if roles & set(HANDLER_ROLES):
        links += [("handling", _("本单位订单"))]
    links += [("board", _("看板")), ("order-list", _("查询"))]
    if Role.SUPERVISOR in roles or Role.DISPATCHER in roles or user.is_superuser:
        links += [("overview", _("概况"))]
    if Role.SUPERVISOR in roles or user.is_superuser:
        links += [("reports:index", _("月报"))]
    result = []
    for name, label in links:
        url = _url(name)
        if url:
            result.append({"name": name, "url": url, "label": label})
    return result


@register.filter
def category_label(category) -> str:
    """The category's English name when the page is in English and one is stored."""
    if category is None:
        return ""
    if (get_language() or "").startswith("en") and getattr(category, "name_en", ""):
        return category.name_en
    return category.name
