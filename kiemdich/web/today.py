"""The figures of the "Hôm nay" (Today) pages: the daily bulletin of an area and an official's
to-dos, a checkpoint owner's day.

Read-only, and one function per group of figures, each a handful of queries whatever the number
of communes under the unit (tests/web/test_today.py counts them). Every rule is the owning app's:
checkpoints and scans `checkins.stats`, installs `adoption.figures`, the daily reports
`reports.services`, who sees what `accounts.access`. Nothing here is a second copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from kiemdich.accounts.access import area_path, may_administer, works_with_personal_data
from kiemdich.adoption.figures import dashboard
from kiemdich.checkins.stats import DayActivity, day_activity, local_midnight, visits_on
from kiemdich.geo.models import Level, Unit
from kiemdich.reports.services import ReportState, may_report, overview, reports_up
from kiemdich.tracing.models import Case, Contact
from kiemdich.tracing.models import Status as ContactStatus
from kiemdich.venues.models import Status as VenueStatus
from kiemdich.venues.models import Venue

#: Communes with no scan today named on the page before "and N more".
QUIET_SHOWN = 12
#: Checkpoints listed on an owner's start page (the checkpoints page lists them all).
OWN_VENUES_SHOWN = 50


@dataclass(frozen=True)
class Installs:
    """The install figures of a unit on a day, as the install-rate dashboard counts them."""

    installs: int
    smartphone_users: int | None
    rate: Decimal | None
    new: int | None  # since the day before; None when the count changed source (a first file)


@dataclass(frozen=True)
class Quiet:
    """Communes under the unit without a single scan on the day, in code order."""

    shown: list[tuple[str, str]]  # (code, full name), at most the limit asked for
    total: int
    communes: int  # communes under the unit, scanned or not

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


@dataclass(frozen=True)
class Bulletin:
    """The daily bulletin the 2021 cities published, for one unit and day."""

    unit: Unit
    day: dt.date
    activity: DayActivity
    installs: Installs
    quiet: Quiet


def install_figures(unit: Unit, day: dt.date) -> Installs:
    """Installs, smartphone users and rate on `day` and the installs added since the day before,
    from the dashboard's own rule (two days of its history)."""
    total = dashboard(unit, day, days=2).total
    before, now = total.history
    return Installs(
        installs=total.installs,
        smartphone_users=total.smartphone_users,
        rate=total.rate,
        new=now - before if total.same_source >= 2 else None,
    )


def quiet_communes(unit: Unit, activity: DayActivity, limit: int | None = QUIET_SHOWN) -> Quiet:
    """The communes under `unit` (itself, for a commune) that `activity` found no scan in; one
    query for their names."""
    communes = Unit.objects.under(unit).filter(level=Level.COMMUNE).order_by("code")
    every = list(communes.values_list("code", "full_name"))
    quiet = [(code, name) for code, name in every if code not in activity.scans_by_commune]
    return Quiet(
        shown=quiet if limit is None else quiet[:limit], total=len(quiet), communes=len(every)
    )


def bulletin(unit: Unit, day: dt.date, *, quiet_limit: int | None = QUIET_SHOWN) -> Bulletin:
    """Everything the bulletin of `unit` shows for `day`: figures only, nobody's data."""
    activity = day_activity(unit, day)
    return Bulletin(
        unit=unit,
        day=day,
        activity=activity,
        installs=install_figures(unit, day),
        quiet=quiet_communes(unit, activity, quiet_limit),
    )


# --- an official's to-dos -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTodo:
    """Today's daily reports as they concern one official."""

    day: dt.date
    own_due: dt.datetime | None  # the deadline of the unit's own report, if this user sends it
    own_state: str | None  # ReportState of that report
    children_due: dt.datetime | None  # the deadline of the units under it (None: a commune)
    not_sent: list[tuple[Unit, str]]  # units expected to report that have not: (unit, state)
    expected: int  # units under it expected to report

    @property
    def own_sent(self) -> bool:
        return self.own_state in (ReportState.ON_TIME, ReportState.LATE)

    @property
    def overdue(self) -> bool:
        """The user's own report is missing past its deadline."""
        return self.own_state == ReportState.MISSING


def report_todo(user, unit: Unit, now: dt.datetime | None = None) -> ReportTodo:
    """Whether `user` still has `unit`'s report to send today, and which units under it have not
    sent theirs: the reports' own overview, in a few queries whatever the number of units."""
    now = now or timezone.now()
    view = overview(unit, timezone.localdate(now), now)
    sends = reports_up(unit) and may_report(user, unit)
    return ReportTodo(
        day=view.date,
        own_due=view.own_deadline if sends else None,
        own_state=view.own_state if sends else None,
        children_due=view.deadline,
        not_sent=[(r.unit, r.state) for r in view.rows if r.expected and not r.sent],
        expected=sum(1 for r in view.rows if r.expected),
    )


def pending_approvals(user, unit: Unit) -> int | None:
    """Checkpoints of the area waiting for this official's approval; None for a role that does
    not approve (tracers, hotline operators)."""
    if not may_administer(user, unit):
        return None
    return Venue.objects.visible_to(user).under(unit).filter(status=VenueStatus.PENDING).count()


@dataclass(frozen=True)
class TracingTodo:
    new_cases: int  # confirmed on the day, handled in the area
    not_reached: int  # contacts to follow up in the area nobody has reached yet


def tracing_todo(user, unit: Unit, day: dt.date) -> TracingTodo | None:
    """Counts only, for the roles that trace (`access.works_with_personal_data`), read through
    the tracing rows' own visibility rule; None for everyone else."""
    if not works_with_personal_data(user):
        return None
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    cases = Case.objects.visible_to(user).filter(
        unit__path__startswith=unit.path, confirmed_at__gte=start, confirmed_at__lt=end
    )
    contacts = Contact.objects.visible_to(user).filter(status=ContactStatus.NOT_REACHED)
    return TracingTodo(new_cases=cases.count(), not_reached=contacts.count())


@dataclass(frozen=True)
class Todos:
    reports: ReportTodo
    pending: int | None
    tracing: TracingTodo | None


def todos(user, unit: Unit, now: dt.datetime | None = None) -> Todos:
    now = now or timezone.now()
    return Todos(
        reports=report_todo(user, unit, now),
        pending=pending_approvals(user, unit),
        tracing=tracing_todo(user, unit, timezone.localdate(now)),
    )


# --- a checkpoint owner's day ---------------------------------------------------------------


def own_checkpoints(user, day: dt.date, limit: int = OWN_VENUES_SHOWN) -> list[tuple[Venue, int]]:
    """The checkpoints `user` runs (owns, staffs, or administers for their organization) with
    the visits entered at each on `day`. Empty for officials of an area, whose `visible_to` is
    their whole area: their start page is the bulletin."""
    if area_path(user) is not None:
        return []
    venues = list(
        Venue.objects.visible_to(user).select_related("commune").order_by("name", "pk")[:limit]
    )
    visits = visits_on([v.pk for v in venues], day)
    return [(venue, visits.get(venue.pk, 0)) for venue in venues]
