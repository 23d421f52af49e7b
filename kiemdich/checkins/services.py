"""Writing check-ins: the only code that stores scans, and always with their daily counts.

`record_checkins` stores visits known to be new (imports, the demo, benchmarks); `record_scan`,
`record_scans` and `record_scan_batch` turn what devices send (entries, exits, replays, offline
batches) into visits; `fast_entry` stores the commonest scan, a person entering with their
token, in one statement. This module is the public entry; the work is split by role:

- `rules`: every scan rule, once, in Python and (where a fast statement needs it) as SQL; its
  docstring lists them all;
- `reading`: reading a scan and refusing it (poster, time, who, replays and conflicts);
- `storing`: storing what was accepted (visits, the visits they end, exits, daily counts);
- `fastsql`: the fast statements for token holders' entries, one or a batch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import replace

import psycopg
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from kiemdich.declarations.models import Person
from kiemdich.venues.models import Venue

from .fastsql import Entry, fast_entries, fast_entry
from .models import Checkin
from .reading import PersonDetails, Recorded, Scan, ScanRefused, read_scans, venue_payload
from .rules import IN, OUT
from .storing import NewCheckin, NewVisit, count_new, hold_deletes, insert, store_scans

__all__ = [
    "IN",
    "OUT",
    "Entry",
    "NewCheckin",
    "NewVisit",
    "PersonDetails",
    "Recorded",
    "Scan",
    "ScanRefused",
    "fast_entry",
    "open_visit",
    "record_checkins",
    "record_scan",
    "record_scan_batch",
    "record_scans",
    "venue_payload",
]


@transaction.atomic
def record_checkins(items: Iterable[NewCheckin]) -> list[NewVisit]:
    """Store visits known to be complete (imports, the demo) and count them; client ids already
    stored are skipped, not doubled. Returns the visits stored by this call, with their ids.

    Written through the same insert as scans (`storing.insert`), so both paths store rows alike.
    """
    items = list(items)
    if not items:
        return []
    hold_deletes()
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
    insert(new)
    count_new(new)
    return new


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


@transaction.atomic
def _record_scans(scans: list[Scan], actor) -> list[Recorded | ScanRefused]:
    hold_deletes()
    reading = read_scans(scans, actor)
    results = reading.results
    store_scans(reading.accepted, actor, results)
    for index, scan in enumerate(scans):
        if results[index] is None:  # a repeat, in the batch, of its first scan's client id
            original = results[reading.first[scan.client_id]]
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


#: What may happen to a batch's statement through no fault of its own (psycopg's classes, which
#: Django's wrapper gives as the cause of its OperationalError).
_RETRYABLE = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)


def record_scan_batch(scans: list[Scan], actor=None) -> list[Entry | Recorded | ScanRefused]:
    """`record_scans` for what devices sync, with a batch of token holders' entries (the bulk
    of it) stored by `fastsql.fast_entries` and only the rest left to `record_scans`: a result
    per scan."""
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
