"""Enrolling people, their daily reports, alerts, transfers, closure and the clock's work:
the only code that writes monitoring data.

The clock (`tick`, run hourly by tasks.py) does three things, each safe to run again: it closes
the monitorings whose period has ended, puts on the follow-up list everyone not heard from for
24 hours (an open "not reporting" alert: the team's task), and queues one reminder a day, in the
person's hour, to those who have not reported that day (the outbox key holds the day, so a rerun
queues nothing twice).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_administer, may_monitor, works_with_personal_data
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.declarations.models import Declaration, Person, Symptom
from kiemdich.geo.models import Level, Unit
from kiemdich.messaging.services import queue, queue_many
from kiemdich.messaging.tasks import send_outbox
from kiemdich.tracing.models import Case, Contact
from kiemdich.tracing.services import record_case

from . import stats
from .links import report_url
from .models import (
    DEFAULT_PERIODS,
    NOT_REPORTING_AFTER,
    Alert,
    AlertKind,
    CloseReason,
    DailyReport,
    Facility,
    FigureCount,
    Monitoring,
    Outcome,
    Regime,
    RegimePeriod,
    Reporter,
    Source,
    State,
    Transfer,
)

#: The reminder goes out from the person's hour for this many hours (a worker running late, or
#: down for an hour, still reminds the same day, never at night).
REMINDER_WINDOW = 3
#: Temperatures a thermometer can show on a living person; anything else is a typing error.
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
TEAM_REPORTERS = frozenset({Reporter.TEAM_CALL, Reporter.TEAM_VISIT})


class MonitoringError(FieldError, ValueError):
    """Input that cannot be stored as given; `field` names what to fix (422 `invalid`)."""


class MonitoringConflict(DomainError):
    """A transition the monitoring's state does not allow (409, with its own code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(409, code, message)


class NotYours(DomainError):
    """The caller does not work with this area's people (403 `forbidden`)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            403, "forbidden", message or _("Monitoring is for the health workers of the area.")
        )


def _require_area(actor, unit: Unit, field: str = "commune") -> None:
    if may_monitor(actor, unit):
        return
    if not works_with_personal_data(actor):
        raise NotYours()
    raise MonitoringError(field, _("This commune is outside your area."))


def _province(unit: Unit) -> Unit:
    return Unit.objects.get(code=unit.path.split("/")[0])


# The dashboards' counts


def _counts(pks: list[int]) -> Counter:
    rows = Monitoring.objects.filter(pk__in=pks).values_list(*stats.COUNTED_COLUMNS)
    return Counter(key for row in rows.iterator(chunk_size=2000) for key in stats.counted(row))


def _add_counts(after: Counter, before: Counter) -> None:
    """Move the dashboards' counts from `before` to `after`. Keys in a fixed order, so two
    transactions lock the counts they share in the same order (no deadlock); a count made by
    another transaction at the same moment is added to, not made twice."""
    change = Counter(after)
    change.subtract(before)
    for (commune, regime, figure, day), n in sorted(
        change.items(), key=lambda item: (*item[0][:3], item[0][3] or dt.date.min)
    ):
        if not n:
            continue
        found = FigureCount.objects.filter(
            commune_id=commune, regime=regime, figure=figure, day=day
        )
        if found.update(n=F("n") + n):
            continue
        try:
            with transaction.atomic():
                FigureCount.objects.create(
                    commune_id=commune, regime=regime, figure=figure, day=day, n=n
                )
        except IntegrityError:
            found.update(n=F("n") + n)
    # A count back to nought goes: old days do not pile up.
    FigureCount.objects.filter(n=0, commune_id__in={key[0] for key in change}).delete()


@contextmanager
def _counting(monitorings: QuerySet) -> Iterator[list[int]]:
    """Keep the dashboards' counts in step with a change to `monitorings` (yielded as their
    ids, locked first so nothing else changes them in between): what they counted before is
    taken off and what they count after is added, in the caller's transaction."""
    pks = list(monitorings.select_for_update().values_list("pk", flat=True))
    before = _counts(pks)
    yield pks
    _add_counts(_counts(pks), before)


@transaction.atomic
def recount() -> int:
    """Count every active monitoring again (after rows were loaded without the services, as
    the benchmark does); returns how many dashboard counts there are."""
    FigureCount.objects.all().delete()
    counts = _counts(Monitoring.objects.active().values("pk"))
    FigureCount.objects.bulk_create(
        [
            FigureCount(commune_id=commune, regime=regime, figure=figure, day=day, n=n)
            for (commune, regime, figure, day), n in counts.items()
        ],
        batch_size=2000,
    )
    return len(counts)


# Periods and facilities


def period_days(commune: Unit, regime: str) -> int:
    """The regime's period in the commune's province: its own setting, else the default."""
    own = RegimePeriod.objects.filter(province__code=commune.path.split("/")[0], regime=regime)
    days = own.values_list("days", flat=True).first()
    return days if days is not None else DEFAULT_PERIODS[Regime(regime)]


def set_period(actor, province: Unit, regime: str, days: int) -> RegimePeriod:
    """A province's officers set the period of a regime for monitorings enrolled from now on."""
    if province.level != Level.PROVINCE or not may_administer(actor, province):
        raise NotYours(_("Only the province's officers set the monitoring periods."))
    if regime not in Regime.values:
        raise MonitoringError("regime", _("Unknown regime."))
    if not 1 <= days <= 60:
        raise MonitoringError("days", _("A period is from 1 to 60 days."))
    period, _created = RegimePeriod.objects.update_or_create(
        province=province, regime=regime, defaults={"days": days}
    )
    return period


#: Beds of one quarantine site at most (the largest field hospitals of 2021 held about 10,000):
#: a typo of a few zeros is refused, not stored.
MAX_CAPACITY = 100_000


def create_facility(actor, *, name: str, commune: Unit, capacity: int) -> Facility:
    if not may_administer(actor, commune):
        raise NotYours(_("Only the area's officers register quarantine facilities."))
    if not name.strip():
        raise MonitoringError("name", _("Give the facility's name."))
    if len(name.strip()) > Facility._meta.get_field("name").max_length:
        raise MonitoringError("name", _("The name is too long."))
    if capacity < 1:
        raise MonitoringError("capacity", _("The capacity is at least 1."))
    if capacity > MAX_CAPACITY:
        raise MonitoringError(
            "capacity", _("The capacity is at most %(n)s.") % {"n": f"{MAX_CAPACITY:,}"}
        )
    return Facility.objects.create(name=name.strip(), commune=commune, capacity=capacity)


def with_occupancy(facilities: QuerySet) -> QuerySet:
    """Facilities with `occupancy`: the people in centralized quarantine there now."""
    return facilities.annotate(
        occupancy=Count("monitorings", filter=Q(monitorings__state=State.ACTIVE))
    )


# Enrolment


def _ends_at(exposure_at: dt.datetime, days: int, continues: bool) -> dt.datetime | None:
    return None if continues else exposure_at + dt.timedelta(days=days)


def _check_exposure(exposure_at: dt.datetime, days: int, continues: bool, now: dt.datetime) -> None:
    """The last exposure must be one a monitoring can start from: not in the future (a few
    minutes of clock skew aside), and not so long ago that the period is over already (a
    typing slip such as year 1 would make a monitoring the clock closes at once, counted
    and reminded for nothing). While exposure continues the period has not started, so any
    past date is possible."""
    if exposure_at > now + dt.timedelta(minutes=5):
        raise MonitoringError("exposure_at", _("The last exposure is in the future."))
    ends = _ends_at(exposure_at, days, continues)
    if ends is not None and ends <= now:
        raise MonitoringError(
            "exposure_at",
            _(
                "The last exposure is too long ago: a %(days)d-day monitoring from it would "
                "have ended on %(date)s."
            )
            % {"days": days, "date": _day(timezone.localtime(ends))},
        )


def _day(moment: dt.datetime) -> str:
    """dd/mm/yyyy, the year in four digits even for year 1 (strftime's %Y is not)."""
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year:04d}"


@transaction.atomic
def enrol(
    actor,
    person: Person,
    *,
    regime: str,
    exposure_at: dt.datetime,
    source: str,
    source_ref: str = "",
    commune: Unit | None = None,
    facility: Facility | None = None,
    team: str = "",
    exposure_continues: bool = False,
    reminder_hour: int = 8,
    now: dt.datetime | None = None,
) -> tuple[Monitoring, bool]:
    """Put `person` under monitoring; (monitoring, whether it is new). Someone already under
    monitoring keeps the one they have: two F1 lists naming them enrol them once."""
    now = now or timezone.now()
    if regime not in Regime.values:
        raise MonitoringError("regime", _("Unknown regime."))
    if source not in Source.values:
        raise MonitoringError("source", _("Unknown source."))
    if regime == Regime.CENTRALIZED and facility is None:
        raise MonitoringError("facility", _("Centralized quarantine needs a facility."))
    if regime != Regime.CENTRALIZED and facility is not None:
        raise MonitoringError("facility", _("Only centralized quarantine is at a facility."))
    commune = commune or person.commune or (facility.commune if facility else None)
    if commune is None:
        raise MonitoringError("commune", _("Give the commune responsible."))
    if commune.level != Level.COMMUNE:
        raise MonitoringError("commune", _("The unit responsible must be a commune."))
    _require_area(actor, commune)
    days = period_days(commune, regime)
    _check_exposure(exposure_at, days, exposure_continues, now)
    if not 0 <= reminder_hour <= 23:
        raise MonitoringError("reminder_hour", _("The reminder hour is from 0 to 23."))
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one enrolment at a time
    existing = Monitoring.objects.active().filter(person=person).first()
    if existing is not None:
        return existing, False
    if facility is not None:
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        if facility.monitorings.filter(state=State.ACTIVE).count() >= facility.capacity:
            raise MonitoringConflict("facility_full", _("This facility is full."))
    monitoring = Monitoring.objects.create(
        person=person,
        regime=regime,
        facility=facility,
        exposure_at=exposure_at,
        period_days=days,
        exposure_continues=exposure_continues,
        ends_at=_ends_at(exposure_at, days, exposure_continues),
        commune=commune,
        team=team.strip(),
        source=source,
        source_ref=source_ref,
        reminder_hour=reminder_hour,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    _add_counts(_counts([monitoring.pk]), Counter())
    return monitoring, True


def enrol_contacts(
    actor, contacts: Iterable[Contact], *, regime: str = Regime.HOME_QUARANTINE, now=None
) -> int:
    """Enrol tracing contacts (one, or all F1 of a case): each from the end of their time with
    the case, in the commune following them up. Returns how many were newly enrolled.

    One contact whose last exposure cannot start a monitoring is refused with the reason
    (`_check_exposure`); among all F1 of a case, those whose period is already over need no
    monitoring and are left out, so the others are still enrolled."""
    contacts = list(contacts)
    enrolled = 0
    for contact in contacts:
        try:
            _m, created = enrol(
                actor,
                contact.person,
                regime=regime,
                exposure_at=contact.overlap_to,
                source=Source.TRACING,
                source_ref=f"contact {contact.pk}",
                commune=contact.commune,
                now=now,
            )
        except MonitoringError as exc:
            if exc.field != "exposure_at" or len(contacts) == 1:
                raise
            continue  # past its period: `past_their_period` counts it apart on the page
        enrolled += created
    return enrolled


def past_their_period(
    contacts: Iterable[Contact], *, regime: str = Regime.HOME_QUARANTINE, now=None
) -> list[Contact]:
    """The contacts whose `regime` period from their last exposure is already over (or whose
    exposure is in the future): `_check_exposure` refuses them, so enrolling all F1 of a case
    leaves them out and its confirmation page counts them apart."""
    now = now or timezone.now()
    over = []
    for contact in contacts:
        commune = contact.commune or contact.person.commune
        if commune is None:
            continue  # enrol refuses it for its missing commune, with that reason
        try:
            _check_exposure(contact.overlap_to, period_days(commune, regime), False, now)
        except MonitoringError:
            over.append(contact)
    return over


def case_f1_to_enrol(actor, case: Case) -> QuerySet:
    """The case's F1 of the actor's area not yet under monitoring: what the button enrols."""
    monitored = Monitoring.objects.active().values("person_id")
    return (
        Contact.objects.visible_to(actor)
        .filter(case=case, degree=1)
        .exclude(person_id__in=monitored)
        .select_related("person", "commune")
        .order_by("pk")
    )


def enrol_declaration(
    actor, declaration: Declaration, *, regime: str = Regime.HOME_QUARANTINE, now=None
) -> tuple[Monitoring, bool]:
    """Enrol someone who declared travel from an outbreak area, from the day they declared."""
    if not declaration.travel_outbreak_area:
        raise MonitoringError(
            "declaration", _("This declaration reports no travel from an outbreak area.")
        )
    return enrol(
        actor,
        declaration.person,
        regime=regime,
        exposure_at=declaration.created_at,
        source=Source.DECLARATION,
        source_ref=f"declaration {declaration.pk}",
        commune=declaration.commune,
        now=now,
    )


#: Declarations of travel from an outbreak area this recent are offered for enrolment.
DECLARATIONS_OFFERED_FOR = dt.timedelta(days=14)


def declarations_to_enrol(actor, commune: Unit, now=None) -> QuerySet:
    """Recent declarations of travel from an outbreak area in `commune` whose person is not
    under monitoring: the commune's list offers to enrol them."""
    now = now or timezone.now()
    monitored = Monitoring.objects.active().values("person_id")
    return (
        Declaration.objects.visible_to(actor)
        .filter(
            commune=commune,
            travel_outbreak_area=True,
            created_at__gte=now - DECLARATIONS_OFFERED_FOR,
        )
        .exclude(person_id__in=monitored)
        .select_related("person")
        .order_by("-created_at")
    )


@transaction.atomic
def set_exposure(
    actor, monitoring: Monitoring, *, continues: bool, exposure_at: dt.datetime | None = None
) -> Monitoring:
    """Exposure goes on (the monitoring stays open) or has stopped at `exposure_at` (the period
    counts again from then)."""
    _require_area(actor, monitoring.commune)
    _require_active(monitoring)
    with _counting(Monitoring.objects.filter(pk=monitoring.pk)):
        if exposure_at is not None:
            monitoring.exposure_at = exposure_at
        monitoring.exposure_continues = continues
        monitoring.ends_at = _ends_at(monitoring.exposure_at, monitoring.period_days, continues)
        monitoring.save(update_fields=["exposure_at", "exposure_continues", "ends_at"])
    return monitoring


def _require_active(monitoring: Monitoring) -> None:
    if not monitoring.is_active:
        raise MonitoringConflict("closed", _("This monitoring is closed."))


# Daily reports and alerts


def _clean_symptoms(symptoms: Iterable[str]) -> list[str]:
    symptoms = list(dict.fromkeys(symptoms or []))
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        raise MonitoringError("symptoms", _("Unknown symptom: %s.") % ", ".join(unknown))
    return symptoms


def _clean_temperature(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        temperature = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise MonitoringError("temperature", _("The temperature is a number, like 36.8.")) from None
    low, high = TEMPERATURE_RANGE
    if not low <= temperature <= high:
        raise MonitoringError(
            "temperature", _("A temperature is between 34 and 43 °C: please check it.")
        )
    return temperature


def _raise_alert(monitoring: Monitoring, kind: str, now: dt.datetime, report=None) -> None:
    if not monitoring.alerts.open().filter(kind=kind).exists():
        Alert.objects.create(monitoring=monitoring, kind=kind, raised_at=now, report=report)


@transaction.atomic
def record_report(
    monitoring: Monitoring,
    *,
    reporter: str,
    symptoms: Iterable[str] = (),
    temperature=None,
    outcome: str = "",
    recorded_by=None,
    client_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> tuple[DailyReport, bool]:
    """Store a day's report; (report, whether it is new). The same `client_id` again (a double
    tap, a resent form) returns the first report. Symptoms or fever raise an alert on the
    station's list at once; any report ends "not reporting"; a team member's call or visit is
    the team's task done (its open alerts resolved, a new one if the person is unwell)."""
    now = now or timezone.now()
    if client_id is not None:
        earlier = DailyReport.objects.filter(client_id=client_id).first()
        if earlier is not None:
            if earlier.monitoring_id != monitoring.pk:
                raise MonitoringConflict(
                    "client_id_conflict", _("This form was already used for someone else.")
                )
            return earlier, False
    with _counting(Monitoring.objects.filter(pk=monitoring.pk)):  # locks it
        monitoring.refresh_from_db()
        _require_active(monitoring)
        if reporter not in Reporter.values:
            raise MonitoringError("reporter", _("Unknown reporter."))
        team = reporter in TEAM_REPORTERS
        if team and outcome not in Outcome.values:
            raise MonitoringError("outcome", _("Say what came of the call or visit."))
        if not team and outcome:
            raise MonitoringError(
                "outcome", _("Only a team member's call or visit has an outcome.")
            )
        symptoms, temperature = _clean_symptoms(symptoms), _clean_temperature(temperature)
        if outcome == Outcome.NOT_REACHED and (symptoms or temperature is not None):
            raise MonitoringError("outcome", _("Someone not reached reported nothing."))
        report = DailyReport.objects.create(
            monitoring=monitoring,
            date=timezone.localdate(now),
            symptoms=symptoms,
            temperature=temperature,
            reporter=reporter,
            outcome=outcome,
            recorded_by=recorded_by if getattr(recorded_by, "pk", None) else None,
            client_id=client_id,
            created_at=now,
        )
        fields = []
        if team:
            monitoring.last_outcome = outcome
            fields.append("last_outcome")
            if outcome != Outcome.NOT_REACHED:
                monitoring.alerts.open().update(resolved_at=now, resolved_by=report)
                monitoring.symptomatic_since = None
                fields.append("symptomatic_since")
        if report.is_health_report:
            monitoring.last_report_at, monitoring.last_report_on = now, report.date
            monitoring.not_reporting_since = None
            fields += ["last_report_at", "last_report_on", "not_reporting_since"]
            monitoring.alerts.open().filter(kind=AlertKind.NOT_REPORTING).update(
                resolved_at=now, resolved_by=report
            )
        if report.is_symptomatic or outcome == Outcome.SEEN_UNWELL:
            _raise_alert(monitoring, AlertKind.SYMPTOMATIC, now, report)
            monitoring.symptomatic_since = monitoring.symptomatic_since or now
            fields.append("symptomatic_since")
        monitoring.save(update_fields=sorted(set(fields)))
    return report, True


# Transfers and closure


@transaction.atomic
def request_transfer(actor, monitoring: Monitoring, to_commune: Unit, *, now=None) -> Transfer:
    """Hand the person over to another commune of the province; it follows them up once it
    accepts. Leaving the province is a closure (`transferred_out`), not a transfer."""
    now = now or timezone.now()
    _require_area(actor, monitoring.commune)
    _require_active(monitoring)
    if to_commune.level != Level.COMMUNE:
        raise MonitoringError("to_commune", _("A transfer goes to a commune."))
    if to_commune.pk == monitoring.commune_id:
        raise MonitoringError("to_commune", _("The person is already followed up there."))
    if _province(to_commune).pk != _province(monitoring.commune).pk:
        raise MonitoringError(
            "to_commune",
            _("This commune is in another province: close the monitoring as transferred out."),
        )
    if monitoring.transfers.pending().exists():
        raise MonitoringConflict("transfer_pending", _("A transfer is already waiting."))
    return Transfer.objects.create(
        monitoring=monitoring,
        from_commune=monitoring.commune,
        to_commune=to_commune,
        requested_by=actor,
        requested_at=now,
    )


@transaction.atomic
def accept_transfer(actor, transfer: Transfer, *, now=None) -> Transfer:
    """The receiving commune (or its district, its province) takes the person over."""
    now = now or timezone.now()
    _require_area(actor, transfer.to_commune, "to_commune")
    if transfer.accepted_at is not None:
        raise MonitoringConflict("transfer_accepted", _("This transfer was already accepted."))
    monitoring = transfer.monitoring
    _require_active(monitoring)
    transfer.accepted_by, transfer.accepted_at = actor, now
    transfer.save(update_fields=["accepted_by", "accepted_at"])
    with _counting(Monitoring.objects.filter(pk=monitoring.pk)):
        monitoring.commune = transfer.to_commune
        monitoring.save(update_fields=["commune"])
    return transfer


@transaction.atomic
def close(actor, monitoring: Monitoring, reason: str, *, now=None) -> Case | None:
    """Close with a reason; someone who became a case is recorded as one in tracing (returned)."""
    now = now or timezone.now()
    _require_area(actor, monitoring.commune)
    _require_active(monitoring)
    if reason not in CloseReason.values:
        raise MonitoringError("reason", _("Unknown closure reason."))
    case = None
    if reason == CloseReason.BECAME_CASE:
        case = Case.objects.filter(person=monitoring.person).first() or record_case(
            actor, monitoring.person, now
        )
    _close(Monitoring.objects.filter(pk=monitoring.pk), reason, now)
    monitoring.refresh_from_db()
    return case


def _close(monitorings: QuerySet, reason: str, now: dt.datetime) -> int:
    with _counting(monitorings) as pks:
        Alert.objects.open().filter(monitoring_id__in=pks).update(resolved_at=now)
        Transfer.objects.pending().filter(monitoring_id__in=pks).delete()
        return Monitoring.objects.filter(pk__in=pks).update(
            state=State.CLOSED, close_reason=reason, closed_at=now
        )


# The clock


@dataclass(frozen=True)
class Tick:
    completed: int
    not_reporting: int
    reminded: int

    def as_dict(self) -> dict:
        return asdict(self)


def reminder_text(monitoring: Monitoring) -> str:
    """The daily SMS: Vietnamese, with the person's own link."""
    with translation.override("vi"):
        return _(
            "Health monitoring: please report your temperature and symptoms for today: %(link)s"
        ) % {"link": report_url(monitoring)}


def new_link_text(monitoring: Monitoring) -> str:
    """The SMS with a new link: Vietnamese, saying the earlier link stopped working."""
    with translation.override("vi"):
        return _(
            "Health monitoring: your report link was changed; the earlier one no longer "
            "works. Report your temperature and symptoms here: %(link)s"
        ) % {"link": report_url(monitoring)}


@transaction.atomic
def send_new_link(actor, monitoring: Monitoring) -> Monitoring:
    """Replace the person's report link (an SMS that reached someone else): the version in the
    link goes up, so the old link stops at once, and the new one is queued to the person's
    phone through the outbox, as the reminders are (later reminders carry it too)."""
    _require_area(actor, monitoring.commune)
    _require_active(monitoring)
    if not monitoring.person.phone:
        raise MonitoringConflict(
            "no_phone", _("This person has no phone number: there is nowhere to send a link.")
        )
    Monitoring.objects.filter(pk=monitoring.pk).update(link_version=F("link_version") + 1)
    monitoring.refresh_from_db(fields=["link_version"])
    queue(
        f"monitoring-link:{monitoring.pk}:{monitoring.link_version}",
        monitoring.person.phone,
        new_link_text(monitoring),
    )
    transaction.on_commit(send_outbox.enqueue)
    return monitoring


@transaction.atomic
def tick(now: dt.datetime | None = None) -> Tick:
    """The clock's work at `now` (see the module's docstring). Safe to run as often as wanted."""
    now = now or timezone.now()
    active = Monitoring.objects.active()
    completed = _close(
        active.filter(exposure_continues=False, ends_at__lte=now), CloseReason.COMPLETED, now
    )
    silent = list(
        active.filter(not_reporting_since__isnull=True)
        .annotate(heard=Coalesce("last_report_at", "created_at"))
        .filter(heard__lte=now - NOT_REPORTING_AFTER)
        .values_list("pk", flat=True)
    )
    Alert.objects.bulk_create(
        [Alert(monitoring_id=pk, kind=AlertKind.NOT_REPORTING, raised_at=now) for pk in silent],
        ignore_conflicts=True,
        batch_size=1000,
    )
    with _counting(active.filter(pk__in=silent)):
        active.filter(pk__in=silent).update(not_reporting_since=now)
    local = timezone.localtime(now)
    today = local.date()
    hours = [local.hour - k for k in range(REMINDER_WINDOW) if local.hour - k >= 0]
    due = (
        active.filter(reminder_hour__in=hours)
        .exclude(last_report_on=today)
        .exclude(person__phone="")
        .select_related("person")
    )
    rows = [
        (f"monitoring:{m.pk}:{today.isoformat()}", m.person.phone, reminder_text(m), "sms")
        for m in due.iterator(chunk_size=2000)
    ]
    queue_many(rows)
    if rows:
        transaction.on_commit(send_outbox.enqueue)
    return Tick(completed=completed, not_reporting=len(silent), reminded=len(rows))
