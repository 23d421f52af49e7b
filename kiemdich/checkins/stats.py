"""Checkpoint statistics: the table in seed 004 and the checkpoints nobody scans any more.

Read-only, and built from the two facts that make past dates answerable: a venue's
`activated_at`/`ended_at` say when it counted as a checkpoint, and `ScanDaily` keeps the scans per
commune and local day long after the check-ins themselves are purged. So a district's table for
a whole year is two grouped queries over a few thousand rows, whatever the number of check-ins.

Day boundaries are local (Asia/Ho_Chi_Minh) midnights turned into aware datetimes, never casts of
a timestamp column to a date: a cast depends on the database session's time zone, differs
between PostgreSQL and SQLite, and stops the indexes from being used.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from kiemdich.geo.models import Level, Unit
from kiemdich.venues.models import Status, Venue

from .models import Checkin, ScanDaily


@dataclass(frozen=True)
class Row:
    """One line of the table: a unit under the one asked about."""

    code: str
    name: str
    checkpoints: int
    scans: int


@dataclass(frozen=True)
class Total:
    checkpoints: int
    scans: int


@dataclass(frozen=True)
class CheckpointTable:
    """Checkpoints on `date` and scans from 1 January to `date`, per unit under `unit`."""

    unit: Unit
    date: dt.date
    rows: list[Row]
    total: Total


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware instant at which `day` starts in the project's time zone."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def counted_on(day: dt.date) -> Q:
    """Venues that counted as checkpoints at some moment of local `day`'s end: approved by then
    and not yet ended (one ended during `day` no longer counts, as the paper reports did)."""
    end = local_midnight(day + dt.timedelta(days=1))
    return Q(activated_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end))


def checkpoint_table(unit: Unit, date: dt.date) -> CheckpointTable:
    """The table of seed 004 for `unit` on `date`: one row per child unit, in code order.

    A commune has no children, so its table is the commune itself as a single row. Children with
    nothing still appear, since a zero is what officials are looking for.
    """
    if unit.level == Level.COMMUNE:
        children = [unit]
    else:
        children = list(Unit.objects.filter(parent=unit).order_by("code"))

    def child_code(path: str) -> str:
        # "70/696/25396/": the segment at index `level` is the child of a unit at that level.
        return unit.code if unit.level == Level.COMMUNE else path.split("/")[unit.level]

    scans_by_path = (
        ScanDaily.objects.filter(
            commune__path__startswith=unit.path,
            date__gte=dt.date(date.year, 1, 1),
            date__lte=date,
        )
        .values_list("commune__path")
        .annotate(n=Sum("scans"))
        .order_by()
    )
    venues_by_path = (
        Venue.objects.under(unit)
        .filter(counted_on(date))
        .values_list("commune__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    scans: Counter[str] = Counter()
    for path, n in scans_by_path:
        scans[child_code(path)] += n
    checkpoints: Counter[str] = Counter()
    for path, n in venues_by_path:
        checkpoints[child_code(path)] += n

    rows = [Row(c.code, c.full_name, checkpoints[c.code], scans[c.code]) for c in children]
    total = Total(sum(r.checkpoints for r in rows), sum(r.scans for r in rows))
    return CheckpointTable(unit=unit, date=date, rows=rows, total=total)


def idle_checkpoints(unit: Unit, today: dt.date, days: int = 7) -> QuerySet[Venue]:
    """Active checkpoints under `unit` with no scan in the `days` local days ending `today`.

    Only checkpoints active since before the window are listed: one approved yesterday has not
    had a fair chance yet, and a paused one is expected to be quiet. The NOT EXISTS probes the
    (venue, t_in) index once per venue instead of counting every scan of the area.
    """
    start = local_midnight(today - dt.timedelta(days=days - 1))
    end = local_midnight(today + dt.timedelta(days=1))
    recent = Checkin.objects.filter(venue=OuterRef("pk"), t_in__gte=start, t_in__lt=end)
    return (
        Venue.objects.under(unit)
        .filter(status=Status.ACTIVE, activated_at__lt=start)
        .filter(~Exists(recent))
        .select_related("commune")
        .order_by("commune_id", "name", "pk")
    )


@dataclass(frozen=True)
class DayActivity:
    """What happened at the checkpoints under a unit on one local day (the daily bulletin)."""

    checkpoints: int  # counted on the day (`counted_on`)
    new_checkpoints: int  # of those, approved during the day
    scanned_checkpoints: int  # with at least one scan during the day
    scans: int  # visits entered during the day (`ScanDaily`, as every statistic counts them)
    people: int  # different people among those visits (anonymous typed-in visits excluded)
    scans_by_commune: dict[str, int]  # commune code -> scans, communes with scans only


def day_activity(unit: Unit, day: dt.date) -> DayActivity:
    """The checkpoint figures of the daily bulletin for `unit` on `day`: four queries whatever
    the number of communes, checkpoints or scans under it.

    The checkpoints counted are `counted_on`'s, the scans `ScanDaily`'s (what the table of seed
    004 and the daily report read, so the three cannot disagree); the checkpoints scanned and the
    people are read from the day's check-ins themselves through the (venue, t_in) and t_in
    indexes, so they are known for days still within the retention period only.
    """
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    venues = Venue.objects.under(unit)
    counted = venues.filter(counted_on(day)).aggregate(
        n=Count("pk"), new=Count("pk", filter=Q(activated_at__gte=start))
    )
    on_day = Checkin.objects.filter(venue=OuterRef("pk"), t_in__gte=start, t_in__lt=end)
    scanned = venues.filter(Exists(on_day)).count()
    people = Checkin.objects.filter(
        venue__commune__path__startswith=unit.path,
        t_in__gte=start,
        t_in__lt=end,
        person__isnull=False,
    ).aggregate(n=Count("person", distinct=True))["n"]
    by_commune = dict(
        ScanDaily.objects.filter(commune__path__startswith=unit.path, date=day, scans__gt=0)
        .values_list("commune_id", "scans")
        .order_by()
    )
    return DayActivity(
        checkpoints=counted["n"],
        new_checkpoints=counted["new"],
        scanned_checkpoints=scanned,
        scans=sum(by_commune.values()),
        people=people,
        scans_by_commune=by_commune,
    )


def visits_on(venue_ids: list[int], day: dt.date) -> dict[int, int]:
    """Visits entered at each of these checkpoints on local `day` (an owner's "today"), in one
    query over the (venue, t_in) index; checkpoints without any are left out."""
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    return dict(
        Checkin.objects.filter(venue_id__in=venue_ids, t_in__gte=start, t_in__lt=end)
        .values_list("venue_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
