"""The daily reports of seed 002: communes report to their district by 15:00, districts to the
province by 16:00, every day, and whoever has not is flagged and reminded.

Who is expected to report: a unit with at least one active officer account of its own level. Loading
the whole country's units must not flag 10,000 communes that nobody runs on this platform yet; the
officers of a unit are also the "heads" who get the reminder.

Everything the pages, the API and the deadline task need comes from here, so the page, the JSON
and the reminders cannot disagree about who is late.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import get_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_administer
from kiemdich.accounts.models import Role, User
from kiemdich.adoption.figures import dashboard
from kiemdich.checkins.models import ScanDaily
from kiemdich.checkins.stats import counted_on
from kiemdich.core.errors import DomainError
from kiemdich.geo.models import Level, Unit, UnitStat
from kiemdich.messaging.services import queue
from kiemdich.venues.models import Venue

from .models import DailyReport, MissedDeadline

#: The levels that send a daily report, and the officer role that sends it.
REPORTING_ROLE: dict[int, str] = {
    Level.COMMUNE: Role.COMMUNE_OFFICER,
    Level.DISTRICT: Role.DISTRICT_OFFICER,
}

#: The figures a report carries, in the order forms and tables show them.
FIGURES = ("installs", "smartphone_users", "venues", "scans")


class ReportState:
    """Where a unit's report for a day stands, as the district's page shows it."""

    ON_TIME = "on_time"  # sent before the deadline
    LATE = "late"  # sent after the deadline
    DRAFT = "draft"  # compiled or typed in, not yet sent
    WAITING = "waiting"  # not sent, the deadline has not passed
    MISSING = "missing"  # expected, not sent, the deadline has passed
    NOT_EXPECTED = "not_expected"  # nobody runs this unit here: nothing is asked of it


# --- deadlines ------------------------------------------------------------------------------


def deadline_time(level: int) -> dt.time:
    """The configured local time by which a unit of `level` reports ("15:00" / "16:00")."""
    text = (
        settings.REPORT_DEADLINE_UNIT
        if level == Level.COMMUNE
        else settings.REPORT_DEADLINE_DISTRICT
    )
    hours, _sep, minutes = text.partition(":")
    return dt.time(int(hours), int(minutes or 0))


def deadline(level: int, date: dt.date) -> dt.datetime:
    """The aware instant a unit of `level` must have reported its figures for `date` by."""
    return timezone.make_aware(
        dt.datetime.combine(date, deadline_time(level)), timezone.get_default_timezone()
    )


def reports_up(unit: Unit) -> bool:
    """Does this level send a daily report at all? (A province answers to no one here.)"""
    return unit.level in REPORTING_ROLE


# --- who reports, who may ------------------------------------------------------------------


def heads(level: int):
    """The active officers of units of `level`: they send their unit's report and get reminded
    (nobody, for a level that does not report)."""
    role = REPORTING_ROLE.get(level)
    if role is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, role=role, unit__level=level)


def expected_codes(level: int, among: list[str] | None = None) -> set[str]:
    """Codes of the units of `level` expected to report (with an active officer of their level),
    optionally only among `among`."""
    qs = heads(level)
    if among is not None:
        qs = qs.filter(unit_id__in=among)
    return set(qs.values_list("unit_id", flat=True).distinct())


def may_report(user, unit: Unit) -> bool:
    """May `user` send `unit`'s daily report? Its own officers, or the district's for one of its
    communes (a commune without a working account still gets its figures in); never a province
    officer typing in for a commune, whose figures would then come from nobody there."""
    if not reports_up(unit) or not may_administer(user, unit):
        return False
    if user.is_superuser:
        return True
    return user.unit_id == unit.code or (
        unit.level == Level.COMMUNE and user.unit_id == unit.parent_id
    )


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    installs: int = 0
    smartphone_users: int | None = None
    venues: int | None = None
    scans: int | None = None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIGURES}


def system_figures(unit: Unit, date: dt.date) -> Figures:
    """What the platform itself knows of the unit on `date`: the starting point of the form, so an
    officer corrects numbers instead of copying them from three other pages."""
    total = dashboard(unit, date, days=1).total
    venues = Venue.objects.under(unit).filter(counted_on(date)).count()
    scans = ScanDaily.objects.filter(commune__path__startswith=unit.path, date=date).aggregate(
        n=Sum("scans")
    )["n"]
    return Figures(
        installs=total.installs,
        smartphone_users=total.smartphone_users,
        venues=venues,
        scans=scans or 0,
    )


# --- plausibility ---------------------------------------------------------------------------

#: The figures that only grow (cumulative, or the area's people): a sharp fall is as doubtful as
#: a sharp rise. Checkpoints and a day's scans may fall (a Sunday, closed markets): only a rise.
BOTH_WAYS = frozenset({"installs", "smartphone_users"})

#: Below this, a previous figure is no base for a ratio: 4 installs after 1 is no jump.
JUMP_BASE = 10


def grouped(number: int) -> str:
    """A count with the active language's grouping ("50.000" in Vietnamese)."""
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


def factor_text(factor: float) -> str:
    """3.0 as "3", 2.5 as "2,5" in Vietnamese."""
    return f"{factor:g}".replace(".", get_format("DECIMAL_SEPARATOR"))


@dataclass(frozen=True)
class Doubt:
    """One figure of a report that is probably a typing error: larger than what it counts within
    (`against` = "smartphone_users" or "population", `limit` its value), or a jump beyond
    `settings.REPORT_JUMP_FACTOR` against the unit's previous report (`against` = "previous",
    `limit` that report's figure, `since` its date). Stored with a confirmed report as
    `as_dict()`, so the district's page can say what was in doubt in either language."""

    field: str
    value: int
    against: str
    limit: int
    since: dt.date | None = None
    factor: float | None = None

    @property
    def message(self) -> str:
        values = {"value": grouped(self.value), "limit": grouped(self.limit)}
        if self.against == "smartphone_users":
            return _("More installs (%(value)s) than smartphone users (%(limit)s).") % values
        if self.against == "population":
            if self.field == "installs":
                return (
                    _("More installs (%(value)s) than people living in the area (%(limit)s).")
                    % values
                )
            return (
                _("More smartphone users (%(value)s) than people living in the area (%(limit)s).")
                % values
            )
        values |= {
            "factor": factor_text(self.factor or 0),
            "date": f"{self.since:%d/%m/%Y}" if self.since else "",
        }
        if self.value > self.limit:
            return (
                _(
                    "%(value)s is more than %(factor)s times the %(limit)s of the report of "
                    "%(date)s."
                )
                % values
            )
        return (
            _("%(value)s is less than 1/%(factor)s of the %(limit)s of the report of %(date)s.")
            % values
        )

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "value": self.value,
            "against": self.against,
            "limit": self.limit,
            "since": self.since.isoformat() if self.since else None,
            "factor": self.factor,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Doubt:
        since = data.get("since")
        return cls(
            field=data["field"],
            value=data["value"],
            against=data["against"],
            limit=data["limit"],
            since=dt.date.fromisoformat(since) if since else None,
            factor=data.get("factor"),
        )


def stored_doubts(report: DailyReport | None) -> list[Doubt]:
    """The doubts a sender confirmed, as `Doubt`s (none for a plausible report)."""
    if report is None or not report.implausible:
        return []
    return [Doubt.from_dict(d) for d in report.doubts or []]


class ImplausibleFigures(DomainError):
    """A 422 `implausible`: figures that need the sender's confirmation, each named by its field
    (`[{"loc": ["body", "installs"], "msg": ...}]`); sending them again with the confirmation
    (`confirm_implausible`) stores them, flagged."""

    def __init__(self, doubts: list[Doubt]) -> None:
        self.doubts = doubts
        detail = [{"loc": ["body", d.field], "msg": d.message} for d in doubts]
        super().__init__(
            422,
            "implausible",
            _("Some figures look wrong: check them, or confirm that they are right."),
            detail,
        )


def known_people(unit: Unit, date: dt.date) -> dict[str, int | None]:
    """The unit's population and smartphone users on `date`: its newest figures on or before it,
    else the sum of its children's when every child has one (a partial sum is no ceiling).
    Two queries."""
    own: dict[str, int | None] = {"population": None, "smartphone_users": None}
    for population, phones in (
        UnitStat.objects.filter(unit=unit, date__lte=date)
        .order_by("date")
        .values_list("population", "smartphone_users")
    ):
        own["population"] = population if population is not None else own["population"]
        own["smartphone_users"] = phones if phones is not None else own["smartphone_users"]
    if all(v is not None for v in own.values()) or unit.level == Level.COMMUNE:
        return own
    children = set(Unit.objects.filter(parent=unit).values_list("code", flat=True))
    newest: dict[str, dict[str, int]] = {"population": {}, "smartphone_users": {}}
    for code, population, phones in (
        UnitStat.objects.filter(unit__parent=unit, date__lte=date)
        .order_by("date")
        .values_list("unit_id", "population", "smartphone_users")
    ):
        if population is not None:
            newest["population"][code] = population
        if phones is not None:
            newest["smartphone_users"][code] = phones
    for name, by_child in newest.items():
        if own[name] is None and children and set(by_child) == children:
            own[name] = sum(by_child.values())
    return own


def previous_report(unit: Unit, date: dt.date) -> DailyReport | None:
    """The unit's newest report sent for a day before `date`: the base of the jump check."""
    return (
        DailyReport.objects.filter(unit=unit, date__lt=date, status=DailyReport.Status.SENT)
        .order_by("-date")
        .first()
    )


def doubts(unit: Unit, date: dt.date, figures: Figures) -> list[Doubt]:
    """What in these figures is probably a typing error, field by field (the one rule behind the
    page and the API): installs above the smartphone users (the report's own, else the unit's
    known figure) or above the population; smartphone users above the population; any figure
    more than `settings.REPORT_JUMP_FACTOR` times the unit's previous report, or for the
    cumulative ones (`BOTH_WAYS`) less than its 1/factor. At most one doubt per field, the
    denominators first. Three queries."""
    found: dict[str, Doubt] = {}
    people = known_people(unit, date)
    phones = (
        figures.smartphone_users
        if figures.smartphone_users is not None
        else people["smartphone_users"]
    )
    if phones is not None and figures.installs > phones:
        found["installs"] = Doubt("installs", figures.installs, "smartphone_users", phones)
    population = people["population"]
    if population is not None:
        for name in ("installs", "smartphone_users"):
            value = getattr(figures, name)
            if name not in found and value is not None and value > population:
                found[name] = Doubt(name, value, "population", population)
    factor = settings.REPORT_JUMP_FACTOR
    previous = previous_report(unit, date) if factor > 1 else None
    if previous is not None:
        for name in FIGURES:
            value, before = getattr(figures, name), getattr(previous, name)
            if name in found or value is None or before is None or before < JUMP_BASE:
                continue
            rise = value > before * factor
            fall = name in BOTH_WAYS and value * factor < before
            if rise or fall:
                found[name] = Doubt(name, value, "previous", before, previous.date, factor)
    return [found[name] for name in FIGURES if name in found]


def figures_key(figures: Figures) -> str:
    """The figures as one text, so a page's confirmation covers exactly the figures it warned
    about: change one after the warning and it must be confirmed again."""
    return ";".join(f"{name}={getattr(figures, name)}" for name in FIGURES)


# --- sending ---------------------------------------------------------------------------------


def submit(
    user,
    unit: Unit,
    date: dt.date,
    figures: Figures,
    note: str = "",
    *,
    send: bool = True,
    confirm_implausible: bool = False,
    now: dt.datetime | None = None,
) -> tuple[DailyReport, bool]:
    """Store `unit`'s report for `date` (sent, or a draft); (report, created).

    Sending again updates the figures but keeps the first time it was sent, so correcting a
    report at 17:00 does not make an on-time report late. Late means first sent after the
    deadline; a flag raised at the deadline (MissedDeadline) stays as history.

    Figures in doubt (`doubts`) are refused with `ImplausibleFigures` unless the sender confirms
    them (`confirm_implausible`); confirmed, they are stored flagged (`implausible`, with what
    was in doubt) for the district and the province to see. A draft is not checked: it goes
    nowhere yet.
    """
    now = now or timezone.now()
    if not may_report(user, unit):
        raise PermissionDenied(_("You may not send the daily report of this unit."))
    if date > timezone.localdate(now):
        raise ValidationError({"date": _("The date is in the future.")})
    values: dict = {**figures.as_dict(), "note": note}
    if send:
        found = doubts(unit, date, figures)
        if found and not confirm_implausible:
            raise ImplausibleFigures(found)
        values |= {"implausible": bool(found), "doubts": [d.as_dict() for d in found]}
    for _attempt in range(2):  # two first submissions at once: the loser updates
        try:
            with transaction.atomic():
                locked = DailyReport.objects.select_for_update()
                report = locked.filter(unit=unit, date=date).first()
                created = report is None
                if not send and not created and report.status == DailyReport.Status.SENT:
                    raise ValidationError(
                        {
                            "status": _(
                                "This report has already been sent: send the corrected "
                                "figures instead of saving a draft."
                            )
                        }
                    )
                if created:
                    report = DailyReport(unit=unit, date=date, status=DailyReport.Status.DRAFT)
                for name, value in values.items():
                    setattr(report, name, value)
                if send:
                    if report.status != DailyReport.Status.SENT or report.submitted_at is None:
                        report.submitted_at = now
                        report.late = now > deadline(unit.level, date)
                    report.status = DailyReport.Status.SENT
                    report.submitted_by = user
                elif report.status != DailyReport.Status.SENT:
                    report.submitted_by = user
                report.save()
                return report, created
        except IntegrityError:
            continue
    raise RuntimeError("daily report could not be stored")  # pragma: no cover


# --- the district's (province's) view of its units ------------------------------------------


@dataclass
class Row:
    unit: Unit
    state: str
    report: DailyReport | None
    flagged: bool  # a MissedDeadline was recorded for the unit and date
    expected: bool
    implausible_below: int = 0  # sent reports of units under it with confirmed doubts

    @property
    def doubts(self) -> list[Doubt]:
        """What its sender confirmed although it looked wrong (none if plausible)."""
        return stored_doubts(self.report) if self.sent else []

    @property
    def sent(self) -> bool:
        return self.state in (ReportState.ON_TIME, ReportState.LATE)


@dataclass
class Overview:
    """A unit's page for a date: its children's reports and its own (compiled) report."""

    unit: Unit
    date: dt.date
    deadline: dt.datetime | None  # of the children's reports; None for a commune
    own_deadline: dt.datetime | None  # of the unit's own report; None for a province
    rows: list[Row]
    total: Figures  # sum of the children's sent reports
    counts: dict[str, int] = field(default_factory=dict)
    report: DailyReport | None = None  # the unit's own report, if any
    own_state: str | None = None
    own_flagged: bool = False

    @property
    def missing(self) -> list[Row]:
        """Children whose figures are not in the total (no sent report)."""
        return [r for r in self.rows if not r.sent]

    @property
    def implausible(self) -> list[Row]:
        """Children whose sent figures were confirmed although they looked wrong."""
        return [r for r in self.rows if r.doubts]

    @property
    def implausible_below(self) -> list[Row]:
        """Children with units under them whose sent figures were confirmed although they
        looked wrong (a province's districts)."""
        return [r for r in self.rows if r.implausible_below]

    @property
    def doubts(self) -> list[Doubt]:
        """What was in doubt in the unit's own sent report."""
        if self.report is None or self.report.status != DailyReport.Status.SENT:
            return []
        return stored_doubts(self.report)


def state_of(report: DailyReport | None, expected: bool, due: dt.datetime, now: dt.datetime) -> str:
    if report is not None and report.status == DailyReport.Status.SENT:
        return ReportState.LATE if report.late else ReportState.ON_TIME
    if report is not None:
        return ReportState.DRAFT
    if not expected:
        return ReportState.NOT_EXPECTED
    return ReportState.MISSING if now >= due else ReportState.WAITING


def overview(unit: Unit, date: dt.date, now: dt.datetime | None = None) -> Overview:
    """Who under `unit` has reported for `date`, with their figures and the sum of those sent.

    Three queries whatever the number of children (a district has a few dozen communes), four
    for a province (the communes' reports confirmed although implausible, per district).
    """
    now = now or timezone.now()
    children = list(Unit.objects.filter(parent=unit).order_by("code"))
    codes = [c.code for c in children] + [unit.code]
    reports = {
        r.unit_id: r
        for r in DailyReport.objects.filter(unit_id__in=codes, date=date).select_related(
            "submitted_by"
        )
    }
    flagged = set(
        MissedDeadline.objects.filter(unit_id__in=codes, date=date).values_list(
            "unit_id", flat=True
        )
    )
    child_level = unit.level + 1
    expected = expected_codes(child_level, [c.code for c in children])
    due = deadline(child_level, date) if child_level in REPORTING_ROLE else None
    below: dict[str, int] = {}
    if child_level < Level.COMMUNE and children:
        below = dict(
            DailyReport.objects.filter(
                unit__parent_id__in=[c.code for c in children],
                date=date,
                status=DailyReport.Status.SENT,
                implausible=True,
            )
            .values_list("unit__parent_id")
            .annotate(n=Count("pk"))
            .values_list("unit__parent_id", "n")
        )
    rows = [
        Row(
            unit=c,
            state=state_of(reports.get(c.code), c.code in expected, due, now) if due else "",
            report=reports.get(c.code),
            flagged=c.code in flagged,
            expected=c.code in expected,
            implausible_below=below.get(c.code, 0),
        )
        for c in children
    ]
    result = Overview(
        unit=unit,
        date=date,
        deadline=due,
        own_deadline=deadline(unit.level, date) if reports_up(unit) else None,
        rows=rows,
        total=sum_of([r.report for r in rows if r.sent]),
    )
    result.counts = {
        state: sum(1 for r in rows if r.state == state)
        for state in (
            ReportState.ON_TIME,
            ReportState.LATE,
            ReportState.MISSING,
            ReportState.DRAFT,
            ReportState.WAITING,
        )
    }
    if result.own_deadline is not None:
        result.report = reports.get(unit.code)
        result.own_state = state_of(
            result.report, bool(expected_codes(unit.level, [unit.code])), result.own_deadline, now
        )
        result.own_flagged = unit.code in flagged
    return result


def sum_of(reports: list[DailyReport]) -> Figures:
    """The sum of reports' figures; a figure nobody gave stays unknown (None), not zero."""
    total = Figures(installs=sum(r.installs for r in reports))
    for name in FIGURES[1:]:
        known = [getattr(r, name) for r in reports if getattr(r, name) is not None]
        setattr(total, name, sum(known) if known else None)
    return total


# --- the deadline check ----------------------------------------------------------------------


@dataclass
class CheckResult:
    flagged: list[str] = field(default_factory=list)  # unit codes flagged by this run
    reminded: int = 0  # reminders queued by this run

    def as_dict(self) -> dict:
        return {"flagged": self.flagged, "reminded": self.reminded}


def reminder_text(unit: Unit, date: dt.date) -> str:
    link = f"{settings.PUBLIC_URL}{reverse('reports:index')}?" + urlencode(
        {"unit": unit.code, "date": date.isoformat()}
    )
    with translation.override(settings.LANGUAGE_CODE):  # officers read Vietnamese
        return _(
            "Reminder: the daily report of %(unit)s for %(date)s was due at %(time)s and has "
            "not been sent. Please send it now: %(link)s"
        ) % {
            "unit": unit.full_name,
            "date": f"{date:%d/%m/%Y}",
            "time": f"{deadline_time(unit.level):%H:%M}",
            "link": link,
        }


def check_deadlines(now: dt.datetime | None = None) -> CheckResult:
    """Flag every expected unit whose deadline for today has passed without a sent report, and
    queue one reminder per head with a phone.

    Idempotent: a unit is flagged once per day (MissedDeadline is unique per unit and date) and a
    head reminded once (the outbox key names unit, date and person), however often this runs.
    """
    now = now or timezone.now()
    result = CheckResult()
    today = timezone.localdate(now)
    for level in REPORTING_ROLE:
        if now < deadline(level, today):
            continue
        sent = DailyReport.objects.filter(
            date=today, status=DailyReport.Status.SENT, unit__level=level
        ).values_list("unit_id", flat=True)
        late = expected_codes(level) - set(sent)
        officers = heads_by_unit(level, late) if late else {}  # one query for all their heads
        for unit in Unit.objects.filter(code__in=late).order_by("code"):
            missed, created = MissedDeadline.objects.get_or_create(unit=unit, date=today)
            if created:
                result.flagged.append(unit.code)
            new = 0
            body = None
            for user in officers.get(unit.code, []):
                if not user.phone:
                    continue
                body = body or reminder_text(unit, today)
                _message, queued = queue(
                    f"report-reminder:{unit.code}:{today.isoformat()}:{user.pk}", user.phone, body
                )
                new += queued
            if new:
                MissedDeadline.objects.filter(pk=missed.pk).update(reminded=missed.reminded + new)
                result.reminded += new
    if result.reminded:
        from kiemdich.messaging.tasks import send_outbox

        send_outbox.enqueue()
    return result


def heads_by_unit(level: int, codes: set[str]) -> dict[str, list[User]]:
    found: dict[str, list[User]] = {}
    for user in heads(level).filter(unit_id__in=codes).order_by("pk"):
        found.setdefault(user.unit_id, []).append(user)
    return found


def next_deadline(now: dt.datetime | None = None) -> dt.datetime:
    """The next deadline (of any level) strictly after `now`, when the check should run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    times = sorted(
        deadline(level, day)
        for day in (today, today + dt.timedelta(days=1))
        for level in REPORTING_ROLE
    )
    return next(t for t in times if t > now)
