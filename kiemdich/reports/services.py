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
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_administer
from kiemdich.accounts.models import Role, User
from kiemdich.adoption.figures import dashboard
from kiemdich.checkins.models import ScanDaily
from kiemdich.checkins.stats import counted_on
from kiemdich.geo.models import Level, Unit
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


# --- sending ---------------------------------------------------------------------------------


def submit(
    user,
    unit: Unit,
    date: dt.date,
    figures: Figures,
    note: str = "",
    *,
    send: bool = True,
    now: dt.datetime | None = None,
) -> tuple[DailyReport, bool]:
    """Store `unit`'s report for `date` (sent, or a draft); (report, created).

    Sending again updates the figures but keeps the first time it was sent, so correcting a
    report at 17:00 does not make an on-time report late. Late means first sent after the
    deadline; a flag raised at the deadline (MissedDeadline) stays as history.
    """
    now = now or timezone.now()
    if not may_report(user, unit):
        raise PermissionDenied(_("You may not send the daily report of this unit."))
    if date > timezone.localdate(now):
        raise ValidationError({"date": _("The date is in the future.")})
    values = {**figures.as_dict(), "note": note}
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

    Three queries whatever the number of children (a district has a few dozen communes).
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
    rows = [
        Row(
            unit=c,
            state=state_of(reports.get(c.code), c.code in expected, due, now) if due else "",
            report=reports.get(c.code),
            flagged=c.code in flagged,
            expected=c.code in expected,
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
