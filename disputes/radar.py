"""The repeat-dispute radar (重复纠纷, issue 17): earlier orders and police incidents with
the same party phone or ID number, the same address, or the same party names in the
same community, within ``settings.RADAR_WINDOW_DAYS`` before an order's report.

Numbers are masked on every page, so they are matched on keyed hashes stored beside them
(``Party.phone_key``/``id_key``, ``Order.address_key``, ``Incident.caller_phone_key``/
``address_key``): HMAC-SHA256 under ``settings.RADAR_KEY`` of the normalised value, the
first 128 bits in hex. A key says nothing of the number without the key; a new key means
rebuilding them all (``manage.py radar_rekey``).

The keys and their normalising are in ``disputes.radar_keys``: the models set their keys
whenever they are saved, and the bulk paths (``order_report``'s parties, the bench) set
them explicitly.

Reading: ``radar_find`` is one query, a UNION ALL of index scans on the keys (raw SQL:
it runs at every report and on every order page, and the ORM's union costs more to build
than the scans to run); ``radar_for_viewer`` adds one query for what of it the viewer
may see. A match outside the viewer's scope is counted, nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from .models import Incident, IncidentType, Order, Party, State
from .radar_keys import normalise_name
from .selectors import orders_visible_to

# --- reasons -----------------------------------------------------------------------------


class Reason:
    PHONE = "phone"
    ID_NUMBER = "id_number"
    ADDRESS = "address"
    NAME = "name"


REASON_ORDER = [Reason.PHONE, Reason.ID_NUMBER, Reason.ADDRESS, Reason.NAME]
REASON_LABELS = {
    Reason.PHONE: _("同一电话"),
    Reason.ID_NUMBER: _("同一身份证"),
    Reason.ADDRESS: _("同一地址"),
    Reason.NAME: _("同名当事人"),
}


def sorted_reasons(reasons: Iterable[str]) -> list[str]:
    given = set(reasons)
    return [r for r in REASON_ORDER if r in given]


# --- the lookup --------------------------------------------------------------------------


@dataclass(frozen=True)
class RadarQuery:
    """What an order is matched on, and when it was reported."""

    at: datetime
    community_id: int | None
    phone_keys: frozenset[str] = frozenset()
    id_keys: frozenset[str] = frozenset()
    address_key: str = ""
    names: frozenset[str] = frozenset()
    exclude_order_id: int | None = None
    exclude_incident_id: int | None = None

    @property
    def since(self) -> datetime:
        return self.at - timedelta(days=settings.RADAR_WINDOW_DAYS)


def radar_query(
    *,
    at: datetime,
    community_id,
    address_key: str,
    parties: Iterable,
    exclude_order_id: int | None = None,
    exclude_incident_id: int | None = None,
) -> RadarQuery:
    """A query from an order's (or a report's) fields; ``parties`` carry their keys."""
    parties = list(parties)
    return RadarQuery(
        at=at,
        community_id=community_id,
        phone_keys=frozenset(p.phone_key for p in parties if p.phone_key),
        id_keys=frozenset(p.id_key for p in parties if p.id_key),
        address_key=address_key or "",
        names=frozenset(n for n in (normalise_name(p.name) for p in parties) if n),
        exclude_order_id=exclude_order_id,
        exclude_incident_id=exclude_incident_id,
    )


def radar_query_for(order, parties: Iterable | None = None) -> RadarQuery:
    """The query of a stored order (its parties as already read, if given)."""
    return radar_query(
        at=order.reported_at,
        community_id=order.community_id,
        address_key=order.address_key,
        parties=order.parties.all() if parties is None else parties,
        exclude_order_id=order.pk,
    )


@dataclass
class Match:
    kind: str  # "order" or "incident"
    pk: int
    number: str
    at: datetime
    state: str  # an order's state, an incident's type name
    order_id: int | None = None  # an incident's order
    submitted_by_id: int | None = None  # an incident's sender
    reasons: set[str] = field(default_factory=set)

    @property
    def state_label(self) -> str:
        """An order's state as shown; an incident's type name."""
        if self.kind != "order":
            return self.state
        return str(State(self.state).label) if self.state in State.values else self.state

    @property
    def reason_codes(self) -> list[str]:
        return sorted_reasons(self.reasons)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reason_codes]


def _in(values) -> tuple[str, list]:
    values = sorted(values)
    return ", ".join(["%s"] * len(values)), values


def _hits_sql(q: RadarQuery, adapt) -> tuple[str, list]:
    """One UNION ALL of index scans, a branch per reason and table: rows of (kind, id,
    number, at, state or type name, incident's order, incident's sender, reason)."""
    order, party = Order._meta.db_table, Party._meta.db_table
    incident, kind = Incident._meta.db_table, IncidentType._meta.db_table
    window = [adapt(q.since), adapt(q.at)]
    of_orders = (
        "SELECT 'order', o.id, o.number, o.reported_at, o.state, NULL, NULL, %s "
        f"FROM {order} o WHERE o.reported_at >= %s AND o.reported_at <= %s"
        " AND o.state <> 'merged'"  # a merged duplicate is its kept order's dispute
    )
    of_parties = (
        "SELECT 'order', o.id, o.number, o.reported_at, o.state, NULL, NULL, %s "
        f"FROM {party} p JOIN {order} o ON o.id = p.order_id "
        "WHERE o.reported_at >= %s AND o.reported_at <= %s AND o.state <> 'merged'"
    )
    of_incidents = (
        "SELECT 'incident', i.id, i.number, i.received_at, t.name, i.order_id, "
        f"i.submitted_by_id, %s FROM {incident} i JOIN {kind} t ON t.id = i.type_id "
        "WHERE i.received_at >= %s AND i.received_at <= %s"
    )
    branches: list[str] = []
    params: list = []

    def add(select: str, reason: str, condition: str, values: list) -> None:
        branches.append(f"{select} AND {condition}")
        params.extend([reason, *window, *values])

    if q.phone_keys:
        marks, keys = _in(q.phone_keys)
        add(of_parties, Reason.PHONE, f"p.phone_key <> '' AND p.phone_key IN ({marks})", keys)
        add(
            of_incidents,
            Reason.PHONE,
            f"i.caller_phone_key <> '' AND i.caller_phone_key IN ({marks})",
            keys,
        )
    if q.id_keys:
        marks, keys = _in(q.id_keys)
        add(of_parties, Reason.ID_NUMBER, f"p.id_key <> '' AND p.id_key IN ({marks})", keys)
    if q.address_key:
        key = [q.address_key]
        add(of_orders, Reason.ADDRESS, "o.address_key <> '' AND o.address_key = %s", key)
        add(of_incidents, Reason.ADDRESS, "i.address_key <> '' AND i.address_key = %s", key)
    if q.names and q.community_id:
        marks, names = _in(q.names)
        where = [q.community_id, *names]
        add(of_parties, Reason.NAME, f"o.community_id = %s AND p.name IN ({marks})", where)
        add(of_incidents, Reason.NAME, f"i.community_id = %s AND i.caller_name IN ({marks})", where)
    return " UNION ALL ".join(branches), params


def _moment(value) -> datetime:
    """A timestamp as read by a raw query (SQLite gives text, in UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def radar_find(q: RadarQuery) -> list[Match]:
    """Earlier orders and incidents matching ``q``, newest first, each once with all its
    reasons. One query (none for a query with nothing to match on): a UNION ALL of
    index scans on the keys (migration 0039). Orders reported at the window's start
    (``at - RADAR_WINDOW_DAYS``) count; the order itself does not. An incident that
    became an order of the list (or the order itself) is not listed apart from it."""
    sql, params = _hits_sql(q, connection.ops.adapt_datetimefield_value)
    if not sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    orders: dict[int, Match] = {}
    incidents: dict[int, Match] = {}
    for kind, pk, number, at, state, order_id, sender, reason in rows:
        if kind == "order":
            if pk == q.exclude_order_id:
                continue
            m = orders.setdefault(pk, Match("order", pk, number, _moment(at), state))
        else:
            if pk == q.exclude_incident_id:
                continue
            m = incidents.setdefault(
                pk,
                Match("incident", pk, number, _moment(at), state, order_id, submitted_by_id=sender),
            )
        m.reasons.add(reason)
    listed = [
        m
        for m in incidents.values()
        if m.order_id is None or (m.order_id != q.exclude_order_id and m.order_id not in orders)
    ]
    found = list(orders.values()) + listed
    found.sort(key=lambda m: (m.at, m.kind == "order", m.pk), reverse=True)
    return found


@dataclass
class RadarView:
    """What a viewer sees of an order's radar: the matches they may open, and how many
    others there are (no number, date or reason of those)."""

    matches: list[Match]
    hidden: int

    @property
    def total(self) -> int:
        return len(self.matches) + self.hidden


def radar_for_viewer(q: RadarQuery, user) -> RadarView:
    """``radar_find`` split by what ``user`` may see: orders visible to them
    (``selectors.orders_visible_to``); incidents they submitted or whose order is visible
    to them. Two queries at most."""
    found = radar_find(q)
    order_ids = {m.pk for m in found if m.kind == "order"} | {
        m.order_id for m in found if m.kind == "incident" and m.order_id
    }
    visible: set[int] = set()
    if order_ids:
        visible = set(orders_visible_to(user).filter(pk__in=order_ids).values_list("pk", flat=True))
    me = getattr(user, "pk", None)
    shown = [
        m
        for m in found
        if (m.kind == "order" and m.pk in visible)
        or (
            m.kind == "incident"
            and (m.order_id in visible or (me is not None and m.submitted_by_id == me))
        )
    ]
    return RadarView(matches=shown, hidden=len(found) - len(shown))


def repeat_reasons(matches: Iterable[Match]) -> list[str]:
    """The reasons of all matches, in the fixed order (phone, ID, address, name)."""
    return sorted_reasons(r for m in matches for r in m.reasons)
