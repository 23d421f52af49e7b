"""The hotline's writes: receiving a report, routing it, each agency's steps, the escalations.

The clock is written once here (`_clock`): the limit runs from `received_at`, 24/7, with no
pause; `due_at`, the first-response time and the escalation times are fixed at receipt from
the settings (a category's own limit in `CategoryTarget`). Reassigning, returning to the
hotline and reopening never touch them, so "who held it" changes and "when it is due" does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_see_unit
from kiemdich.accounts.models import Role, User
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.geo.models import Unit
from kiemdich.messaging import services as messaging
from kiemdich.messaging.models import Channel as MessageChannel
from kiemdich.phones import normalize_phone
from kiemdich.tracing.services import open_case

from .models import (
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    Category,
    CategoryTarget,
    Channel,
    DayCount,
    DayMinutes,
    Escalation,
    EventKind,
    Outcome,
    RoutingRule,
    Segment,
    Status,
    Supervisor,
    Ticket,
    TicketEvent,
)

#: A ticket may be logged this long after the call came in (an operator catching up), no more.
BACKDATE_LIMIT = dt.timedelta(hours=24)
#: Clocks of phones and servers differ a little: a receipt time this far ahead is still "now".
CLOCK_SKEW = dt.timedelta(minutes=2)
#: Receipt numbers: no 0/O, 1/I, so a number read out over the phone is typed right.
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_NUMBER_LENGTH = 8


class TicketFieldError(FieldError, ValueError):
    """A report the hotline cannot take as given (422 naming the field)."""


class TicketConflict(DomainError):
    """A step the ticket's state does not allow (acknowledging a resolved ticket, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "conflict", message)


# The clock


def limit_minutes(category: str) -> int:
    """The resolution limit of `category`: its own, else HOTLINE_RESOLUTION_MINUTES."""
    own = CategoryTarget.objects.filter(category=category).values_list(
        "resolution_minutes", flat=True
    )
    return next(iter(own), settings.HOTLINE_RESOLUTION_MINUTES)


def step_at(received_at: dt.datetime, minutes: int, percent: int) -> dt.datetime:
    """When the escalation step `percent` (of the limit) falls: 80 % of 5 hours is 4 hours."""
    return received_at + dt.timedelta(minutes=minutes * percent / 100)


def _steps() -> list[int]:
    return sorted(settings.HOTLINE_ESCALATION_STEPS)


def _next_step(ticket: Ticket, start: int) -> tuple[int, dt.datetime | None]:
    steps = _steps()
    if start >= len(steps):
        return start, None
    return start, step_at(ticket.received_at, ticket.limit_minutes, steps[start])


def _clock(ticket: Ticket) -> None:
    """Fix the ticket's times from its receipt; called once, when it is received."""
    ticket.limit_minutes = limit_minutes(ticket.category)
    ticket.due_at = ticket.received_at + dt.timedelta(minutes=ticket.limit_minutes)
    ticket.first_response_due_at = ticket.received_at + dt.timedelta(
        minutes=settings.HOTLINE_FIRST_RESPONSE_MINUTES
    )
    ticket.next_step, ticket.next_step_at = _next_step(ticket, 0)


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from `start` to `end` (a started minute counts: 5 h 0 min 30 s is 301)."""
    seconds = (end - start).total_seconds()
    return max(0, int(-(-seconds // 60)))


# The daily rollup (models.DayCount, DayMinutes)
#
# The statistics read these instead of the tickets. What a set of tickets adds to them is one
# SQL statement per table (`_COUNTS_SQL`, `_MINUTES_SQL`), written for PostgreSQL and SQLite:
# every ticket counts on its local day of receipt in its province, district and commune, once
# for all tickets and once per channel, category, agency and district. `rebuild_rollup` runs
# them over every ticket (INSERT … SELECT); each ticket change runs them for that one ticket
# before and after the change and adds the difference (`_Rollup`), in the change's own
# transaction. Additions commute, so two changes at once need no lock beyond the row's own.
# No statement makes a row of nothing (a segment released the instant it began holds nothing),
# and a change that leaves a row at nothing deletes it, so the kept rollup is the rebuilt one.

#: The ticket's units at the three levels. Official codes have a fixed width (province 2
#: digits, district 3): a commune's path "70/696/25396/" holds them at fixed places.
_LEVELS = "(SELECT 1 AS level UNION ALL SELECT 2 UNION ALL SELECT 3) AS levels"
_UNIT = (
    "CASE levels.level WHEN 1 THEN substr(t.path, 1, 2) WHEN 2 THEN substr(t.path, 4, 3) "
    "ELSE t.commune_id END"
)
_DIMENSIONS = " UNION ALL ".join(
    f"SELECT '{d}' AS dimension" if i == 0 else f"SELECT '{d}'"
    for i, d in enumerate(("", "channel", "category", "agency", "district"))
)
_VALUE = (
    "CASE dims.dimension WHEN 'channel' THEN t.channel WHEN 'category' THEN t.category "
    "WHEN 'agency' THEN CAST(t.agency_id AS TEXT) WHEN 'district' THEN substr(t.path, 4, 3) "
    "ELSE '' END"
)


def _sql_list(values) -> str:
    """Our own choices' values as an SQL list (never a user's text)."""
    return ", ".join(f"'{value!s}'" for value in values)


_COUNTS_SQL = """
SELECT day, unit_id, dimension, value, sum(tickets), sum(resolved), sum(met), sum(open_),
    sum(acknowledged), sum(first_met), sum(reopened), sum(moved), sum(held)
FROM (
    SELECT {day} AS day, {unit} AS unit_id, dims.dimension AS dimension, {value} AS value,
        1 AS tickets,
        CASE WHEN t.outcome IN ({resolved}) THEN 1 ELSE 0 END AS resolved,
        CASE WHEN t.outcome = '{met}' THEN 1 ELSE 0 END AS met,
        CASE WHEN t.status IN ({open}) THEN 1 ELSE 0 END AS open_,
        CASE WHEN t.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END AS acknowledged,
        CASE WHEN t.acknowledged_at <= t.first_response_due_at THEN 1 ELSE 0 END AS first_met,
        CASE WHEN t.reopened THEN 1 ELSE 0 END AS reopened,
        CASE WHEN t.moves > 0 THEN 1 ELSE 0 END AS moved,
        %s AS held
    FROM {tickets} AS t CROSS JOIN {levels} CROSS JOIN ({dimensions}) AS dims
    WHERE {where} AND (dims.dimension <> 'agency' OR t.agency_id IS NOT NULL)
    UNION ALL
    SELECT {day}, {unit}, 'agency', CAST(s.agency_id AS TEXT), 0, 0, 0, 0, 0, 0, 0, 0,
        {held}
    FROM {segments} AS s JOIN {tickets} AS t ON t.id = s.ticket_id CROSS JOIN {levels}
    WHERE {where} AND s.released_at > s.assigned_at
) AS counted
GROUP BY day, unit_id, dimension, value
"""

_MINUTES_SQL = """
SELECT {day}, {unit}, t.minutes_used, count(*)
FROM {tickets} AS t CROSS JOIN {levels}
WHERE {where} AND t.outcome IN ({resolved})
GROUP BY 1, 2, 3
"""

_COUNT_COLUMNS = (
    "day", "unit_id", "dimension", "value", "tickets", "resolved", "met", "open",
    "acknowledged", "first_met", "reopened", "moved", "held",
)  # fmt: skip
_MINUTES_COLUMNS = ("day", "unit_id", "minutes", "tickets")


def _rollup_sql(template: str, where: str, where_params: list) -> tuple[str, list]:
    """`template` for the tickets `where` selects (on `t`), with its parameters."""
    ops = connection.ops
    day, day_params = ops.datetime_cast_date_sql(
        "t.received_at", [], str(timezone.get_default_timezone())
    )
    held, held_params = ops.subtract_temporals(
        "DateTimeField", ("s.released_at", []), ("s.assigned_at", [])
    )
    sql = template.format(
        day=day,
        unit=_UNIT,
        value=_VALUE,
        levels=_LEVELS,
        dimensions=_DIMENSIONS,
        tickets=Ticket._meta.db_table,
        segments=Segment._meta.db_table,
        where=where,
        held=held,
        resolved=_sql_list([Outcome.MET, Outcome.BREACHED]),
        met=Outcome.MET.value,
        open=_sql_list(OPEN_STATUSES),
    )
    if template is _MINUTES_SQL:
        # the day once (GROUP BY names the columns by position), then the WHERE
        return sql, [*day_params, *where_params]
    zero = DayCount._meta.get_field("held").get_db_prep_value(dt.timedelta(0), connection)
    params = [*day_params, zero, *where_params, *day_params, *held_params, *where_params]
    return sql, params


def _insert(model, columns: tuple[str, ...]) -> str:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    return f"INSERT INTO {model._meta.db_table} ({quoted}) "


@transaction.atomic
def rebuild_rollup(start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Count the tickets received from `start` to `end` (local days, both included; default
    all) again from scratch: after loading tickets by other means than these services (an
    import, the benchmark), or to check the rollup. Returns the rollup rows written."""
    where, params = ["1 = 1"], []
    rollups = [DayCount.objects.all(), DayMinutes.objects.all()]
    if start is not None:
        where.append("t.received_at >= %s")
        params.append(_local_day(start)[0])
        rollups = [rows.filter(day__gte=start) for rows in rollups]
    if end is not None:
        where.append("t.received_at < %s")
        params.append(_local_day(end)[1])
        rollups = [rows.filter(day__lte=end) for rows in rollups]
    for rows in rollups:
        rows.delete()
    with connection.cursor() as cur:
        for model, template, columns in (
            (DayCount, _COUNTS_SQL, _COUNT_COLUMNS),
            (DayMinutes, _MINUTES_SQL, _MINUTES_COLUMNS),
        ):
            sql, sql_params = _rollup_sql(template, " AND ".join(where), params)
            cur.execute(_insert(model, columns) + sql, sql_params)
    return sum(rows.count() for rows in rollups)


def _local_day(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time(), zone)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)


def _key_day(value) -> dt.date:
    """A day as the database answers it (a date; SQLite's function gives its ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


class _Rollup:
    """One ticket's share of the rollup, taken before a change (`_Rollup(ticket)`, or
    `_Rollup(None)` for a new ticket); `apply(ticket)` adds what the change altered."""

    def __init__(self, ticket: Ticket | None) -> None:
        self.before = self._share(ticket) if ticket is not None else ({}, {})

    @staticmethod
    def _share(ticket: Ticket) -> tuple[dict, dict]:
        counts, minutes = {}, {}
        with connection.cursor() as cur:
            cur.execute(*_rollup_sql(_COUNTS_SQL, "t.id = %s", [ticket.pk]))
            for day, unit, dimension, value, *numbers, spent in cur.fetchall():
                if not isinstance(spent, dt.timedelta):  # SQLite: microseconds
                    spent = dt.timedelta(microseconds=spent)
                key = (_key_day(day), unit, dimension, value)
                counts[key] = (*numbers, spent)
            cur.execute(*_rollup_sql(_MINUTES_SQL, "t.id = %s", [ticket.pk]))
            for day, unit, used, count in cur.fetchall():
                minutes[(_key_day(day), unit, used)] = count
        return counts, minutes

    def apply(self, ticket: Ticket) -> None:
        (counts_before, minutes_before), (counts, minutes) = self.before, self._share(ticket)
        zero = (0,) * 8 + (dt.timedelta(0),)
        count_rows = []
        for key in sorted(counts_before.keys() | counts.keys()):
            old, new = counts_before.get(key, zero), counts.get(key, zero)
            delta = tuple(n - o for n, o in zip(new, old, strict=True))
            if delta != zero:
                count_rows.append((*key, *delta))
        minute_rows = [
            (*key, minutes.get(key, 0) - minutes_before.get(key, 0))
            for key in sorted(minutes_before.keys() | minutes.keys())
            if minutes.get(key, 0) != minutes_before.get(key, 0)
        ]
        _add(DayCount, _COUNT_COLUMNS, 4, count_rows)
        _add(DayMinutes, _MINUTES_COLUMNS, 3, minute_rows)
        if count_rows:
            DayCount.objects.filter(
                unit_id__in={row[1] for row in count_rows},
                day__in={row[0] for row in count_rows},
                tickets=0,
                held=dt.timedelta(0),
            ).delete()
        if minute_rows:
            DayMinutes.objects.filter(
                unit_id__in={row[1] for row in minute_rows},
                day__in={row[0] for row in minute_rows},
                tickets=0,
            ).delete()


def _add(model, columns: tuple[str, ...], keys: int, rows: list[tuple]) -> None:
    """Add `rows` (their key columns, then amounts) to `model`'s rows of the same key (an
    upsert that adds; PostgreSQL and SQLite alike). A row left at nothing is deleted by the
    caller, so the rollup holds what a rebuild would."""
    if not rows:
        return
    table, quote = model._meta.db_table, connection.ops.quote_name
    names = [quote(c) for c in columns]
    sums = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in names[keys:])
    sql = (
        _insert(model, columns)
        + f"VALUES ({', '.join(['%s'] * len(columns))}) "
        + f"ON CONFLICT ({', '.join(names[:keys])}) DO UPDATE SET {sums}"
    )
    fields = [model._meta.get_field(c.removesuffix("_id")) for c in columns]
    with connection.cursor() as cur:
        cur.executemany(
            sql,
            [
                [f.get_db_prep_value(v, connection) for f, v in zip(fields, row, strict=True)]
                for row in rows
            ],
        )


# Routing


def route(category: str, commune: Unit) -> Agency | None:
    """The agency a ticket of `category` from `commune` goes to: the rule of the most specific
    unit holding the commune (the commune's own, then its district's, then the province's);
    None when no rule covers it (the supervisor's queue)."""
    parts = commune.path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
    rule = (
        RoutingRule.objects.filter(category=category, unit__path__in=prefixes)
        .select_related("agency")
        .order_by("-unit__level")
        .first()
    )
    return rule.agency if rule else None


def set_rule(category: str, unit: Unit, agency: Agency) -> RoutingRule:
    """Send `category` of `unit`'s communes to `agency` (replacing the unit's rule for it)."""
    if category not in Category.values:
        raise TicketFieldError("category", _("Choose a category from the list."))
    if not agency.unit.path.startswith(unit.path) and not unit.path.startswith(agency.unit.path):
        raise TicketFieldError("agency", _("The agency must work in or above this area."))
    rule, _created = RoutingRule.objects.update_or_create(
        category=category, unit=unit, defaults={"agency": agency}
    )
    return rule


def delete_rule(rule: RoutingRule) -> None:
    rule.delete()


def set_agency(
    name: str, kind: str, unit: Unit, head: User | None = None, members: list[User] = ()
) -> Agency:
    """The agency `name` of `unit` (made, or its kind, head and members set): what the admin
    does by hand, for the demo and imports."""
    if kind not in AgencyKind.values:
        raise TicketFieldError("kind", _("Choose the kind of agency."))
    agency, _created = Agency.objects.update_or_create(
        name=name, unit=unit, defaults={"kind": kind, "head": head}
    )
    agency.members.set(members)
    return agency


def set_supervisor(user: User) -> Supervisor:
    """Make `user` (an official of an area) a hotline supervisor of that area."""
    supervisor, _created = Supervisor.objects.get_or_create(user=user)
    return supervisor


# Receiving


def _commune(code: str) -> Unit:
    unit = Unit.objects.filter(code=(code or "").strip()).first()
    if unit is None or unit.level != 3:
        raise TicketFieldError("commune_code", _("Choose the commune (ward) it is about."))
    return unit


def _text(field: str, value: str, limit: int) -> str:
    """A free text as stored: trimmed, at most `limit` characters; a NUL character (which no
    one types, and PostgreSQL cannot store) is refused on its field."""
    value = (value or "").strip()
    if "\x00" in value:
        raise TicketFieldError(field, _("Remove the invisible control character."))
    return value[:limit]


def _number() -> str:
    return "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(_NUMBER_LENGTH))


def _event(ticket: Ticket, kind: str, at: dt.datetime, actor=None, agency=None, note="") -> None:
    note = _text("note", note, 2000)
    TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        agency=agency,
        note=note,
    )


def _assign(ticket: Ticket, agency: Agency, at: dt.datetime, actor=None, note="") -> None:
    Segment.objects.create(ticket=ticket, agency=agency, assigned_at=at)
    ticket.agency, ticket.status = agency, Status.ASSIGNED
    _event(ticket, EventKind.ASSIGNED, at, actor, agency, note)


def _release(ticket: Ticket, at: dt.datetime) -> None:
    Segment.objects.filter(ticket=ticket, released_at__isnull=True).update(released_at=at)


@dataclass
class Report:
    """A report as the hotline takes it, checked: what `receive` stores."""

    channel: str
    category: str
    commune_code: str
    location: str = ""
    description: str = ""
    caller_phone: str = ""
    received_at: dt.datetime | None = None
    public: bool = False


def receive(report: Report, actor=None, now: dt.datetime | None = None) -> Ticket:
    """Log a report: give it a number, start its clock at `received_at` (default now; up to
    BACKDATE_LIMIT earlier, never later than now), route it, write its history. An operator
    (`actor`) logs only for a commune of their area; a citizen's report (no actor) for any."""
    now = now or timezone.now()
    if report.channel not in Channel.values:
        raise TicketFieldError("channel", _("Choose how the report came in."))
    if report.category not in Category.values:
        raise TicketFieldError("category", _("Choose a category from the list."))
    commune = _commune(report.commune_code)
    if actor is not None and not may_see_unit(actor, commune):
        raise TicketFieldError("commune_code", _("This commune is outside your area."))
    received_at = report.received_at or now
    if timezone.is_naive(received_at):
        raise TicketFieldError("received_at", _("Give the time with its time zone."))
    if received_at > now + CLOCK_SKEW:
        raise TicketFieldError("received_at", _("The call cannot have come in the future."))
    if received_at < now - BACKDATE_LIMIT:
        raise TicketFieldError("received_at", _("A call is logged within 24 hours of coming in."))
    phone = ""
    if _text("caller_phone", report.caller_phone, 30):
        try:
            phone = normalize_phone(report.caller_phone)
        except ValidationError as exc:
            raise TicketFieldError("caller_phone", exc.messages[0]) from exc
    location = _text("location", report.location, 300)
    description = _text("description", report.description, 5000)
    if not description:
        raise TicketFieldError("description", _("Say what the report is about."))
    ticket = Ticket(
        received_at=received_at,
        created_by=actor if getattr(actor, "pk", None) else None,
        channel=report.channel,
        category=report.category,
        commune=commune,
        path=commune.path,
        location=location,
        description=description,
        caller_phone=phone,
        public=report.public,
        status=Status.UNROUTED,
    )
    _clock(ticket)
    for _attempt in range(5):
        ticket.number = _number()
        try:
            with transaction.atomic():
                ticket.save()
                _event(ticket, EventKind.RECEIVED, received_at, actor)
                agency = route(ticket.category, commune)
                if agency is not None:
                    _assign(ticket, agency, now)
                    ticket.save(update_fields=["agency", "status"])
                _Rollup(None).apply(ticket)
            return ticket
        except IntegrityError:
            ticket.pk = None
            if Ticket.objects.filter(number=ticket.number).exists():
                continue
            raise
    raise RuntimeError("no free ticket number after 5 tries")


# An agency's steps


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _open(ticket: Ticket) -> None:
    if not ticket.is_open:
        raise TicketConflict(_("This ticket is resolved; reopen it first."))


def acknowledge(ticket: Ticket, actor, now: dt.datetime | None = None) -> Ticket:
    """The agency holding the ticket has taken it up: the first response."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        rollup = _Rollup(ticket)
        if ticket.status != Status.ASSIGNED:
            raise TicketConflict(_("Only a ticket sent to an agency and not yet taken up."))
        Segment.objects.filter(
            ticket=ticket, released_at__isnull=True, acknowledged_at__isnull=True
        ).update(acknowledged_at=now)
        ticket.status = Status.ACKNOWLEDGED
        ticket.acknowledged_at = ticket.acknowledged_at or now
        ticket.save(update_fields=["status", "acknowledged_at"])
        _event(ticket, EventKind.ACKNOWLEDGED, now, actor, ticket.agency)
        rollup.apply(ticket)
    return ticket


def add_note(ticket: Ticket, actor, note: str, now: dt.datetime | None = None) -> Ticket:
    if not (note or "").strip():
        raise TicketFieldError("note", _("Write the note."))
    _event(ticket, EventKind.NOTE, now or timezone.now(), actor, ticket.agency, note.strip())
    return ticket


def resolve(ticket: Ticket, actor, note: str = "", now: dt.datetime | None = None) -> Ticket:
    """Close the ticket and store its outcome: met if resolved by `due_at`, else breached,
    with the minutes used since receipt (a reopened ticket counts from its first receipt)."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        rollup = _Rollup(ticket)
        _open(ticket)
        _release(ticket, now)
        ticket.status, ticket.resolved_at = Status.RESOLVED, now
        ticket.minutes_used = minutes_between(ticket.received_at, now)
        ticket.outcome = Outcome.MET if now <= ticket.due_at else Outcome.BREACHED
        ticket.next_step_at = None
        ticket.save(
            update_fields=["status", "resolved_at", "minutes_used", "outcome", "next_step_at"]
        )
        _event(ticket, EventKind.RESOLVED, now, actor, ticket.agency, (note or "").strip())
        rollup.apply(ticket)
    return ticket


def return_to_hotline(ticket: Ticket, actor, note: str, now: dt.datetime | None = None) -> Ticket:
    """The agency says the ticket is not theirs: back to the supervisor's queue, the clock
    running on."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise TicketFieldError("note", _("Say why it goes back to the hotline."))
    with transaction.atomic():
        ticket = _locked(ticket)
        rollup = _Rollup(ticket)
        _open(ticket)
        if ticket.agency_id is None:
            raise TicketConflict(_("This ticket is already with the hotline."))
        agency = ticket.agency
        _release(ticket, now)
        ticket.agency, ticket.status = None, Status.UNROUTED
        ticket.save(update_fields=["agency", "status"])
        _event(ticket, EventKind.RETURNED, now, actor, agency, note.strip())
        rollup.apply(ticket)
    return ticket


def reassign(
    ticket: Ticket, agency: Agency, actor, note: str = "", now: dt.datetime | None = None
) -> Ticket:
    """Send the ticket to `agency` (from another one, or from the supervisor's queue). Its
    `due_at` does not move: the limit counts from receipt whoever holds it."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = _locked(ticket)
        rollup = _Rollup(ticket)
        _open(ticket)
        if ticket.agency_id == agency.pk:
            raise TicketConflict(_("The ticket is already with this agency."))
        moved = ticket.agency_id is not None or Segment.objects.filter(ticket=ticket).exists()
        _release(ticket, now)
        _assign(ticket, agency, now, actor, (note or "").strip())
        if moved:
            ticket.moves += 1
        ticket.save(update_fields=["agency", "status", "moves"])
        rollup.apply(ticket)
    return ticket


def reopen(ticket: Ticket, actor, note: str, now: dt.datetime | None = None) -> Ticket:
    """Open a resolved ticket again, with its original clock: `due_at` stays, so one past it
    is breached already; the steps not sent yet fall due as before. The ticket says it was
    reopened (`reopened`)."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise TicketFieldError("note", _("Say why the ticket is reopened."))
    with transaction.atomic():
        ticket = _locked(ticket)
        rollup = _Rollup(ticket)
        if ticket.is_open:
            raise TicketConflict(_("This ticket is still open."))
        sent = ticket.escalations.count()
        ticket.reopened = True
        ticket.resolved_at, ticket.outcome, ticket.minutes_used = None, "", None
        ticket.next_step, ticket.next_step_at = _next_step(ticket, sent)
        _event(ticket, EventKind.REOPENED, now, actor, ticket.agency, note.strip())
        if ticket.agency is not None:
            _assign(ticket, ticket.agency, now, actor)
        else:
            ticket.status = Status.UNROUTED
        ticket.save()
        rollup.apply(ticket)
    return ticket


def link_venue(ticket: Ticket, venue, actor, now: dt.datetime | None = None) -> Ticket:
    """The ticket is about this checkpoint (one not scanning, a gathering there)."""
    ticket.venue = venue
    ticket.save(update_fields=["venue"])
    _event(ticket, EventKind.LINKED, now or timezone.now(), actor, note=f"venue {venue.pk}")
    return ticket


def link_case(ticket: Ticket, case, actor, now: dt.datetime | None = None) -> Ticket:
    """A suspected case the ticket reported became a tracing case."""
    ticket.case = case
    ticket.save(update_fields=["case"])
    _event(ticket, EventKind.LINKED, now or timezone.now(), actor, note=f"case {case.pk}")
    return ticket


# Escalations


def _supervisors(path: str) -> list[User]:
    """The supervisors whose area holds the commune at `path`."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
    return [
        s.user
        for s in Supervisor.objects.select_related("user", "user__unit").filter(
            user__is_active=True, user__unit__path__in=prefixes
        )
    ]


def _province_officers(path: str) -> list[User]:
    province = path.split("/", 1)[0]
    return list(User.objects.filter(is_active=True, role=Role.PROVINCE_OFFICER, unit_id=province))


def recipients(ticket: Ticket, percent: int) -> list[User]:
    """Who hears of step `percent`: below 100 % (the warning) the agency's head and the
    supervisors; at 100 % and past (the breach) the supervisors and the province's officers."""
    people = _supervisors(ticket.path)
    if percent < 100:
        if ticket.agency is not None and ticket.agency.head is not None:
            people.append(ticket.agency.head)
    else:
        people += _province_officers(ticket.path)
    unique = {user.pk: user for user in people if user.is_active and user.phone}
    return list(unique.values())


@dataclass
class EscalationRun:
    """What one check sent: steps fired, messages queued (a digest counts once)."""

    steps: int = 0
    messages: int = 0
    digests: int = 0
    fired: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"steps": self.steps, "messages": self.messages, "digests": self.digests}


def _notice(ticket: Ticket, percent: int) -> str:
    local = timezone.localtime(ticket.due_at)
    if percent < 100:
        return _("1022 ticket %(number)s (%(category)s, %(commune)s): due at %(due)s.") % {
            "number": ticket.number,
            "category": ticket.get_category_display(),
            "commune": ticket.commune.name,
            "due": f"{local:%H:%M %d/%m}",
        }
    return _("1022 ticket %(number)s (%(category)s, %(commune)s) is past its limit (%(due)s).") % {
        "number": ticket.number,
        "category": ticket.get_category_display(),
        "commune": ticket.commune.name,
        "due": f"{local:%H:%M %d/%m}",
    }


def _digest(notices: list[tuple[Ticket, int]]) -> str:
    warned = [t.number for t, p in notices if p < 100]
    breached = [t.number for t, p in notices if p >= 100]
    parts = []
    if warned:
        parts.append(_("near the limit: %(numbers)s") % {"numbers": ", ".join(warned)})
    if breached:
        parts.append(_("past the limit: %(numbers)s") % {"numbers": ", ".join(breached)})
    return _("1022: %(count)s tickets need action; %(parts)s.") % {
        "count": len(notices),
        "parts": "; ".join(parts),
    }


def escalate(now: dt.datetime | None = None) -> EscalationRun:
    """Send every escalation step that has fallen due on an open ticket, each once per ticket
    (an `Escalation` row, unique per ticket and step, written in the same transaction as the
    messages). A recipient with HOTLINE_DIGEST_FROM notices or more in one run gets one
    digest instead; the outbox keys are stable, so a run repeated queues nothing new."""
    now = now or timezone.now()
    steps, run = _steps(), EscalationRun()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        due = list(
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("commune", "agency__head")
            .filter(next_step_at__lte=now, status__in=OPEN_STATUSES)
            .order_by("next_step_at")
        )
        per_user: dict[int, list[tuple[Ticket, int]]] = defaultdict(list)
        users: dict[int, User] = {}
        for ticket in due:
            index = ticket.next_step
            while (
                index < len(steps)
                and step_at(ticket.received_at, ticket.limit_minutes, steps[index]) <= now
            ):
                percent = steps[index]
                _fired, new = Escalation.objects.get_or_create(
                    ticket=ticket, step=percent, defaults={"at": now}
                )
                index += 1
                if not new:
                    continue
                run.steps += 1
                run.fired.append((ticket.number, percent))
                _event(ticket, EventKind.ESCALATED, now, note=f"{percent}%")
                for user in recipients(ticket, percent):
                    users[user.pk] = user
                    per_user[user.pk].append((ticket, percent))
            ticket.next_step, ticket.next_step_at = _next_step(ticket, index)
            ticket.save(update_fields=["next_step", "next_step_at"])
        rows = []
        for pk, notices in per_user.items():
            phone = users[pk].phone
            if len(notices) >= settings.HOTLINE_DIGEST_FROM:
                ids = ",".join(f"{t.pk}.{p}" for t, p in notices)
                key = f"hotline:digest:{pk}:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"
                rows.append((key, phone, _digest(notices), MessageChannel.SMS))
                run.digests += 1
            else:
                for ticket, percent in notices:
                    key = f"hotline:{ticket.pk}:{percent}:{pk}"
                    rows.append((key, phone, _notice(ticket, percent), MessageChannel.SMS))
        messaging.queue_many(rows)
        run.messages = len(rows)
    return run


def to_case(
    ticket: Ticket, actor, *, confirmed_at: dt.datetime, phone: str = "", id_number: str = ""
):
    """A tracer turns the suspected case the ticket reported into a tracing case (recorded and
    traced by tracing's own service, which checks the person is of the tracer's area)."""
    if ticket.category != Category.SUSPECTED_CASE:
        raise TicketConflict(_("Only a report of a suspected case becomes a tracing case."))
    case, report = open_case(actor, confirmed_at=confirmed_at, phone=phone, id_number=id_number)
    link_case(ticket, case, actor)
    return case, report
