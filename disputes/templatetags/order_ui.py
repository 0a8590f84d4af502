"""Template helpers for the order pages: the header's navigation, bilingual labels, and
the small pieces every list row repeats (its state and its clock), written in Python
because a list renders them fifty times a page."""

from django import template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from alliance.selectors import can_view_alliance
from dispatch.models import RiskLevel, Role
from dispatch.selectors import memberships_of
from disputes.colours import Colour
from disputes.desk import has_desk
from disputes.events import event_label
from disputes.models import State
from disputes.selectors import HANDLER_ROLES, can_report, is_alliance_only
from shishi_mediation.templatetags.shishi import display_name_filter
from shishi_mediation.text import display_name

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
    if Role.VOLUNTEER in roles:  # the mediation alliance: the orders it is invited to
        links += [("my-assists", _("我的协助"))]
    if not is_alliance_only(user):
        links += [("board", _("看板"))]
    links += [("order-list", _("查询"))]
    if can_view_alliance(user):
        links += [("alliance:units", _("调解联盟"))]
    if has_desk(user):
        links += [("incident-desk", _("警情工作台"))]
    if not is_alliance_only(user):  # 隐患排查 (the hazards app, by URL name)
        links += [("hazards:list", _("隐患排查"))]
    if Role.SUPERVISOR in roles or Role.DISPATCHER in roles or user.is_superuser:
        links += [("overview", _("概况"))]
        links += [("map", _("地图"))]  # supervision.maps: a street center's or a jurisdiction's
    if Role.SUPERVISOR in roles or user.is_superuser:
        links += [("reports:index", _("月报"))]
    elif roles & {Role.HANDLER, Role.UNIT_HEAD, Role.DISPATCHER}:  # supervision.bulletins
        links += [("reports:standing", _("本单位通报"))]
    links += [("training:list", _("培训"))]  # issue 18: everyone sees the sessions they attended
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


_ORDER_URLS: dict[tuple[str, str, str | None], str] = {}
_PK = 4321987654321  # a placeholder no real id shares its digits with


def _order_path(name: str, pk) -> str:
    """``{% url name pk %}`` for an order's page or action, reversed once per URL name,
    prefix and URLconf (a list page asks for it on every row)."""
    key = (name, get_script_prefix(), get_urlconf())
    pattern = _ORDER_URLS.get(key)
    if pattern is None:
        pattern = _ORDER_URLS[key] = reverse(name, args=[_PK]).replace(str(_PK), "{}")
    return pattern.format(int(pk))


@register.filter
def order_url(pk) -> str:
    """``{% url 'order-detail' pk %}``."""
    return _order_path("order-detail", pk)


# ``get_FOO_display()`` rebuilds a dict of every choice, translating each label, on every
# call; a list row needs one label. Labels per language, built once.
_CHOICE_LABELS: dict[tuple[str, str], dict[str, str]] = {}


def _label(choices, value: str) -> str:
    key = (choices.__name__, get_language() or "")
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        labels = _CHOICE_LABELS[key] = {c.value: str(c.label) for c in choices}
    return labels.get(value, value)


@register.simple_tag
def colour_badge(order) -> str:
    """The order's colour grade as a word (红/黄/绿) in its colour: readable without
    seeing colours."""
    colour = getattr(order, "colour", "")
    if not colour:
        return ""
    return format_html(
        '<span class="colour colour-{}" title="{}">{}</span>',
        colour,
        gettext("颜色等级"),
        _label(Colour, colour),
    )


@register.simple_tag
def state_badge(order) -> str:
    """The order's colour (``colour_badge``), its state, 就地化解 if settled on the spot,
    and its risk when high (``disputes/_state.html``)."""
    html = format_html(
        '{} <span class="state state-{}">{}</span>',
        colour_badge(order),
        order.state,
        _label(State, order.state),
    )
    if getattr(order, "on_the_spot", False):
        html += format_html(' <span class="state state-spot">{}</span>', gettext("就地化解"))
    if order.risk_level == RiskLevel.HIGH:
        html += format_html(
            ' <span class="risk risk-high">{}</span>', _label(RiskLevel, RiskLevel.HIGH)
        )
    return html


# An escalation on the timeline is named by its level.
register.filter("event_label", event_label)


@register.simple_tag
def clock(c) -> str:
    """A running SLA clock coloured by urgency, or a dash (``disputes/_clock.html``)."""
    if not c:
        return format_html('<span class="muted">{}</span>', "—")
    label = str(c.label)
    due = timezone.localtime(c.due).strftime("%m-%d %H:%M")  # the |date:"m-d H:i" it was
    return format_html(
        '<span class="clock clock-{}" title="{} {} {}"><span class="stage">{}</span> {}</span>',
        c.urgency,
        label,
        gettext("截止"),
        due,
        label,
        c.text,
    )


@register.simple_tag
def board_row(o, now) -> str:
    """One row of the live board. Written here rather than in ``_board.html`` because
    the board renders fifty of them on every refresh of every open board, and the
    template's per-value lookups and filters cost four times as much."""
    if o.clock:
        deadline = clock(o.clock)
    else:
        waiting, since = (
            (gettext("待结单"), o.met_at)
            if o.state == "met"
            else (gettext("待派单"), o.reported_at)
        )
        deadline = format_html(
            '<span class="clock clock-queue">{} {}</span>', waiting, timesince(since, now)
        )
    escalation = (
        format_html(' <span class="escalated lvl-{}">{}</span>', o.escalation_level, o.escalation)
        if o.escalation
        else ""
    )
    paused_until = getattr(o, "paused_until", None)
    if paused_until:  # a clock pause running (暂停计时): its clock's due time moved
        escalation = format_html("{}{}", escalation, paused_badge(paused_until))
    return format_html(
        '<tr class="row-{}" data-order="{}">\n'
        "    <td>{}</td>\n"
        '    <td class="num"><a href="{}">{}</a></td>\n'
        '    <td class="title">{} <small class="muted">{}</small></td>\n'
        "    <td>{}{}</td>\n"
        '    <td class="nowrap">{}</td>\n'
        "    <td>{}</td>\n"
        "    <td>{}</td>\n"
        "  </tr>",
        o.clock.urgency if o.clock else "none",
        o.number,
        deadline,
        order_url(o.pk),
        o.number,
        o.title,
        category_label(o.category),
        state_badge(o),
        escalation,
        o.community,
        o.lead_unit or "—",
        display_name(o.assignee) or "—",
    )


@register.simple_tag
def paused_badge(until) -> str:
    """ "暂停中 至 12-09 14:30": a clock of the order is paused until then."""
    return format_html(
        ' <span class="state state-paused">{}</span>',
        gettext("暂停中 至 %(until)s")
        % {"until": timezone.localtime(until).strftime("%m-%d %H:%M")},
    )


# The handler list's buttons: (action, URL name, label, classes); signing is a form.
_CARD_LINKS = (
    ("contact", "order-contact", _("记录联系")),
    ("meet", "order-meet", _("记录调解")),
    ("close", "order-close", _("结单")),
)


@register.simple_tag(takes_context=True)
def handler_card(context, o, my_units) -> str:
    """One card of the handler list (its buttons from ``o.actions``). Written here for
    the reason ``board_row`` is."""
    detail = order_url(o.pk)
    assist = (
        format_html('<span class="state assist">{}</span>', gettext("协办"))
        if o.lead_unit_id not in my_units
        else ""
    )
    place = format_html("{} · {}", category_label(o.category), o.community)
    if o.address:
        place += format_html(" · {}", o.address)
    lead = format_html("{}", o.lead_unit or "—")
    if o.assignee:
        lead += format_html(" · {}", display_name(o.assignee))
    buttons = []
    if "sign" in o.actions:
        token = context.get("csrf_token")
        csrf = (
            format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
            if token and token != "NOTPROVIDED"
            else ""
        )
        buttons.append(
            format_html(
                '\n      <form method="post" action="{}" class="inline">{}\n'
                '        <input type="hidden" name="next" value="{}">\n'
                '        <button type="submit" class="primary big">{}</button>\n'
                "      </form>",
                _order_path("order-sign", o.pk),
                csrf,
                context["request"].get_full_path(),
                gettext("签收"),
            )
        )
    for action, name, label in _CARD_LINKS:
        if action in o.actions:
            buttons.append(
                format_html(
                    '\n      <a class="button primary" href="{}">{}</a>',
                    _order_path(name, o.pk),
                    label,
                )
            )
    return format_html(
        '<li class="card urgency-{}" data-order="{}">\n'
        '    <div class="card-head">\n'
        "      {}\n      {}\n      {}\n"
        '      <a class="num" href="{}">{}</a>\n'
        "    </div>\n"
        '    <h3><a href="{}">{}</a></h3>\n'
        '    <p class="muted small">{}<br>\n'
        '      <span class="lbl">{}</span>{}</p>\n'
        '    <div class="actions">{}\n'
        '      <a class="button" href="{}">{}</a>\n'
        "    </div>\n"
        "  </li>",
        # An order the unit only assists is not its own to be late on.
        "assist" if assist else o.clock.urgency if o.clock else "none",
        o.number,
        clock(o.clock),
        state_badge(o),
        assist,
        detail,
        o.number,
        detail,
        o.title,
        place,
        gettext("责任单位"),
        lead,
        mark_safe("".join(buttons)),  # each part built by format_html
        detail,
        gettext("详情"),
    )
