"""The dashboards' figures: per commune, district and province, read in a few grouped counts.

Everything comes from the monitorings' own columns (the last report's day, the open alerts'
times, the stored end), kept by services.py as reports, alerts and the clock change them, never
from a join to the daily reports. The lists filter on them; the dashboards add up the counts
services.py keeps of them per commune and regime (`FigureCount`), so a province of 200,000
people under monitoring is a few thousand rows (bench/monitoring.py).
tests/monitoring/test_figures.py checks over random histories that both say what the reports
and alerts say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kiemdich.geo.models import Level, Unit

from .models import Facility, FigureCount, Regime, State

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


def figure_filters(today: dt.date) -> dict[str, Q]:
    """Whom each figure but "under monitoring" (all of them) counts among the active
    monitorings on `today`, for the follow-up lists; `counted` says the same for the counts
    the dashboards add up, and tests/monitoring/test_figures.py holds the two together."""
    start, end = _day_bounds(today)
    return {
        "reported_today": Q(last_report_on=today),
        "not_reporting": Q(not_reporting_since__isnull=False),
        "symptomatic": Q(symptomatic_since__isnull=False),
        "ending_today": Q(ends_at__gte=start, ends_at__lt=end),
    }


#: The columns `counted` reads, in its order.
COUNTED_COLUMNS = (
    "state",
    "commune_id",
    "regime",
    "last_report_on",
    "ends_at",
    "not_reporting_since",
    "symptomatic_since",
)


def counted(row: tuple) -> list[tuple[str, str, str, dt.date | None]]:
    """The dashboard counts (commune, regime, figure, day) a monitoring adds one to, from its
    `COUNTED_COLUMNS`: `figure_filters` with the day a dated figure is for in place of
    "today", so each change is counted once, when it happens (services._counting), and a day's
    figures are read as they are."""
    state, commune, regime, reported_on, ends_at, silent_since, symptomatic_since = row
    if state != State.ACTIVE:
        return []
    keys = [(commune, regime, "under", None)]
    if reported_on is not None:
        keys.append((commune, regime, "reported_today", reported_on))
    if silent_since is not None:
        keys.append((commune, regime, "not_reporting", None))
    if symptomatic_since is not None:
        keys.append((commune, regime, "symptomatic", None))
    if ends_at is not None:
        keys.append((commune, regime, "ending_today", timezone.localdate(ends_at)))
    return keys


def dashboard(unit: Unit, today: dt.date | None = None) -> Dashboard:
    """The unit's figures, summed from the counts its communes keep (`FigureCount`): a few
    thousand rows for a province rather than its 200,000 monitorings. The totals, each child
    unit's figures and the regimes are sums of the (commune, regime) groups."""
    today = today or timezone.localdate()
    communes = Unit.objects.filter(path__startswith=unit.path, level=Level.COMMUNE)
    counts = FigureCount.objects.filter(
        Q(day__isnull=True) | Q(day=today),
        commune_id__in=list(communes.values_list("pk", flat=True)),
    ).values_list("commune_id", "regime", "figure", "n")
    groups: dict[tuple[str, str], Figures] = {}
    for commune_id, regime, name, n in counts:
        setattr(groups.setdefault((commune_id, regime), Figures()), name, n)
    total = Figures()
    children = {child.path: child for child in unit.children.all()} if unit.level < 3 else {}
    sums = {path: Figures() for path in children}
    regimes = dict.fromkeys(Regime.values, 0)
    paths = dict(Unit.objects.filter(path__startswith=unit.path, level=3).values_list("pk", "path"))
    for (commune_id, regime), figures in groups.items():
        total.add(figures)
        regimes[regime] = regimes.get(regime, 0) + figures.under
        path = paths.get(commune_id, "")
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
    figures = figure_filters(today)
    return {
        "not_reporting": figures["not_reporting"],
        "symptomatic": figures["symptomatic"],
        "ending_today": figures["ending_today"],
        "not_reported_today": ~figures["reported_today"] | Q(last_report_on__isnull=True),
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
