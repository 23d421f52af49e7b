"""Storing scans: new visits, the visits they end, exits, and the daily counts, in few statements.

What is stored was accepted by `reading` first; the rules applied here (usual stay, ending the
previous visit, exit matching, the daily count) are written in `rules`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.db import connection
from django.utils.translation import gettext as _

from kiemdich.venues.models import Venue

from .models import Checkin, Method, end_bound
from .reading import Item, Recorded, ScanRefused
from .rules import (
    CHECKIN,
    IN,
    MAX_STAY,
    OUT,
    count_sql,
    exit_ends,
    inside,
    local_date,
    still_in,
    still_in_sql,
    still_open_sql,
    usual_end,
)


@dataclass(frozen=True)
class NewCheckin:
    """A visit known to be new and complete (an import, the demo): `services.record_checkins`."""

    client_id: uuid.UUID
    venue_id: int
    t_in: dt.datetime
    method: str = Method.SELF
    t_out: dt.datetime | None = None
    source_app: str = ""


def bump_daily(counts: Counter[tuple[str, dt.date]]) -> None:
    """Add to ScanDaily in one statement per batch (INSERT ... ON CONFLICT DO UPDATE)."""
    if not counts:
        return
    rows = sorted((commune, day, n) for (commune, day), n in counts.items())  # `count_sql`'s order
    with connection.cursor() as cursor:
        cursor.executemany(count_sql("VALUES (%s, %s, %s)"), rows)


def count_new(new: Iterable[NewVisit]) -> None:
    """Count new visits in their communes' days (rule 10)."""
    bump_daily(Counter((v.venue.commune_id, local_date(v.t_in)) for v in new))


def hold_deletes() -> None:
    """Lock out deletes of venues and people until this transaction ends (check-ins have no
    foreign-key constraints: migration 0003). Taken before reading who exists, so that what the
    scans of this transaction are told still exists does exist when they are stored."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {CHECKIN} IN ROW EXCLUSIVE MODE")


@contextmanager
def server_cursor() -> Iterator[psycopg.Cursor]:
    """A psycopg cursor on Django's connection, for the statements whose values PostgreSQL binds
    (Django's cursors bind them on the client). Its errors go through Django's wrapper: they
    come out as Django's classes with psycopg's as the cause (what `services.record_scans` and
    `services.record_scan_batch` catch), and a broken connection is dropped at the end of the
    request, as Django drops its own."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


class Visits:
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
        """The visit an exit scanned at `venue_id` at `at` ends (`rules.exit_ends`), or None
        (an exit with no entry on record)."""
        visit = self._last(person_id, at)
        return visit if visit is not None and exit_ends(visit, at, venue_id) else None

    def inside(self, person_id: int, at: dt.datetime, venue_id: int):
        """The visit at `venue_id` a scan with no direction ends (`rules.inside`), or None: then
        it is an entry."""
        visit = self.exit_of(person_id, at, venue_id)
        return visit if visit is not None and inside(visit, at) else None

    def enter(self, visit: NewVisit) -> None:
        """A new entry ends whatever visit the person was still in (`rules.still_in`)."""
        if visit.person_id is None:
            return
        for other in self.by_person.get(visit.person_id, []):
            if still_in(other, visit.t_in):
                other.t_out = visit.t_in
                if other.pk:
                    self.changed[other.pk] = other
        self.by_person.setdefault(visit.person_id, []).append(visit)

    def leave(self, visit: Checkin, at: dt.datetime, client_id: uuid.UUID) -> None:
        visit.t_out, visit.t_out_auto, visit.client_id_out = at, False, client_id
        if visit.pk:
            self.changed[visit.pk] = visit


def save_exits(visits: Iterable[Checkin]) -> None:
    """Write the changed ends of visits: one pipelined UPDATE per visit (executemany), which
    PostgreSQL runs far faster than bulk_update's one statement of CASE WHEN per row.

    An exit scan sets the visit's bound in the tracing index too (`Checkin.t_out_max`) to the
    exit: lower, or higher for an exit after the usual stay (`rules.exit_ends`; the bound was
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
                f"UPDATE {CHECKIN} SET t_out = %s, t_out_auto = %s, "  # noqa: S608
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

#: Rows per INSERT of `insert` (a batch is at most 1,000; imports can be far larger).
INSERT_CHUNK = 5000


def insert(new: list[NewVisit]) -> None:
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
    with server_cursor() as cursor:
        for start in range(0, len(new), INSERT_CHUNK):
            chunk = new[start : start + INSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {CHECKIN} ({', '.join(_COLUMNS)}, created_at) "  # noqa: S608
                f"SELECT *, now() FROM unnest({unnest}) RETURNING id, client_id",
                [[getattr(v, column) for v in chunk] for column in _COLUMNS],
            )
            ids.update((client_id, pk) for pk, client_id in cursor.fetchall())
    for visit in new:
        visit.pk = ids[visit.client_id]


def end_visits_before(new: list[NewVisit], since: dt.datetime) -> None:
    """Each new entry ends the visit its person was still in, stored before this batch
    (`rules.still_in_sql`; `since` is the batch's earliest scan).

    One query finds them (by person and time, on the (person, t_in) index); the updates then go
    by primary key, pipelined, in id order. A single UPDATE ... FROM joined the whole table.
    """
    entries = [v.pk for v in new if v.person_id is not None and v.t_out_auto]
    if not entries:
        return
    marks = ", ".join(["%s"] * len(entries))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id, MIN(e.t_in) FROM {CHECKIN} e JOIN {CHECKIN} v "  # noqa: S608
            f"ON v.person_id = e.person_id AND {still_in_sql('v', 'e.t_in', '%s')} "
            f"WHERE e.id IN ({marks}) GROUP BY v.id ORDER BY v.id",
            [_db("t_in", since - MAX_STAY), *entries],
        )
        ended = cursor.fetchall()
        if ended:
            cursor.executemany(
                f"UPDATE {CHECKIN} SET t_out = %s "  # noqa: S608
                f"WHERE id = %s AND {still_open_sql(CHECKIN, '%s')}",
                [(first, visit_id, first) for visit_id, first in ended],
            )


def apply_scan(item: Item, visits: Visits, actor) -> tuple[NewVisit | None, Recorded]:
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
        t_out=at if direction == OUT else usual_end(at, venue.category),
        t_out_auto=direction == IN,
        source_app=scan.source_app,
        recorded_by_id=actor.pk if actor is not None and item.method != Method.SELF else None,
    )
    visits.enter(visit)
    return visit, Recorded(201, direction, visit, item.person, item.shown)


def store_scans(accepted: list[Item], actor, results: list) -> None:
    """Store the accepted scans of a batch (in time order) and fill in their results: new
    visits inserted, the visits exits and entries end updated, the new visits counted."""
    if not accepted:
        return
    # Only people whose scans may be exits need their open visits in memory; what entries end
    # is done in the database afterwards (end_visits_before).
    visits = Visits(
        {i.person_id for i in accepted if i.person_id and i.scan.direction != IN},
        accepted[0].at,
        accepted[-1].at,
    )
    recorder = actor if getattr(actor, "is_authenticated", False) else None
    new: list[NewVisit] = []
    for item in accepted:
        try:
            created, results[item.index] = apply_scan(item, visits, recorder)
        except ScanRefused as exc:
            results[item.index] = exc
            continue
        if created is not None:
            new.append(created)
    insert(new)
    save_exits(visits.changed.values())
    end_visits_before(new, accepted[0].at)
    count_new(new)
