"""What the hotline's pages and API read: the supervisor board and the statistics.

The board reads the open tickets through a partial index by area and due time (they are few
even when the resolved are a million). The statistics read the daily rollup the services keep
(per day and area: the counts of all tickets and per channel, category, agency and district,
the time each agency held them; a histogram of whole minutes used), never the tickets:
`statistics_from_tickets` computes the same figures from the tickets, as the oracle the rollup
is tested and measured against. Nothing is loaded row by row.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from kiemdich.geo.models import Unit

from .models import (
    OPEN_STATUSES,
    Agency,
    Category,
    Channel,
    DayCount,
    DayMinutes,
    Dimension,
    Outcome,
    Segment,
    Ticket,
)
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
    # The first step has fallen where received_at <= now - limit × first % (services.step_at
    # turned round), so the counts cover every open ticket, not only the rows listed. The
    # limits are a few (the default, the categories' own): one condition per limit, which
    # SQLite can compare too (it cannot multiply a duration by a column).
    warned = Q(pk__in=[])
    for minutes in open_.order_by().values_list("limit_minutes", flat=True).distinct():
        since = now - (step_at(now, minutes, first) - now)
        warned |= Q(limit_minutes=minutes, received_at__lte=since)
    counts = open_.aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(due_at__lt=now)),
        near=Count("pk", filter=Q(due_at__gte=now) & warned),
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


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The times of local days `start` to `end` (both included), in TIME_ZONE: the days the
    rollup counts by (services._day_of)."""
    zone = timezone.get_default_timezone()
    since = dt.datetime.combine(start, dt.time(), zone)
    return since, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)


#: The groups of the statistics, by their GROUPING() bits (1: not grouped by) over (day,
#: channel, category, agency_id, district), and the columns that follow the keys in each row:
#: (bits, day, channel, category, agency_id, district, tickets, resolved, met, open,
#: acknowledged, acknowledged in time, reopened, moved).
_TOTAL, _DAY, _CHANNEL, _CATEGORY, _AGENCY, _DISTRICT = 31, 15, 23, 27, 29, 30
_COUNTS = ("tickets", "resolved", "met", "open", "acknowledged", "first_met", "reopened", "moved")


def _rollup_groups(unit: Unit, start: dt.date, end: dt.date) -> tuple[dict, dict]:
    """The period's counts from the rollup (models.DayCount), as the grouped rows of
    `statistics_from_tickets`, and the minutes each agency held the tickets."""
    rows = DayCount.objects.filter(unit=unit, day__gte=start, day__lte=end)
    sums = {name: Sum(name) for name in _COUNTS}
    groups: dict[int, list[tuple]] = {bits: [] for bits in (_CHANNEL, _CATEGORY, _AGENCY)}
    groups[_DISTRICT] = []
    held: dict[int, float] = {}
    place = {
        Dimension.CHANNEL: (_CHANNEL, 1),
        Dimension.CATEGORY: (_CATEGORY, 2),
        Dimension.AGENCY: (_AGENCY, 3),
        Dimension.DISTRICT: (_DISTRICT, 4),
    }
    for dimension, value, spent, *counts in (
        rows.values("dimension", "value")
        .annotate(spent=Sum("held"), **sums)
        .order_by()
        .values_list("dimension", "value", "spent", *_COUNTS)
    ):
        if dimension == Dimension.AGENCY:
            value = int(value)
            held[value] = spent.total_seconds() / 60
        if not counts[0]:
            continue  # an agency that held tickets it no longer holds
        if dimension == Dimension.ALL:
            groups[_TOTAL] = [(_TOTAL, None, None, None, None, None, *counts)]
            continue
        bits, index = place[dimension]
        keys = [None] * 5
        keys[index] = value
        groups[bits].append((bits, *keys, *counts))
    groups[_DAY] = [
        (_DAY, day, None, None, None, None, *counts)
        for day, *counts in rows.filter(dimension=Dimension.ALL)
        .values("day")
        .annotate(**sums)
        .order_by()
        .values_list("day", *_COUNTS)
    ]
    return groups, held


def percentile(histogram: list[tuple[int, int]], fraction: float) -> float | None:
    """The `fraction` percentile of the values `histogram` counts ((value, how many), by
    value), interpolated between the two nearest as PostgreSQL's percentile_cont does."""
    count = sum(n for _value, n in histogram)
    if not count:
        return None
    position = fraction * (count - 1)
    low, high = math.floor(position), math.ceil(position)

    def value_at(index: int) -> float:
        seen = 0
        for value, n in histogram:
            seen += n
            if index < seen:
                return float(value)
        raise IndexError(index)

    first = value_at(low)
    if high == low:
        return first
    return first + (value_at(high) - first) * (position - low)


def _rollup_percentiles(unit: Unit, start: dt.date, end: dt.date) -> tuple:
    histogram = list(
        DayMinutes.objects.filter(unit=unit, day__gte=start, day__lte=end)
        .values("minutes")
        .annotate(n=Sum("tickets"))
        .order_by("minutes")
        .values_list("minutes", "n")
    )
    return percentile(histogram, 0.5), percentile(histogram, 0.9)


def statistics(unit: Unit, start: dt.date, end: dt.date) -> dict:
    """The hotline's figures for the tickets of `unit` received from `start` to `end` (local
    days, both included): per day, channel and category; the share resolved within the limit
    per agency and per district; the share acknowledged within the first-response target;
    median and 90th percentile of the minutes used; reopened and moved tickets.

    Read from the daily rollup (models.DayCount, DayMinutes, kept by the services), so a
    month of a province sums about a thousand rows instead of grouping every ticket; the
    tests hold it equal to `statistics_from_tickets`, the same figures from the tickets."""
    groups, held = _rollup_groups(unit, start, end)
    return _figures(unit, start, end, groups, _rollup_percentiles(unit, start, end), held)


#: The direct path's one pass over the period's tickets (GROUPING SETS: the totals, per day,
#: channel, category, agency and district at once).
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

#: The median and 90th percentile of the minutes used, of the period's resolved tickets.
_PERCENTILES_SQL = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes_used),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes_used)
FROM {table}
WHERE path LIKE %(path)s AND received_at >= %(since)s AND received_at < %(until)s
    AND outcome = ANY(%(resolved)s)
"""


def _held_minutes(unit: Unit, since: dt.datetime, until: dt.datetime) -> dict[int, float]:
    """Minutes each agency held the period's tickets (their finished segments)."""
    epoch = Func(
        F("released_at") - F("assigned_at"),
        function="EXTRACT",
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )
    rows = (
        Segment.objects.filter(
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


def statistics_from_tickets(unit: Unit, start: dt.date, end: dt.date) -> dict:
    """`statistics` computed from the tickets themselves (PostgreSQL only): the plain path
    the rollup is tested against (tests/hotline/test_rollup.py) and measured beside
    (bench/hotline.py). The pages and the API read `statistics`."""
    since, until = _period(start, end)
    params = {
        "resolved": [Outcome.MET.value, Outcome.BREACHED.value],
        "met": Outcome.MET.value,
        "open": [str(s) for s in OPEN_STATUSES],
        "zone": str(timezone.get_default_timezone()),
        "path": unit.path + "%",
        "since": since,
        "until": until,
    }
    with connection.cursor() as cur:
        cur.execute(_STATISTICS_SQL.format(table=Ticket._meta.db_table), params)
        rows = cur.fetchall()
        cur.execute(_PERCENTILES_SQL.format(table=Ticket._meta.db_table), params)
        percentiles = cur.fetchone()
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    return _figures(unit, start, end, groups, percentiles, _held_minutes(unit, since, until))


def _figures(
    unit: Unit,
    start: dt.date,
    end: dt.date,
    groups: dict[int, list],
    percentiles: tuple,
    held: dict[int, float],
) -> dict:
    """The statistics' answer from the grouped counts, whichever path counted them."""
    mid, high = percentiles
    empty = (_TOTAL, None, None, None, None, None, 0, 0, 0, 0, 0, 0, 0, 0)
    (*_keys, total, resolved, met, open_, acked, first_met, reopened, moved) = (
        groups.get(_TOTAL) or [empty]
    )[0]
    channels, categories = dict(Channel.choices), dict(Category.choices)
    agencies = dict(Agency.objects.values_list("pk", "name"))
    names = dict(
        Unit.objects.filter(level=2, path__startswith=unit.path).values_list("code", "name")
    )

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
