"""Writing check-ins: the only code that stores scans, and always with their daily counts.

`record_checkins` stores visits known to be new (imports, the demo, benchmarks); `record_scans`
turns what devices send (entries, exits, replays, offline batches) into visits.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import lru_cache

import psycopg
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts.access import scannable
from kiemdich.core.errors import DomainError
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import (
    Shown,
    identify_qr,
    person_from_details,
    person_id_from_token,
    read_qr,
    same_details,
    shown_of_qr,
)
from kiemdich.venues import signing
from kiemdich.venues.models import MAX_STAY_MINUTES, SigningKey, Status, Venue
from kiemdich.venues.services import REFUSED, stay_minutes_json, usual_stay
from kiemdich.venues.signing import InvalidPayload

from .models import Checkin, Method, ScanDaily, end_bound


@dataclass(frozen=True)
class NewCheckin:
    client_id: uuid.UUID
    venue_id: int
    t_in: dt.datetime
    method: str = Method.SELF
    t_out: dt.datetime | None = None
    source_app: str = ""


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def bump_daily(counts: Counter[tuple[str, dt.date]]) -> None:
    """Add to ScanDaily in one statement per batch (INSERT ... ON CONFLICT DO UPDATE)."""
    if not counts:
        return
    table = ScanDaily._meta.db_table
    # Always in the same order, so two batches never wait for each other's rows (deadlock).
    rows = sorted((commune, day, n) for (commune, day), n in counts.items())
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (commune_id, date, scans) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (commune_id, date) DO UPDATE SET scans = {table}.scans + EXCLUDED.scans",
            rows,
        )


@transaction.atomic
def record_checkins(items: Iterable[NewCheckin]) -> list[NewVisit]:
    """Store visits known to be complete (imports, the demo) and count them; client ids already
    stored are skipped, not doubled. Returns the visits stored by this call, with their ids.

    Written through the same insert as scans (`_insert`), so both paths store rows alike.
    """
    items = list(items)
    if not items:
        return []
    _hold_deletes()
    seen = set(
        Checkin.objects.filter(client_id__in=[i.client_id for i in items]).values_list(
            "client_id", flat=True
        )
    )
    fresh: dict[uuid.UUID, NewCheckin] = {}
    for item in items:
        if item.client_id not in seen:
            fresh.setdefault(item.client_id, item)
    venues = Venue.objects.only("pk", "commune_id").in_bulk({i.venue_id for i in fresh.values()})
    new = [
        NewVisit(
            client_id=i.client_id,
            venue=venues[i.venue_id],
            person_id=None,
            method=i.method,
            t_in=i.t_in,
            t_out=i.t_out,
            t_out_auto=False,
            source_app=i.source_app,
            recorded_by_id=None,
        )
        for i in fresh.values()
    ]
    _insert(new)
    bump_daily(Counter((v.venue.commune_id, local_date(v.t_in)) for v in new))
    return new


# Scans from people, staff and apps


#: How far ahead of the server's clock a device's scan time may be (phones drift).
CLOCK_SKEW = dt.timedelta(minutes=5)
IN, OUT = "in", "out"
_VENUE_URL = re.compile(r"/c/([^/?#\s]+)")


@dataclass(frozen=True)
class PersonDetails:
    """A visitor staff typed in (no phone, or no network on theirs)."""

    full_name: str
    phone: str
    id_number: str = ""


@dataclass(slots=True)
class Scan:
    """One scan as a device sends it; exactly one of the person fields, or none (staff only).

    Not frozen: a batch makes a thousand, and a frozen dataclass sets each field through
    object.__setattr__ (1.9 against 0.4 µs here for eight fields; bench/)."""

    client_id: uuid.UUID
    venue: str
    direction: str | None = None  # IN, OUT, or None: exit if inside this venue, else entry
    at: dt.datetime | None = None
    person_token: str = ""
    person_qr: str = ""
    person: PersonDetails | None = None
    source_app: str = ""


class ScanRefused(DomainError):
    """A scan that is not stored; `status` is the HTTP status, `code` stable, `message` human."""


@dataclass
class Recorded:
    """A stored scan (status 201) or the replay of one stored before (status 200)."""

    status: int
    direction: str
    checkin: Checkin
    #: Who it was, for staff scans; None for self scans.
    person: Person | None = None
    #: What the scanner screen may show of them (staff scans only).
    shown: Shown | None = None


@dataclass
class _Item:
    index: int
    scan: Scan
    at: dt.datetime
    venue: Venue
    person_id: int | None
    method: str
    person: Person | None = None
    shown: Shown | None = None


def _refused_payload(exc: InvalidPayload) -> ScanRefused:
    return ScanRefused(410 if exc.gone else 400, exc.code, exc.message)


def venue_payload(text: str) -> str:
    """The payload in a scanned poster URL (`https://host/c/<payload>`), or the text itself."""
    match = _VENUE_URL.search(text or "")
    return match.group(1) if match else (text or "").strip()


@dataclass(frozen=True)
class _Accepted:
    """The scan times accepted now: from the start of the retention period to a little ahead
    of the server's clock. Worked out once per request, not once per scan of a batch."""

    now: dt.datetime
    oldest: dt.datetime
    latest: dt.datetime

    @classmethod
    def at(cls, now: dt.datetime) -> _Accepted:
        return cls(now, now - dt.timedelta(days=settings.RETENTION_DAYS), now + CLOCK_SKEW)


def _scan_time(scan: Scan, accepted: _Accepted) -> dt.datetime:
    at = scan.at or accepted.now
    if timezone.is_naive(at):
        raise ScanRefused(422, "naive_time", _("Give the scan time with its UTC offset."))
    if at > accepted.latest:
        raise ScanRefused(
            422, "future", _("The scan time is in the future: check the device's clock.")
        )
    at = at.astimezone(dt.UTC)
    if at < accepted.oldest:
        raise ScanRefused(
            422,
            "too_old",
            _("The scan is older than %(days)s days, the time scans are kept.")
            % {"days": settings.RETENTION_DAYS},
        )
    return at


def _identify(
    scan: Scan, actor, staff: bool
) -> tuple[int | None, Person | None, str, Shown | None]:
    """(person id, person if looked up, method, what a scanner may show) for a scan. Scanning
    someone else needs `staff`: `actor` may scan others at this checkpoint (accounts.access);
    nobody is looked up or stored before that is known."""
    given = [bool(scan.person_token), bool(scan.person_qr), scan.person is not None]
    if sum(given) > 1:
        raise ScanRefused(
            422,
            "ambiguous_person",
            _("Send only one of person_token, person_qr and person."),
        )
    if scan.person_token:
        return person_id_from_token(scan.person_token), None, Method.SELF, None
    if not staff:
        if getattr(actor, "is_authenticated", False):
            raise ScanRefused(
                403,
                "forbidden",
                _(
                    "Only this checkpoint's staff and the officials of its area may scan "
                    "other people here."
                ),
            )
        raise ScanRefused(
            401,
            "person_required",
            _("Declare first (the person_token), or sign in as checkpoint staff."),
        )
    if scan.person_qr:
        person, shown = identify_qr(scan.person_qr)
        return person.pk, person, Method.STAFF, shown
    if scan.person is not None:
        details = scan.person
        person = person_from_details(details.full_name, details.phone, details.id_number)
        return person.pk, person, Method.MANUAL, Shown.of(details.full_name, None, "")
    return None, None, Method.STAFF, None


def _presented(scan: Scan) -> Shown | None:
    """What a resent staff scan shows: what its request presents (the card, the typed name),
    the same as the first answer, built without looking anyone up."""
    if scan.person_token:
        return None
    if scan.person_qr:
        try:
            return shown_of_qr(scan.person_qr)
        except InvalidPayload:
            return None
    if scan.person is not None:
        return Shown.of(scan.person.full_name, None, "")
    return None


def _venues(items: list[tuple[int, Scan]]) -> dict[int, Venue | ScanRefused]:
    """The venue of each scan (by index), verified and open for scans, in two queries (the
    retired keys among the scans' keys, then the venues)."""
    found = _venue_ids(items)
    ids = {v for v in found.values() if isinstance(v, int)}
    venues = Venue.objects.only("pk", "name", "status", "commune_id", "category").in_bulk(ids)
    result: dict[int, Venue | ScanRefused] = {}
    for index, venue_id in found.items():
        if isinstance(venue_id, ScanRefused):
            result[index] = venue_id
            continue
        venue = venues.get(venue_id)
        if venue is None:
            result[index] = ScanRefused(400, "forged", _("This checkpoint code is not genuine."))
        elif venue.status in REFUSED:
            code, message = REFUSED[venue.status]
            result[index] = ScanRefused(410, code, str(message))
        else:
            result[index] = venue
    return result


def _stored_direction(checkin: Checkin) -> str:
    """How a check-in found by its (entry) client id was scanned: an exit with no entry on
    record is stored as a visit of no length, never estimated, with no exit id of its own."""
    return OUT if not checkin.t_out_auto and checkin.client_id_out is None else IN


def _stored(status: int, direction: str, checkin: Checkin) -> Recorded:
    """A stored scan's answer. It shows nobody: what is stored for an ID number must never
    reach a scanner (an ID-number lookup); a replay shows what its own request presents."""
    return Recorded(status, direction, checkin, checkin.person, None)


def _venue_ids(items: list[tuple[int, Scan]]) -> dict[int, int | ScanRefused]:
    """The checkpoint id each scan's poster names (by index), or why the poster is refused:
    signatures checked here, retired keys in one query for all of them."""
    found: dict[int, int | ScanRefused] = {}
    kids: dict[int, str] = {}
    for index, scan in items:
        try:
            verified = signing.verify(venue_payload(scan.venue), retired_checked=True)
        except InvalidPayload as exc:
            found[index] = _refused_payload(exc)
        else:
            found[index], kids[index] = verified.number, verified.kid
    retired = signing.retired_kids(set(kids.values()))
    for index, kid in kids.items():
        if kid in retired:
            found[index] = _refused_payload(
                InvalidPayload("key_retired", signing.refusal("key_retired"))
            )
    return found


def _staff_venues(
    actor,
    pending: list[tuple[int, Scan]],
    venues: dict[int, Venue | ScanRefused],
    replays: dict[int, int | ScanRefused],
) -> set[int]:
    """The checkpoints of this batch where `actor` may scan other people, in one query, and
    only if some scan needs to know (a person's own scans never do)."""
    if not getattr(actor, "is_authenticated", False):
        return set()
    ids = {v.pk for i, s in pending if not s.person_token and isinstance(v := venues[i], Venue)}
    ids |= {v for v in replays.values() if isinstance(v, int)}
    return scannable(actor, Venue.objects.filter(pk__in=ids)) if ids else set()


def _replays(scans: list[Scan]) -> dict[uuid.UUID, Recorded]:
    """Scans stored before under their client id. A replay repeats its request, so only scans
    that may be exits are looked for among exit ids (one index probe per id, no OR)."""
    found: dict[uuid.UUID, Recorded] = {}
    stored = Checkin.objects.select_related("venue", "person").order_by()
    for checkin in stored.filter(client_id__in=[s.client_id for s in scans]):
        found[checkin.client_id] = _stored(200, _stored_direction(checkin), checkin)
    exits = [s.client_id for s in scans if s.direction != IN]
    if exits:
        for checkin in stored.filter(client_id_out__in=exits):
            found[checkin.client_id_out] = _stored(200, OUT, checkin)
    return found


def _same_request(scan: Scan, stored: Recorded, venue_id: int, actor, staff: set[int]) -> bool:
    """Is this scan the one stored under its client id, sent again by the same caller?

    A client id is an idempotency key, not a credential: whoever learns one must not get the
    stored visit back. The same request names the same checkpoint, direction and time, and
    presents the same person; the same caller holds the same person's token, or is the staff
    account that recorded the entry (for an exit, staff of that checkpoint) and may still scan
    there: a replay answers what the request presents, so it must not become a way to have
    other QR codes read, or to scan after being removed from the staff."""
    checkin = stored.checkin
    if venue_id != checkin.venue_id or scan.direction not in (None, stored.direction):
        return False
    exit_id = checkin.client_id_out == scan.client_id
    if scan.at is not None:
        when = checkin.t_out if exit_id else checkin.t_in
        if timezone.is_naive(scan.at) or scan.at != when:
            return False
    if scan.person_token:
        try:
            return person_id_from_token(scan.person_token) == checkin.person_id
        except InvalidPayload:
            return False
    if (scan.person_qr or scan.person is not None) and checkin.method == Method.SELF:
        return False
    if not getattr(actor, "is_authenticated", False) or venue_id not in staff:
        return False
    if not _presents(scan, checkin):
        return False
    return exit_id or checkin.recorded_by_id == actor.pk


def _presents(scan: Scan, checkin: Checkin) -> bool:
    """Does a staff scan present the person stored under its client id (or, like it, none)?"""
    person = checkin.person
    if scan.person_qr:
        try:
            read = read_qr(scan.person_qr)
        except InvalidPayload:
            return False
        if isinstance(read, Person):
            return read.pk == checkin.person_id
        return person is not None and bool(person.id_number) and read.id_number == person.id_number
    if scan.person is not None:
        details = scan.person
        return person is not None and same_details(person, details.full_name, details.phone)
    return checkin.person_id is None


#: The answer to a client id reused for another scan or by another caller: nothing of it.
def _conflict() -> ScanRefused:
    return ScanRefused(
        409,
        "client_id_conflict",
        _("This client_id was already used for another scan. Make a new one for each scan."),
    )


#: The longest a visit lasts: an exit scan up to this long after the entry still ends it.
MAX_STAY = dt.timedelta(minutes=MAX_STAY_MINUTES)


class _Visits:
    """The visits of the people in a batch whose scans may be exits, from MAX_STAY before the
    batch on (only those can still be ended by an exit in it), as the batch changes them."""

    def __init__(self, person_ids: set[int], since: dt.datetime, until: dt.datetime) -> None:
        self.by_person: dict[int, list[Checkin]] = {}
        self.changed: dict[int, Checkin] = {}
        if person_ids:
            # Scanned out or not: any later visit of the person ended the ones before it.
            visits = (
                Checkin.objects.filter(
                    person_id__in=person_ids, t_in__gte=since - MAX_STAY, t_in__lte=until
                )
                .select_related("venue")  # an exit's answer names the checkpoint
                .order_by("t_in", "pk")
            )
            for visit in visits:
                self.by_person.setdefault(visit.person_id, []).append(visit)

    def _last(self, person_id: int, at: dt.datetime):
        """The person's latest visit begun by `at` (the later one stored of the same time)."""
        last = None
        for visit in self.by_person.get(person_id, []):
            if visit.t_in <= at and (last is None or visit.t_in >= last.t_in):
                last = visit
        return last

    def exit_of(self, person_id: int, at: dt.datetime, venue_id: int):
        """The visit an exit scanned at `venue_id` at `at` ends, or None (an exit with no entry
        on record). The one rule for every exit, single or batched, on any database: the
        person's latest visit, if it is at this checkpoint, not scanned out yet, and began at
        most MAX_STAY_MINUTES before, even if its usual stay is over (a long visit). An entry
        anywhere since (the person's later visit) ended it for real."""
        visit = self._last(person_id, at)
        if visit is None or visit.venue_id != venue_id or not visit.t_out_auto:
            return None
        return visit if at - visit.t_in <= MAX_STAY else None

    def inside(self, person_id: int, at: dt.datetime, venue_id: int):
        """The visit at `venue_id` the person is still in at `at` by its estimated end (usual
        stay, or next entry): what makes a scan with no direction an exit rather than an
        entry. Only a scan said to be an exit ends a visit after its usual stay (`exit_of`):
        someone back hours later is more likely a new visit than a long one."""
        visit = self.exit_of(person_id, at, venue_id)
        return visit if visit is not None and at < visit.t_out else None

    def enter(self, visit: Checkin) -> None:
        """A new entry ends whatever visit the person was still in (they left it)."""
        if visit.person_id is None:
            return
        for other in self.by_person.get(visit.person_id, []):
            if other.t_out_auto and other.t_in < visit.t_in < other.t_out:
                other.t_out = visit.t_in
                if other.pk:
                    self.changed[other.pk] = other
        self.by_person.setdefault(visit.person_id, []).append(visit)

    def leave(self, visit: Checkin, at: dt.datetime, client_id: uuid.UUID) -> None:
        visit.t_out, visit.t_out_auto, visit.client_id_out = at, False, client_id
        if visit.pk:
            self.changed[visit.pk] = visit


def _save_exits(visits: Iterable[Checkin]) -> None:
    """Write the changed ends of visits: one pipelined UPDATE per visit (executemany), which
    PostgreSQL runs far faster than bulk_update's one statement of CASE WHEN per row.

    An exit scan sets the visit's bound in the tracing index too (`Checkin.t_out_max`) to the
    exit: lower, or higher for an exit after the usual stay (`_Visits.exit_of`; the bound was
    that stay, and the CHECK `t_out <= t_out_max` holds the row to it). A visit ended by its
    person's next entry keeps its bound, so that update changes no index."""
    rows = [
        (
            _db("t_out", v.t_out),
            v.t_out_auto,
            _db("client_id_out", v.client_id_out),
            v.t_out_auto,
            _db("t_out", v.t_out),
            v.pk,
        )
        for v in sorted(visits, key=lambda v: v.pk)  # one lock order for every batch
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Checkin._meta.db_table} SET t_out = %s, t_out_auto = %s, "  # noqa: S608
                "client_id_out = %s, t_out_max = CASE WHEN %s THEN t_out_max ELSE %s END "
                "WHERE id = %s",
                rows,
            )


def _db(field: str, value):
    """A value as the database stores it (SQLite keeps UUIDs as hex and times as text)."""
    return Checkin._meta.get_field(field).get_db_prep_value(value, connection)


@dataclass(slots=True)
class NewVisit:
    """A visit a batch is about to store: what `Checkin` holds, without a model's weight
    (a batch makes a thousand of them; see bench/)."""

    client_id: uuid.UUID
    venue: Venue
    person_id: int | None
    method: str
    t_in: dt.datetime
    t_out: dt.datetime | None
    t_out_auto: bool
    source_app: str
    recorded_by_id: int | None
    client_id_out: uuid.UUID | None = None
    pk: int | None = None

    @property
    def venue_id(self) -> int:
        return self.venue.pk

    @property
    def t_out_max(self) -> dt.datetime:
        return end_bound(self.t_in, self.t_out)

    def as_checkin(self) -> Checkin:
        fields = {f: getattr(self, f) for f in self.__slots__ if f not in ("venue", "pk")}
        return Checkin(venue=self.venue, **fields)


_COLUMNS = (
    "client_id",
    "venue_id",
    "person_id",
    "method",
    "t_in",
    "t_out",
    "t_out_max",
    "t_out_auto",
    "source_app",
    "recorded_by_id",
    "client_id_out",
)
_ARRAY_TYPES = (
    "uuid",
    "bigint",
    "bigint",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "bool",
    "text",
    "bigint",
    "uuid",
)


@contextmanager
def _server_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor on Django's connection, for the statements whose values PostgreSQL binds
    (Django's cursors bind them on the client). Its errors go through Django's wrapper: they
    come out as Django's classes with psycopg's as the cause (what `record_scans` and
    `record_scan_batch` catch), and a broken connection is dropped at the end of the request,
    as Django drops its own."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


#: Rows per INSERT of `_insert` (a batch is at most 1,000; imports can be far larger).
INSERT_CHUNK = 5000


def _insert(new: list[NewVisit]) -> None:
    """Store new visits and give them their ids.

    On PostgreSQL one INSERT ... SELECT FROM unnest(<one array per column>) with the values
    bound on the server: a thousand rows cost about what COPY costs. Elsewhere bulk_create.
    """
    if not new:
        return
    if connection.vendor != "postgresql":
        created = Checkin.objects.bulk_create([v.as_checkin() for v in new])
        for visit, row in zip(new, created, strict=True):
            visit.pk = row.pk
        return
    unnest = ", ".join(f"%s::{kind}[]" for kind in _ARRAY_TYPES)
    ids: dict[uuid.UUID, int] = {}
    with _server_cursor() as cursor:
        for start in range(0, len(new), INSERT_CHUNK):
            chunk = new[start : start + INSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {Checkin._meta.db_table} ({', '.join(_COLUMNS)}, created_at) "  # noqa: S608
                f"SELECT *, now() FROM unnest({unnest}) RETURNING id, client_id",
                [[getattr(v, column) for v in chunk] for column in _COLUMNS],
            )
            ids.update((client_id, pk) for pk, client_id in cursor.fetchall())
    for visit in new:
        visit.pk = ids[visit.client_id]


def _end_visits_before(new: list[NewVisit], since: dt.datetime) -> None:
    """Each new entry ends the visit its person was still in, stored before this batch.

    One query finds them (by person and time, on the (person, t_in) index); the updates then go
    by primary key, pipelined, in id order. A single UPDATE ... FROM joined the whole table.
    """
    entries = [v.pk for v in new if v.person_id is not None and v.t_out_auto]
    if not entries:
        return
    table = Checkin._meta.db_table
    marks = ", ".join(["%s"] * len(entries))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id, MIN(e.t_in) FROM {table} e JOIN {table} v "  # noqa: S608
            "ON v.person_id = e.person_id AND v.t_in < e.t_in AND v.t_in >= %s "
            f"WHERE e.id IN ({marks}) AND v.t_out_auto AND v.t_out > e.t_in GROUP BY v.id "
            "ORDER BY v.id",
            [_db("t_in", since - dt.timedelta(minutes=MAX_STAY_MINUTES)), *entries],
        )
        ended = cursor.fetchall()
        if ended:
            # Still open when updated: a visit scanned out of meanwhile keeps its exit.
            cursor.executemany(
                f"UPDATE {table} SET t_out = %s "  # noqa: S608
                "WHERE id = %s AND t_out_auto AND t_out > %s",
                [(first, visit_id, first) for visit_id, first in ended],
            )


def _apply(item: _Item, visits: _Visits, actor) -> tuple[NewVisit | None, Recorded]:
    """Turn one scan (taken in time order) into a new visit, or the end of an open one."""
    scan, venue, at = item.scan, item.venue, item.at
    direction = scan.direction
    if direction is None:
        inside = visits.inside(item.person_id, at, venue.pk) if item.person_id else None
        direction = OUT if inside else IN
    if direction == OUT and item.person_id is None:
        raise ScanRefused(422, "exit_needs_person", _("An exit scan needs to know who is leaving."))
    current = visits.exit_of(item.person_id, at, venue.pk) if direction == OUT else None
    if current is not None:
        visits.leave(current, at, scan.client_id)
        return None, Recorded(201, OUT, current, item.person, item.shown)
    visit = NewVisit(
        client_id=scan.client_id,
        venue=venue,
        person_id=item.person_id,
        method=item.method,
        t_in=at,
        # An exit with no entry on record: they were there at that moment.
        t_out=at if direction == OUT else at + usual_stay(venue.category),
        t_out_auto=direction == IN,
        source_app=scan.source_app,
        recorded_by_id=actor.pk if actor is not None and item.method != Method.SELF else None,
    )
    visits.enter(visit)
    return visit, Recorded(201, direction, visit, item.person, item.shown)


def record_scans(scans: list[Scan], actor=None) -> list[Recorded | ScanRefused]:
    """Store a batch of scans (an offline scanner's queue, an app's sync): a result per scan.

    Scans are applied in scan-time order, so an entry and the exit after it may come in the same
    batch. Client ids already stored, or repeated in the batch, are replays: their original
    result comes back and nothing new is stored. A refused scan does not stop the others.
    """
    try:
        return _record_scans(scans, actor)
    except (IntegrityError, OperationalError):
        # Another request stored one of these client ids between our check and our insert
        # (they come back as replays now), or PostgreSQL broke a lock cycle: run again.
        return _record_scans(scans, actor)


def _hold_deletes() -> None:
    """Lock out deletes of venues and people until this transaction ends (check-ins have no
    foreign-key constraints: migration 0003). Taken before reading who exists, so that what the
    scans of this transaction are told still exists does exist when they are stored."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Checkin._meta.db_table} IN ROW EXCLUSIVE MODE")


@transaction.atomic
def _record_scans(scans: list[Scan], actor) -> list[Recorded | ScanRefused]:
    _hold_deletes()
    accepted = _Accepted.at(timezone.now())
    results: list[Recorded | ScanRefused | None] = [None] * len(scans)
    replays = _replays(scans)
    first: dict[uuid.UUID, int] = {}
    pending: list[tuple[int, Scan]] = []
    replayed: list[tuple[int, Scan]] = []
    for index, scan in enumerate(scans):
        if scan.client_id in replays:
            replayed.append((index, scan))
        elif scan.client_id in first:
            continue  # filled in from the first scan with this id, below
        else:
            first[scan.client_id] = index
            pending.append((index, scan))
    venues = _venues(pending)
    replay_venues = _venue_ids(replayed)
    staff = _staff_venues(actor, pending, venues, replay_venues)
    for index, scan in replayed:
        venue_id = replay_venues[index]
        if isinstance(venue_id, ScanRefused):
            results[index] = venue_id
        elif _same_request(scan, replays[scan.client_id], venue_id, actor, staff):
            results[index] = replace(replays[scan.client_id], shown=_presented(scan))
        else:
            results[index] = _conflict()
    items: list[_Item] = []
    token_people: set[int] = set()
    for index, scan in pending:
        try:
            if scan.direction not in (None, IN, OUT):
                raise ScanRefused(422, "invalid", _("direction is 'in' or 'out'."))
            at = _scan_time(scan, accepted)
            venue = venues[index]
            if isinstance(venue, ScanRefused):
                raise venue
            person_id, person, method, shown = _identify(scan, actor, venue.pk in staff)
        except ScanRefused as exc:
            results[index] = exc
            continue
        except InvalidPayload as exc:
            results[index] = _refused_payload(exc)
            continue
        if method == Method.SELF:
            token_people.add(person_id)
        items.append(_Item(index, scan, at, venue, person_id, method, person, shown))
    existing = set(Person.objects.filter(pk__in=token_people).values_list("pk", flat=True))
    accepted = []
    for item in items:
        if item.method == Method.SELF and item.person_id not in existing:
            results[item.index] = ScanRefused(
                410,
                "person_gone",
                _(
                    "This phone's declaration was deleted after the retention period. "
                    "Declare again."
                ),
            )
        else:
            accepted.append(item)
    accepted.sort(key=lambda i: i.at)
    if accepted:
        # Only people whose scans may be exits need their open visits in memory; what entries
        # end is done in the database afterwards (_end_visits_before).
        visits = _Visits(
            {i.person_id for i in accepted if i.person_id and i.scan.direction != IN},
            accepted[0].at,
            accepted[-1].at,
        )
        recorder = actor if getattr(actor, "is_authenticated", False) else None
        new: list[NewVisit] = []
        for item in accepted:
            try:
                created, results[item.index] = _apply(item, visits, recorder)
            except ScanRefused as exc:
                results[item.index] = exc
                continue
            if created is not None:
                new.append(created)
        _insert(new)
        _save_exits(visits.changed.values())
        _end_visits_before(new, accepted[0].at)
        bump_daily(Counter((c.venue.commune_id, local_date(c.t_in)) for c in new))
    for index, scan in enumerate(scans):
        if results[index] is None:
            original = results[first[scan.client_id]]
            results[index] = (
                replace(original, status=200) if isinstance(original, Recorded) else original
            )
    return results


def record_scan(scan: Scan, actor=None) -> Recorded:
    """Store one scan (201), or return the one stored before under its client id (200)."""
    result = record_scans([scan], actor)[0]
    if isinstance(result, ScanRefused):
        raise result
    return result


# The fast path of the commonest scan: a person entering, with their token.
#
# One statement, prepared once per connection and committed on its own (autocommit): the insert
# checks that the checkpoint accepts scans, that the person still exists and that the client id
# is new (ON CONFLICT); the same statement ends the person's previous visit and counts the scan.
# It stores exactly what `record_scans` would. Anything unusual (a replay, a refused checkpoint,
# a deleted person) makes it return None, and `record_scan` answers with the right reason.
# PostgreSQL only (data-modifying CTEs); elsewhere every scan takes the general path.


@dataclass(slots=True)
class Entry:
    """A stored entry, as the fast path knows it (not frozen, for the reason `Scan` is not)."""

    id: int
    client_id: uuid.UUID
    venue_id: int
    venue_name: str
    t_in: dt.datetime
    t_out: dt.datetime
    #: 201: stored now; 200: a repeat, in the same batch, of a client id stored now.
    status: int = 201


#: Statuses in which a checkpoint accepts scans.
ACCEPTING = [status for status in Status.values if status not in REFUSED]


def _sql_names() -> dict[str, str]:
    """What the fast paths' statements name: the tables, and the accepting statuses."""
    return {
        "checkin": Checkin._meta.db_table,
        "venue": Venue._meta.db_table,
        "key": SigningKey._meta.db_table,
        "person": Person._meta.db_table,
        "daily": ScanDaily._meta.db_table,
        "accepting": ", ".join(f"'{status}'" for status in ACCEPTING),  # constants, not input
        "epoch_us": "(extract(epoch FROM ins.t_out) * 1000000)::bigint",  # see _from_epoch
    }


@lru_cache(maxsize=1)
def _entry_sql() -> str:
    return """
WITH v AS (
    SELECT id, name, commune_id,
           %(at)s + make_interval(mins => (%(stays)s::text::jsonb ->> category)::int) AS usual
    FROM {venue}
    WHERE id = %(venue)s AND status IN ({accepting})
      AND EXISTS (SELECT 1 FROM {person} WHERE id = %(person)s)
      AND NOT EXISTS (SELECT 1 FROM {key} WHERE kid = %(kid)s AND retired_at IS NOT NULL)
), ins AS (
    INSERT INTO {checkin} (client_id, venue_id, person_id, method, t_in, t_out, t_out_max,
                           t_out_auto, source_app, created_at)
    SELECT %(client_id)s, v.id, %(person)s, %(method)s, %(at)s, v.usual, v.usual,
           TRUE, %(app)s, now()
    FROM v
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id, t_out
), ended AS (
    UPDATE {checkin} AS c SET t_out = %(at)s FROM ins
    WHERE c.person_id = %(person)s AND c.t_out_auto AND c.t_in >= %(since)s
      AND c.t_in < %(at)s AND c.t_out > %(at)s AND c.id <> ins.id
), counted AS (
    INSERT INTO {daily} (commune_id, date, scans)
    SELECT v.commune_id, %(day)s, 1 FROM v JOIN ins ON TRUE
    ON CONFLICT (commune_id, date) DO UPDATE SET scans = {daily}.scans + 1
)
SELECT ins.id, {epoch_us}, v.name FROM ins JOIN v ON TRUE
""".format(**_sql_names())  # noqa: S608 (table names from the models, values bound)


#: Where the fast statements' epoch microseconds count from (loaded as integers, they skip
#: the timestamp parser Django installs, written in Python: a thousand a batch, bench/).
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _from_epoch(microseconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=microseconds)


def _token_entry(scan: Scan) -> bool:
    """An entry by a person scanning themself with their token: what the fast paths store."""
    return (
        scan.direction == IN and bool(scan.person_token) and not scan.person_qr and not scan.person
    )


def fast_entry(scan: Scan) -> Entry | None:
    """Store a token holder's entry in one round trip, or None to take the general path.

    No `_hold_deletes` here (it would cost a second round trip): the statement itself takes
    that lock when PostgreSQL reads it, before the snapshot in which it finds the person
    (a test holds a delete open while this statement waits)."""
    if connection.vendor != "postgresql":
        return None
    if not _token_entry(scan):
        return None
    try:
        person_id = person_id_from_token(scan.person_token)
        at = _scan_time(scan, _Accepted.at(timezone.now()))
        # Whether its key is retired is checked by the statement (no second round trip).
        verified = signing.verify(venue_payload(scan.venue), retired_checked=True)
    except (InvalidPayload, ScanRefused):
        return None
    venue_id = verified.number
    params = {
        "venue": venue_id,
        "kid": verified.kid,
        "person": person_id,
        "client_id": scan.client_id,
        "method": Method.SELF,
        "at": at,
        "stays": stay_minutes_json(),
        "app": scan.source_app,
        "since": at - dt.timedelta(minutes=MAX_STAY_MINUTES),
        "day": local_date(at),
    }
    # Bound on the server, PostgreSQL keeps the plan of this statement for the connection's
    # lifetime (psycopg's prepare_threshold is set in settings: Django turns it off).
    with _server_cursor() as cursor:
        cursor.execute(_entry_sql(), params, prepare=True)
        row = cursor.fetchone()
    if row is None:
        return None
    return Entry(row[0], scan.client_id, venue_id, row[2], at, _from_epoch(row[1]))


# The fast path of a batch of such entries (an app's sync, a scanner's queue): one statement
# stores them all, as `record_scans` would, and leaves out what needs a reason (a replay, a
# refused checkpoint, a deleted person) for `record_scans` to answer.


@lru_cache(maxsize=1)
def _entries_sql() -> str:
    # `ok`: the new scans (not replays) whose checkpoint accepts scans and whose person exists,
    # each with its usual end, or the person's next (strictly later) new entry in the batch if
    # sooner. `ended`: the stored visits each person was still in, ended by their first new
    # entry after them (the table is read as it was before this statement, so the new rows are
    # not among them), in id order; `counted` reads `updated`, so the visits are locked before
    # the daily counts, in the order the general path locks them (no lock cycle between them).
    # The UPDATE checks again that each visit is still open: a visit its person scanned out of
    # meanwhile keeps its exit.
    return """
WITH input AS (
    SELECT * FROM json_to_recordset(%(items)s::json)
        AS i(n int, client_id uuid, venue_id bigint, kid text, person_id bigint,
             t_in timestamptz, app text)
), accepted AS (
    SELECT i.*, v.name, v.commune_id,
           i.t_in + make_interval(mins => (%(stays)s::text::jsonb ->> v.category)::int) AS usual,
           EXISTS (SELECT 1 FROM {checkin} r WHERE r.client_id = i.client_id) AS replay
    FROM input i JOIN {venue} v ON v.id = i.venue_id AND v.status IN ({accepting})
    WHERE EXISTS (SELECT 1 FROM {person} p WHERE p.id = i.person_id)
      AND NOT EXISTS (SELECT 1 FROM {key} k WHERE k.kid = i.kid AND k.retired_at IS NOT NULL)
), ok AS MATERIALIZED (
    -- Replays are flagged, not filtered out: a filter here makes the planner expect one row
    -- and join the batch with itself row by row (measured: 1,000 x 1,000 comparisons).
    SELECT *, min(t_in) FILTER (WHERE NOT replay) OVER (
                  PARTITION BY person_id ORDER BY t_in
                  RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP) AS next_in
    FROM accepted
), ins AS (
    INSERT INTO {checkin} (client_id, venue_id, person_id, method, t_in, t_out, t_out_max,
                           t_out_auto, source_app, created_at)
    SELECT client_id, venue_id, person_id, %(method)s, t_in, ends.t_out, ends.t_out, TRUE, app,
           now()
    FROM ok CROSS JOIN LATERAL (
        SELECT CASE WHEN next_in < usual THEN next_in ELSE usual END AS t_out
    ) ends
    WHERE NOT replay
    ON CONFLICT (client_id) DO NOTHING
    RETURNING id, client_id, person_id, t_in, t_out
), ended AS (
    SELECT c.id, min(e.t_in) AS t_out
    FROM ins e CROSS JOIN LATERAL (
        SELECT id FROM {checkin} c
        WHERE c.person_id = e.person_id AND c.t_in >= e.t_in - %(max_stay)s
          AND c.t_in < e.t_in AND c.t_out_auto AND c.t_out > e.t_in
    ) c
    GROUP BY c.id ORDER BY c.id
), updated AS (
    UPDATE {checkin} c SET t_out = ended.t_out FROM ended
    WHERE c.id = ended.id AND c.t_out_auto AND c.t_out > ended.t_out
    RETURNING c.id
), counted AS (
    INSERT INTO {daily} (commune_id, date, scans)
    SELECT ok.commune_id, (ins.t_in AT TIME ZONE %(tz)s)::date, count(*)
    FROM ins JOIN ok USING (client_id)
    WHERE (SELECT count(*) FROM updated) >= 0
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (commune_id, date) DO UPDATE SET scans = {daily}.scans + EXCLUDED.scans
)
SELECT ok.n, ins.id, {epoch_us}, ok.name FROM ins JOIN ok USING (client_id)
""".format(**_sql_names())  # noqa: S608 (table names from the models, values bound)


def fast_entries(scans: list[Scan]) -> list[Entry | None] | None:
    """Store a batch of token holders' entries in one statement: for each scan, the entry
    stored (status 200 for a repeat, in the batch, of a client id stored now), or None for
    `record_scans` to answer (replays, refused checkpoints, deleted people). None when the
    batch is not only such entries, or not on PostgreSQL: then all of it takes the general
    path."""
    if connection.vendor != "postgresql" or not scans:
        return None
    accepted = _Accepted.at(timezone.now())
    venues: dict[str, signing.Verified] = {}
    items: list[dict] = []
    #: By item: the index of its scan, its venue and its time.
    firsts: list[tuple[int, int, dt.datetime]] = []
    #: By scan: the index of the first scan with its client id.
    first_of: list[int] = []
    seen: dict[uuid.UUID, int] = {}
    try:
        for index, scan in enumerate(scans):
            if not _token_entry(scan):
                return None
            first = seen.setdefault(scan.client_id, index)
            first_of.append(first)
            if first != index:
                continue  # the first one is stored; the repeat is a replay of it
            verified = venues.get(scan.venue)
            if verified is None:
                # Whether its key is retired is checked by the statement.
                verified = venues[scan.venue] = signing.verify(
                    venue_payload(scan.venue), retired_checked=True
                )
            venue_id = verified.number
            at = _scan_time(scan, accepted)
            items.append(
                {
                    "n": len(firsts),
                    "client_id": str(scan.client_id),
                    "venue_id": venue_id,
                    "kid": verified.kid,
                    "person_id": person_id_from_token(scan.person_token),
                    "t_in": at.isoformat(),
                    "app": scan.source_app,
                }
            )
            firsts.append((index, venue_id, at))
    except (InvalidPayload, ScanRefused):
        return None
    params = {
        # One JSON document rather than an array per column: json.dumps writes it in C, where
        # psycopg would write the arrays element by element in Python.
        "items": json.dumps(items),
        "stays": stay_minutes_json(),
        "method": Method.SELF,
        "max_stay": dt.timedelta(minutes=MAX_STAY_MINUTES),
        "tz": timezone.get_current_timezone_name(),  # the day `local_date` gives
    }
    # Planned for each batch, never prepared: a plan kept for any batch cannot know how many
    # scans come, and measured three times slower than planning (1-2 ms) each time (bench/).
    # One round trip. On its own, the statement commits by itself (autocommit), as the single
    # fast path does; inside the caller's transaction, a savepoint undoes it alone if it fails.
    # Either way a failed statement leaves the connection usable for the general path. Like the
    # single fast path, it takes its lock against deletes (`_hold_deletes`) when PostgreSQL reads
    # it, before the snapshot in which it finds the people: BEGIN, LOCK and COMMIT of their own
    # were three more round trips a batch.
    atomic = nullcontext() if connection.get_autocommit() else transaction.atomic()
    with atomic, _server_cursor() as cursor:
        cursor.execute(_entries_sql(), params, prepare=False)
        rows = cursor.fetchall()
    stored: list[Entry | None] = [None] * len(scans)
    for n, pk, t_out, name in rows:
        index, venue_id, at = firsts[n]
        client_id = scans[index].client_id
        stored[index] = Entry(pk, client_id, venue_id, name, at, _from_epoch(t_out))
    for index, first in enumerate(first_of):
        if first != index and (entry := stored[first]) is not None:
            stored[index] = replace(entry, status=200)
    return stored


#: What may happen to a batch's statement through no fault of its own (psycopg's classes, which
#: Django's wrapper gives as the cause of its OperationalError).
_RETRYABLE = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)


def record_scan_batch(scans: list[Scan], actor=None) -> list[Entry | Recorded | ScanRefused]:
    """`record_scans` for what devices sync, with a batch of token holders' entries (the bulk
    of it) stored by `fast_entries` and only the rest left to `record_scans`: a result per
    scan."""
    try:
        stored = fast_entries(scans)
    except OperationalError as exc:
        # A lock cycle with another writer that PostgreSQL broke: nothing of the statement was
        # stored (it ran as its own transaction, or in a savepoint); the general path sorts it
        # out. Anything else (a lost connection) is an error.
        if not isinstance(exc.__cause__, _RETRYABLE):
            raise
        stored = None
    if stored is None:
        return record_scans(scans, actor)
    rest = [scan for scan, entry in zip(scans, stored, strict=True) if entry is None]
    answers = iter(record_scans(rest, actor) if rest else ())
    return [next(answers) if entry is None else entry for entry in stored]


def open_visit(person: Person, venue: Venue, at: dt.datetime | None = None) -> Checkin | None:
    """The person's visit to `venue` going on now (not scanned out, usual stay not over)."""
    at = at or timezone.now()
    return (
        Checkin.objects.filter(
            person=person, venue=venue, t_out_auto=True, t_in__lte=at, t_out__gt=at
        )
        .order_by("-t_in")
        .first()
    )
