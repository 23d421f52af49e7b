"""What the hotline's pages and API read: the supervisor board and the statistics.

Both read a province's tickets through two indexes (models.Ticket.Meta): the open ones by area
and due time (a partial index: they are few even when the resolved are a million), all of them
by receipt time then area for the statistics (a period is a small part of a year's tickets).
The statistics are one pass over the period's tickets (GROUPING SETS: the totals, per day,
channel, category, agency and district at once) and one over their segments; nothing is
loaded row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.utils import timezone

from kiemdich.geo.models import Unit

from .models import OPEN_STATUSES, Agency, Category, Channel, Outcome, Segment, Ticket
from .services import step_at

#: The board's colours: red past the limit, orange from the first escalation step (80 %).
BREACHED, NEAR, ON_TIME = "breached", "near", "on_time"


def in_area(unit: Unit) -> QuerySet:
    """Tickets from the communes of `unit` (a prefix of their stored path)."""
    return Ticket.objects.filter(path__startswith=unit.path)


@dataclass
class BoardRow:
    ticket: Ticket
    state: str
    age_minutes: int
    left_minutes: int


def board_state(ticket: Ticket, now: dt.datetime) -> str:
    """Red past `due_at`, orange from the first escalation step, else on time: the rule the
    board and the queue share."""
    if now > ticket.due_at:
        return BREACHED
    first = min(settings.HOTLINE_ESCALATION_STEPS)
    if now >= step_at(ticket.received_at, ticket.limit_minutes, first):
        return NEAR
    return ON_TIME


def board(tickets: QuerySet, now: dt.datetime | None = None, limit: int = 200) -> dict:
    """The open tickets of `tickets` (already cut to the reader's area), oldest first, with
    their colour, and how many are on time, near the limit and past it."""
    now = now or timezone.now()
    open_ = tickets.filter(status__in=OPEN_STATUSES)
    first = min(settings.HOTLINE_ESCALATION_STEPS)
    # When the first step falls, in the database: received_at + limit × first % (the rule of
    # services.step_at), so the counts cover every open ticket, not only the rows listed.
    warn_at = ExpressionWrapper(
        F("received_at") + F("limit_minutes") * Value(dt.timedelta(seconds=60 * first / 100)),
        output_field=DateTimeField(),
    )
    counts = open_.annotate(warn_at=warn_at).aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(due_at__lt=now)),
        near=Count("pk", filter=Q(due_at__gte=now, warn_at__lte=now)),
    )
    rows = [
        BoardRow(
            ticket=t,
            state=board_state(t, now),
            age_minutes=int((now - t.received_at).total_seconds() // 60),
            left_minutes=int((t.due_at - now).total_seconds() // 60),
        )
        for t in open_.select_related("commune", "agency").order_by("received_at")[:limit]
    ]
    return {
        "rows": rows,
        "total": counts["total"],
        "breached": counts["breached"],
        "near": counts["near"],
        "first_step": first,
    }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


#: The groups of the statistics' one pass, by their GROUPING() bits (1: not grouped by) over
#: (day, channel, category, agency_id, district).
_TOTAL, _DAY, _CHANNEL, _CATEGORY, _AGENCY, _DISTRICT = 31, 15, 23, 27, 29, 30

#: Official codes have a fixed width (province 2 digits, district 3): a commune's path
#: "70/696/25396/" holds its district's code at characters 4 to 6.
_STATISTICS_SQL = """
SELECT GROUPING(day, channel, category, agency_id, district), day, channel, category,
    agency_id, district,
    count(*),
    count(*) FILTER (WHERE outcome = ANY(%(resolved)s)),
    count(*) FILTER (WHERE outcome = %(met)s),
    count(*) FILTER (WHERE status = ANY(%(open)s)),
    count(*) FILTER (WHERE acknowledged_at IS NOT NULL),
    count(*) FILTER (WHERE acknowledged_at <= first_response_due_at),
    count(*) FILTER (WHERE reopened),
    count(*) FILTER (WHERE moves > 0)
FROM (
    SELECT (received_at AT TIME ZONE %(zone)s)::date AS day, channel, category, agency_id,
        substr(path, 4, 3) AS district, outcome, status, acknowledged_at,
        first_response_due_at, reopened, moves, minutes_used
    FROM {table}
    WHERE path LIKE %(path)s AND received_at >= %(since)s AND received_at < %(until)s
) AS period
GROUP BY GROUPING SETS ((), (day), (channel), (category), (agency_id), (district))
"""

#: The median and 90th percentile of the minutes used, of the period's resolved tickets: apart,
#: as an ordered-set aggregate in the grouping sets would sort every group, not only the total.
_PERCENTILES_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes_used),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes_used)
FROM {table}
WHERE path LIKE %(path)s AND received_at >= %(since)s AND received_at < %(until)s
    AND outcome = ANY(%(resolved)s)
"""


def _held_minutes(unit: Unit, since: dt.datetime, until: dt.datetime) -> dict[int, float]:
    """Minutes each agency held the period's tickets (their finished segments). A segment
    starts after its ticket's receipt, so `assigned_at >= since` narrows the segments by
    their own index before the join to the period's tickets."""
    epoch = Func(
        F("released_at") - F("assigned_at"),
        function="EXTRACT",
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )
    rows = (
        Segment.objects.filter(
            assigned_at__gte=since,
            ticket__path__startswith=unit.path,
            ticket__received_at__gte=since,
            ticket__received_at__lt=until,
            released_at__isnull=False,
        )
        .values("agency_id")
        .annotate(seconds=Sum(epoch))
        .values_list("agency_id", "seconds")
    )
    return {agency: (seconds or 0) / 60 for agency, seconds in rows}


def statistics(unit: Unit, start: dt.date, end: dt.date) -> dict:
    """The hotline's figures for the tickets of `unit` received from `start` to `end` (local
    days, both included): per day, channel and category; the share resolved within the limit
    per agency and per district; the share acknowledged within the first-response target;
    median and 90th percentile of the minutes used; reopened and moved tickets."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    params = {
        "resolved": [Outcome.MET.value, Outcome.BREACHED.value],
        "met": Outcome.MET.value,
        "open": [str(s) for s in OPEN_STATUSES],
        "zone": str(zone),
        "path": unit.path + "%",
        "since": since,
        "until": until,
    }
    with connection.cursor() as cur:
        cur.execute(_STATISTICS_SQL.format(table=Ticket._meta.db_table), params)
        rows = cur.fetchall()
        cur.execute(_PERCENTILES_SQL.format(table=Ticket._meta.db_table), params)
        mid, high = cur.fetchone()
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    empty = (_TOTAL, None, None, None, None, None, 0, 0, 0, 0, 0, 0, 0, 0)
    (*_keys, total, resolved, met, open_, acked, first_met, reopened, moved) = (
        groups.get(_TOTAL) or [empty]
    )[0]
    channels, categories = dict(Channel.choices), dict(Category.choices)
    agencies = dict(Agency.objects.values_list("pk", "name"))
    names = dict(
        Unit.objects.filter(level=2, path__startswith=unit.path).values_list("code", "name")
    )
    held = _held_minutes(unit, since, until)

    def figures_of(row) -> dict:
        return {
            "tickets": row[6],
            "resolved": row[7],
            "met": row[8],
            "met_share": _share(row[8], row[7]),
        }

    return {
        "unit": unit.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "tickets": total,
        "open": open_,
        "resolved": resolved,
        "met": met,
        "met_share": _share(met, resolved),
        "first_response_share": _share(first_met, acked),
        "median_minutes": mid,
        "p90_minutes": high,
        "reopened": reopened,
        "moved": moved,
        "per_day": [
            {"date": row[1].isoformat(), "tickets": row[6]}
            for row in sorted(groups.get(_DAY, []), key=lambda r: r[1])
        ],
        "per_channel": [
            {"channel": row[2], "label": str(channels[row[2]]), "tickets": row[6]}
            for row in sorted(groups.get(_CHANNEL, []), key=lambda r: (-r[6], r[2]))
        ],
        "per_category": [
            {"category": row[3], "label": str(categories[row[3]]), "tickets": row[6]}
            for row in sorted(groups.get(_CATEGORY, []), key=lambda r: (-r[6], r[3]))
        ],
        "per_agency": [
            {
                "agency_id": row[4],
                "agency": agencies.get(row[4], ""),
                **figures_of(row),
                "held_minutes": round(held.get(row[4], 0)),
            }
            for row in sorted(groups.get(_AGENCY, []), key=lambda r: r[4] or 0)
            if row[4] is not None
        ],
        "per_district": [
            {"code": row[5], "name": names.get(row[5], row[5]), **figures_of(row)}
            for row in sorted(groups.get(_DISTRICT, []), key=lambda r: r[5])
        ],
    }
