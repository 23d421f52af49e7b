"""Install counts and rates of a unit and the units under it, on a date and the days before.

The rule (issue 6): a unit's install count on a date is its imported figure (the newest on or
before that date: a cumulative count holds until the next file), or else the sum of its
children's; a commune's "children" are the installs registered there, kept as
daily sums in `InstallDay`. Smartphone users are a unit's newest figure on or before the date,
or else, the same way, the sum of its children's. Everything a dashboard shows (the table, the
charts, the exports, the API) comes from one `dashboard()` call, so they cannot disagree.

Cost: two or three queries whose size is the subtree's communes times the days shown, never the
number of installs (the province of a 10-million-install country answers in milliseconds).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from kiemdich.geo.models import Level, Unit, UnitStat

from .models import InstallDay, InstallFigure, Target

#: Days of history behind the trend chart; the pace uses the last `PACE_DAYS` of them.
TREND_DAYS = 30
PACE_DAYS = 7


def rate(installs: int | None, smartphone_users: int | None) -> Decimal | None:
    """Installs as a percentage of smartphone users, two decimals, rounded half up (as officials
    round by hand: 40.015 -> 40.02); None when there is nothing to divide by."""
    if installs is None or not smartphone_users:
        return None
    return (Decimal(installs) * 100 / Decimal(smartphone_users)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass
class Pace:
    """How fast a unit is moving towards its target, and what it needs to make the deadline."""

    gap: int  # installs still missing (0 when the target is met)
    per_day: float | None  # new installs per day over the last PACE_DAYS days (None: unknown)
    reaches_on: dt.date | None  # at that pace; None if it is not moving (or already there)
    needed_per_day: int | None  # to make the deadline; None once the deadline has passed


@dataclass
class Row:
    code: str
    name: str
    full_name: str
    smartphone_users: int | None
    installs: int
    rate: Decimal | None
    imported: bool  # the install count is a carrier's/vendor's figure, not a sum
    history: list[int] = field(default_factory=list)  # installs on each of Dashboard.dates
    same_source: int = 1  # the last days of `history` counted like the last (imported or not)
    target: Target | None = None  # this unit's own (see choose_target)
    pace: Pace | None = None


@dataclass
class Dashboard:
    unit: Unit | None  # None: the whole country (its rows are the provinces)
    date: dt.date
    dates: list[dt.date]  # the trend's days, oldest first, ending on `date`
    rows: list[Row]
    total: Row

    @property
    def target(self) -> Target | None:
        """The unit's own target (none for the whole country)."""
        return self.total.target


def choose_target(targets: list[Target], depth: dict[str, int], date: dt.date) -> Target | None:
    """Among the area targets covering a unit: one not yet due (the most specific area first,
    then the nearest deadline), else the one that passed last. A district's own 90% thus beats
    the province's 60%, and a passed target shows until the next one is set."""
    upcoming = [t for t in targets if t.deadline >= date]
    if upcoming:
        return min(upcoming, key=lambda t: (-depth[t.unit_id], t.deadline, t.pk))
    return max(targets, key=lambda t: (t.deadline, depth[t.unit_id], t.pk), default=None)


def targets_for(paths: dict[str, str], date: dt.date) -> dict[str, Target | None]:
    """The target of each unit (code -> its path), in one query."""
    ancestors = {code: [c for c in path.split("/") if c] for code, path in paths.items()}
    every = {c for chain in ancestors.values() for c in chain}
    targets: dict[str, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(unit_id__in=every):
        targets[target.unit_id].append(target)
    result = {}
    for code, chain in ancestors.items():
        depth = {c: i for i, c in enumerate(chain)}
        covering = [t for c in chain for t in targets.get(c, [])]
        result[code] = choose_target(covering, depth, date)
    return result


def latest_date(unit: Unit | None) -> dt.date:
    """The newest day up to today with figures in the unit's area (imported or registered):
    what a dashboard opens on, so a file imported last night shows at once. Today if none."""
    today = timezone.localdate()
    in_area = {"unit__path__startswith": unit.path} if unit else {}
    days = [
        model.objects.filter(date__lte=today, **in_area).aggregate(d=Max("date"))["d"]
        for model in (InstallFigure, InstallDay)
    ]
    known = [d for d in days if d is not None]
    return max(known) if known else today


def shortfall(threshold: Decimal, total: int, done: int) -> int:
    """How many of `total` are still missing for `threshold` % of them to have installed,
    rounded up (30% of 101 pupils is 31 pupils); 0 once reached. For areas and groups alike."""
    return max(0, math.ceil(threshold * total / Decimal(100)) - done)


def pace(row: Row, today: dt.date) -> Pace | None:
    """Where `row` stands against its own target on `today` (the last day of its history)."""
    target = row.target
    if target is None or row.smartphone_users is None:
        return None
    gap = shortfall(target.threshold, row.smartphone_users, row.installs)
    # The pace over the last days whose count has the same source as today's: a carrier's first
    # file after days of registered installs only is not a week's growth.
    history, same = row.history, row.same_source
    days = min(PACE_DAYS, same - 1)
    per_day = (history[-1] - history[-1 - days]) / days if days > 0 else None
    reaches_on = None
    if gap == 0:
        reaches_on = today
    elif per_day:
        reaches_on = today + dt.timedelta(days=math.ceil(gap / per_day))
    left = (target.deadline - today).days + 1  # "by 30/7" leaves 30/7 itself
    needed = None if left <= 0 else math.ceil(gap / left)
    per_day = None if per_day is None else round(per_day, 1)
    return Pace(gap=gap, per_day=per_day, reaches_on=reaches_on, needed_per_day=needed)


def dashboard(unit: Unit | None, date: dt.date, days: int = TREND_DAYS) -> Dashboard:
    """The unit's own figures (`total`) and each child unit's (`rows`) on `date`, with
    `days` days of install history for the trend chart and the pace."""
    dates = [date - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    if unit is None:
        units = list(Unit.objects.values_list("code", "parent_id", "level", "name", "full_name"))
    else:
        units = list(
            Unit.objects.under(unit).values_list("code", "parent_id", "level", "name", "full_name")
        )
    prefix = unit.path if unit else ""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, parent, _level, _name, _full in units:
        children[parent].append(code)
    installs = _installs(units, children, prefix, dates)
    phones = _smartphone_users(units, children, prefix, date)
    shown = (
        Unit.objects.filter(Q(pk=unit.pk) | Q(parent=unit)) if unit else Unit.objects.provinces()
    )
    targets = targets_for(dict(shown.values_list("code", "path")), date)

    def row(code: str, name: str, full_name: str) -> Row:
        history = [installs[code][d][0] for d in dates]
        sources = [installs[code][d][1] for d in dates]
        same = next((i for i, s in enumerate(reversed(sources)) if s != sources[-1]), len(dates))
        r = Row(
            code=code,
            name=name,
            full_name=full_name,
            smartphone_users=phones.get(code),
            installs=history[-1],
            rate=rate(history[-1], phones.get(code)),
            imported=installs[code][date][1],
            history=history,
            same_source=same,
            target=targets.get(code),
        )
        r.pace = pace(r, date)
        return r

    names = {code: (name, full) for code, _p, _l, name, full in units}
    top = unit.code if unit else None
    rows = [row(c, *names[c]) for c in sorted(children[top])]
    if unit is not None:
        total = row(unit.code, unit.name, unit.full_name)
    else:
        total = _country_total(rows, dates)
    return Dashboard(unit=unit, date=date, dates=dates, rows=rows, total=total)


def _country_total(rows: list[Row], dates: list[dt.date]) -> Row:
    phones = [r.smartphone_users for r in rows if r.smartphone_users is not None]
    history = [sum(r.history[i] for r in rows) for i in range(len(dates))]
    total_phones = sum(phones) if phones else None
    return Row(
        code="",
        name="Việt Nam",
        full_name="Việt Nam",
        smartphone_users=total_phones,
        installs=history[-1],
        rate=rate(history[-1], total_phones),
        imported=False,
        history=history,
    )


def _installs(
    units: list[tuple], children: dict, prefix: str, dates: list[dt.date]
) -> dict[str, dict[dt.date, tuple[int, bool]]]:
    """(installs, imported?) per unit and date, resolved bottom-up."""
    first, last = dates[0], dates[-1]
    # The area's units by code, not a join on the unit path: PostgreSQL misjudges how many
    # units a path prefix matches and then reads every commune's days in the country (bench:
    # 410 ms -> 103 ms for Hà Nội, 185 ms -> 15 ms for one of its districts).
    everything = not prefix
    codes = [u[0] for u in units]
    communes = [u[0] for u in units if u[2] == Level.COMMUNE]
    imported: dict[tuple[str, dt.date], int] = {
        (code, day): n
        for code, day, n in _in(InstallFigure.objects, codes, everything)
        .filter(date__gte=first, date__lte=last)
        .values_list("unit_id", "date", "installs")
    }
    carried = _figures_before(None if everything else codes, first)
    days = _in(InstallDay.objects, communes, everything)
    base: dict[str, int] = dict(
        days.filter(date__lt=first)
        .values("unit_id")
        .annotate(n=Sum(F("added") - F("removed")))
        .values_list("unit_id", "n")
    )
    net: dict[tuple[str, dt.date], int] = {
        (code, day): added - removed
        for code, day, added, removed in days.filter(date__gte=first, date__lte=last).values_list(
            "unit_id", "date", "added", "removed"
        )
    }
    result: dict[str, dict[dt.date, tuple[int, bool]]] = {}
    for code, _parent, level, _n, _f in sorted(units, key=lambda u: -u[2]):
        kids = children.get(code, [])
        running = base.get(code, 0)
        figure = carried.get(code)
        per_day = {}
        for day in dates:
            running += net.get((code, day), 0)
            figure = imported.get((code, day), figure)
            if figure is not None:
                per_day[day] = (figure, True)
            elif level == Level.COMMUNE or not kids:
                per_day[day] = (running, False)
            else:
                per_day[day] = (sum(result[k][day][0] for k in kids), False)
        result[code] = per_day
    return result


def _in(manager, codes: list[str], everything: bool):
    return manager.all() if everything else manager.filter(unit_id__in=codes)


def _figures_before(codes: list[str] | None, day: dt.date) -> dict[str, int]:
    """Each unit's newest imported figure before `day` (of the units `codes`, or all): a
    carrier's cumulative count stays the best known one until the next file, so a day without
    a file shows no dip."""
    newest = (
        _in(InstallFigure.objects, codes or [], codes is None)
        .filter(date__lt=day)
        .values("unit_id")
        .annotate(newest=Max("date"))
    )
    pairs = {(code, date) for code, date in newest.values_list("unit_id", "newest")}
    if not pairs:
        return {}
    rows = InstallFigure.objects.filter(
        unit_id__in={code for code, _d in pairs}, date__in={d for _c, d in pairs}
    ).values_list("unit_id", "date", "installs")
    return {code: n for code, date, n in rows if (code, date) in pairs}


def _smartphone_users(
    units: list[tuple], children: dict, prefix: str, date: dt.date
) -> dict[str, int | None]:
    """Each unit's newest smartphone-user figure on or before `date`, else its children's sum
    (None when neither the unit nor any unit under it has one)."""
    in_area = {"unit__path__startswith": prefix} if prefix else {}
    own: dict[str, int] = {}
    for code, phones in (
        UnitStat.objects.filter(date__lte=date, smartphone_users__isnull=False, **in_area)
        .order_by("date")
        .values_list("unit_id", "smartphone_users")
    ):
        own[code] = phones  # ordered by date: the newest wins
    result: dict[str, int | None] = {}
    for code, _parent, _level, _n, _f in sorted(units, key=lambda u: -u[2]):
        if code in own:
            result[code] = own[code]
            continue
        known = [result[k] for k in children.get(code, []) if result.get(k) is not None]
        result[code] = sum(known) if known else None
    return result
