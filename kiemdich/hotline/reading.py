"""What the hotline's pages and API read: the supervisor board and the statistics.

Both read a province's tickets through two indexes (models.Ticket.Meta): the open ones by area
and due time (a partial index: they are few even when the resolved are a million), all of them
by receipt time then area for the statistics (a period is a small part of a year's tickets). The statistics are aggregates in the database;
nothing is loaded row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, Sum
from django.db.models.aggregates import Aggregate
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from kiemdich.geo.models import Unit

from .models import OPEN_STATUSES, Agency, Category, Channel, Outcome, Segment, Ticket
from .services import step_at

#: The board's colours: red past the limit, orange from the first escalation step (80 %).
BREACHED, NEAR, ON_TIME = "breached", "near", "on_time"


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


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
    counts = open_.aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(due_at__lt=now)),
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
    near = sum(1 for r in rows if r.state == NEAR)
    return {
        "rows": rows,
        "total": counts["total"],
        "breached": counts["breached"],
        "near": near,
        "first_step": first,
    }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def statistics(unit: Unit, start: dt.date, end: dt.date) -> dict:
    """The hotline's figures for the tickets of `unit` received from `start` to `end` (local
    days, both included): per day, channel and category; the share resolved within the limit
    per agency and per district; median and 90th percentile of the minutes used; reopened and
    moved tickets."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(), zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    tickets = in_area(unit).filter(received_at__gte=since, received_at__lt=until)
    resolved = Q(outcome__in=[Outcome.MET, Outcome.BREACHED])
    met = Q(outcome=Outcome.MET)
    totals = tickets.aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=resolved),
        met=Count("pk", filter=met),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        reopened=Count("pk", filter=Q(reopened=True)),
        moved=Count("pk", filter=Q(moves__gt=0)),
        median=Percentile("minutes_used", 0.5, filter=resolved),
        p90=Percentile("minutes_used", 0.9, filter=resolved),
    )
    per_day = [
        {"date": row["day"].isoformat(), "tickets": row["n"]}
        for row in tickets.annotate(day=TruncDate("received_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    ]
    channels = dict(Channel.choices)
    per_channel = [
        {"channel": row["channel"], "label": str(channels[row["channel"]]), "tickets": row["n"]}
        for row in tickets.values("channel").annotate(n=Count("pk")).order_by("-n", "channel")
    ]
    categories = dict(Category.choices)
    per_category = [
        {
            "category": row["category"],
            "label": str(categories[row["category"]]),
            "tickets": row["n"],
        }
        for row in tickets.values("category").annotate(n=Count("pk")).order_by("-n", "category")
    ]
    agencies = {a.pk: a.name for a in Agency.objects.all().only("pk", "name")}
    per_agency = []
    # Joined, not `ticket__in=`: the period's tickets lead to their segments by the ticket's
    # index, where a subquery would have the planner read every segment.
    held = dict(
        Segment.objects.filter(
            ticket__path__startswith=unit.path,
            ticket__received_at__gte=since,
            ticket__received_at__lt=until,
            released_at__isnull=False,
        )
        .values("agency_id")
        .annotate(
            minutes=Sum(
                Func(
                    F("released_at") - F("assigned_at"),
                    function="EXTRACT",
                    template="EXTRACT(EPOCH FROM %(expressions)s)",
                    output_field=FloatField(),
                )
            )
        )
        .values_list("agency_id", "minutes")
    )
    for row in (
        tickets.filter(agency__isnull=False)
        .values("agency_id")
        .annotate(n=Count("pk"), resolved=Count("pk", filter=resolved), met=Count("pk", filter=met))
        .order_by("agency_id")
    ):
        per_agency.append(
            {
                "agency_id": row["agency_id"],
                "agency": agencies.get(row["agency_id"], ""),
                "tickets": row["n"],
                "resolved": row["resolved"],
                "met": row["met"],
                "met_share": _share(row["met"], row["resolved"]),
                "held_minutes": round((held.get(row["agency_id"]) or 0) / 60),
            }
        )
    per_district = []
    names = dict(
        Unit.objects.filter(level=2, path__startswith=unit.path).values_list("code", "name")
    )
    # Official codes have a fixed width (province 2 digits, district 3): a commune's path
    # "70/696/25396/" holds its district's code at characters 4 to 6.
    for row in (
        tickets.annotate(district=Substr("path", 4, 3))
        .values("district")
        .annotate(n=Count("pk"), resolved=Count("pk", filter=resolved), met=Count("pk", filter=met))
        .order_by("district")
    ):
        per_district.append(
            {
                "code": row["district"],
                "name": names.get(row["district"], row["district"]),
                "tickets": row["n"],
                "resolved": row["resolved"],
                "met": row["met"],
                "met_share": _share(row["met"], row["resolved"]),
            }
        )
    return {
        "unit": unit.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "tickets": totals["total"],
        "open": totals["open"],
        "resolved": totals["resolved"],
        "met": totals["met"],
        "met_share": _share(totals["met"], totals["resolved"]),
        "median_minutes": totals["median"],
        "p90_minutes": totals["p90"],
        "reopened": totals["reopened"],
        "moved": totals["moved"],
        "per_day": per_day,
        "per_channel": per_channel,
        "per_category": per_category,
        "per_agency": per_agency,
        "per_district": per_district,
    }
