"""The dashboards' figures: per commune, district and province, read in a few grouped counts.

Everything comes from the monitorings' own columns (the last report's day, the open alerts'
times, the stored end), so a province of 200,000 people under monitoring is one pass over its
active rows per figure set (bench/monitoring.py), never a join to the daily reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kiemdich.geo.models import Level, Unit

from .models import Facility, Monitoring, Regime, State

FIGURES = ("under", "reported_today", "not_reporting", "symptomatic", "ending_today")


@dataclass
class Figures:
    under: int = 0
    reported_today: int = 0
    not_reporting: int = 0
    symptomatic: int = 0
    ending_today: int = 0

    def add(self, other: Figures) -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_list(self) -> list[int]:
        return [getattr(self, name) for name in FIGURES]


@dataclass
class Dashboard:
    unit: Unit
    today: dt.date
    total: Figures
    #: (child unit, its figures): districts of a province, communes of a district.
    rows: list[tuple[Unit, Figures]] = field(default_factory=list)
    #: (regime, its label, people under monitoring).
    by_regime: list[tuple[str, str, int]] = field(default_factory=list)
    #: Facilities of the area with `occupancy` and `capacity`.
    facilities: list[Facility] = field(default_factory=list)


def _day_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    return start, start + dt.timedelta(days=1)


def in_unit(unit: Unit) -> QuerySet:
    """The active monitorings followed up by communes of `unit`. The communes are listed by
    code (a province has a few hundred at most) rather than joined by path: PostgreSQL checks
    a list of codes against each row from a hash, where the join cost as much as the counts."""
    communes = Unit.objects.filter(path__startswith=unit.path, level=Level.COMMUNE)
    return Monitoring.objects.filter(
        state=State.ACTIVE, commune_id__in=list(communes.values_list("pk", flat=True))
    )


def _aggregates(today: dt.date) -> dict:
    start, end = _day_bounds(today)
    return {
        "under": Count("pk"),
        "reported_today": Count("pk", filter=Q(last_report_on=today)),
        "not_reporting": Count("pk", filter=Q(not_reporting_since__isnull=False)),
        "symptomatic": Count("pk", filter=Q(symptomatic_since__isnull=False)),
        "ending_today": Count("pk", filter=Q(ends_at__gte=start, ends_at__lt=end)),
    }


def dashboard(unit: Unit, today: dt.date | None = None) -> Dashboard:
    """One pass over the unit's active monitorings, grouped by commune and regime: the totals,
    each child unit's figures and the regimes all come from it."""
    today = today or timezone.localdate()
    groups = (
        in_unit(unit)
        .values("commune_id", "regime")
        .annotate(**_aggregates(today))
        .order_by("commune_id", "regime")
    )
    total = Figures()
    children = {child.path: child for child in unit.children.all()} if unit.level < 3 else {}
    sums = {path: Figures() for path in children}
    regimes = dict.fromkeys(Regime.values, 0)
    paths = dict(Unit.objects.filter(path__startswith=unit.path, level=3).values_list("pk", "path"))
    for row in groups:
        figures = Figures(**{name: row[name] for name in FIGURES})
        total.add(figures)
        regimes[row["regime"]] = regimes.get(row["regime"], 0) + figures.under
        path = paths.get(row["commune_id"], "")
        for child_path, child_sum in sums.items():
            if path.startswith(child_path):
                child_sum.add(figures)
                break
    facilities = list(
        Facility.objects.filter(commune__path__startswith=unit.path)
        .annotate(occupancy=Count("monitorings", filter=Q(monitorings__state=State.ACTIVE)))
        .select_related("commune")
        .order_by("name")
    )
    return Dashboard(
        unit=unit,
        today=today,
        total=total,
        rows=[(child, sums[path]) for path, child in sorted(children.items())],
        by_regime=[(value, str(label), regimes[value]) for value, label in Regime.choices],
        facilities=facilities,
    )


#: The follow-up list's filters: what each shows.
def follow_up_filter(name: str, today: dt.date) -> Q:
    start, end = _day_bounds(today)
    return {
        "not_reporting": Q(not_reporting_since__isnull=False),
        "symptomatic": Q(symptomatic_since__isnull=False),
        "ending_today": Q(ends_at__gte=start, ends_at__lt=end),
        "not_reported_today": ~Q(last_report_on=today) | Q(last_report_on__isnull=True),
    }.get(name, Q())


def follow_up(monitorings: QuerySet, show: str = "", today: dt.date | None = None) -> QuerySet:
    """A commune's follow-up list: the alerts first (symptoms, then silence, the oldest first),
    then in the order people were enrolled. Sorted on the monitorings' own columns only, so a
    page of 50 joins 50 people, not the commune's thousands (bench/monitoring.py)."""
    today = today or timezone.localdate()
    return (
        monitorings.filter(state=State.ACTIVE)
        .filter(follow_up_filter(show, today))
        .prefetch_related("person", "facility")  # for the page's rows only, after sorting
        .order_by(
            F("symptomatic_since").asc(nulls_last=True),
            F("not_reporting_since").asc(nulls_last=True),
            "pk",
        )
    )
