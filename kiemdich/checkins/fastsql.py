"""The fast statements for the commonest scan: a person entering with their token.

One statement stores one entry (`fast_entry`: the API and the WSGI shortcut in fastpath.py) or
a batch of them (`fast_entries`: an app's sync, a scanner's queue) in one round trip, and
stores exactly what `services.record_scans` would: the statements are put together from the SQL
fragments of `rules`, the same rules the general path applies in Python. Anything unusual (a
replay, a refused checkpoint, a deleted person) is left out for `services.record_scans` to
answer with its reason. PostgreSQL only (data-modifying CTEs); elsewhere every scan takes the
general path.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from kiemdich.declarations.services import person_id_from_token
from kiemdich.venues import signing
from kiemdich.venues.models import Venue
from kiemdich.venues.services import stay_minutes_json
from kiemdich.venues.signing import InvalidPayload

from .models import Method
from .reading import Accepted, Scan, ScanRefused, scan_time, venue_payload
from .rules import (
    CHECKIN,
    IN,
    MAX_STAY,
    NEW_CLIENT_ID,
    accepting_sql,
    count_sql,
    live_key_sql,
    local_date,
    local_date_sql,
    local_zone,
    person_exists_sql,
    replay_sql,
    still_in_sql,
    still_open_sql,
    usual_end_sql,
)
from .storing import server_cursor

VENUE = Venue._meta.db_table
#: The stored end of an inserted entry, as epoch microseconds (see `_from_epoch`).
_EPOCH_US = "(extract(epoch FROM ins.t_out) * 1000000)::bigint"
_INSERT = f"""INSERT INTO {CHECKIN} (client_id, venue_id, person_id, method, t_in, t_out,
                           t_out_max, t_out_auto, source_app, created_at)"""


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


@lru_cache(maxsize=1)
def entry_sql() -> str:
    """One entry: the checkpoint accepts scans, the person exists and the poster's key is live
    (`v`, else nothing is stored); inserted unless its client id is stored (a replay); the
    person's previous visit ended, the scan counted."""
    return f"""
WITH v AS (
    SELECT id, name, commune_id, {usual_end_sql("%(at)s", "category")} AS usual
    FROM {VENUE}
    WHERE id = %(venue)s AND {accepting_sql("status")}
      AND {person_exists_sql("%(person)s")}
      AND {live_key_sql("%(kid)s")}
), ins AS (
    {_INSERT}
    SELECT %(client_id)s, v.id, %(person)s, %(method)s, %(at)s, v.usual, v.usual,
           TRUE, %(app)s, now()
    FROM v
    {NEW_CLIENT_ID}
    RETURNING id, t_out
), ended AS (
    UPDATE {CHECKIN} AS c SET t_out = %(at)s FROM ins
    WHERE c.person_id = %(person)s AND {still_in_sql("c", "%(at)s", "%(since)s")}
      AND c.id <> ins.id
), counted AS (
    {count_sql("SELECT v.commune_id, %(day)s, 1 FROM v JOIN ins ON TRUE")}
)
SELECT ins.id, {_EPOCH_US}, v.name FROM ins JOIN v ON TRUE
"""  # noqa: S608 (table names from the models, values bound)


#: Where the fast statements' epoch microseconds count from (loaded as integers, they skip
#: the timestamp parser Django installs, written in Python: a thousand a batch, bench/).
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _from_epoch(microseconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=microseconds)


def token_entry(scan: Scan) -> bool:
    """An entry by a person scanning themself with their token: what the fast paths store."""
    return (
        scan.direction == IN and bool(scan.person_token) and not scan.person_qr and not scan.person
    )


def fast_entry(scan: Scan) -> Entry | None:
    """Store a token holder's entry in one round trip, or None to take the general path.

    No `storing.hold_deletes` here (it would cost a second round trip): the statement itself
    takes that lock when PostgreSQL reads it, before the snapshot in which it finds the person
    (a test holds a delete open while this statement waits)."""
    if connection.vendor != "postgresql":
        return None
    if not token_entry(scan):
        return None
    try:
        person_id = person_id_from_token(scan.person_token)
        at = scan_time(scan, Accepted.at(timezone.now()))
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
        "since": at - MAX_STAY,
        "day": local_date(at),
    }
    # Bound on the server, PostgreSQL keeps the plan of this statement for the connection's
    # lifetime (psycopg's prepare_threshold is set in settings: Django turns it off).
    with server_cursor() as cursor:
        cursor.execute(entry_sql(), params, prepare=True)
        row = cursor.fetchone()
    if row is None:
        return None
    return Entry(row[0], scan.client_id, venue_id, row[2], at, _from_epoch(row[1]))


@lru_cache(maxsize=1)
def entries_sql() -> str:
    """A batch of entries, as `entry_sql` one.

    `ok`: the new scans (not replays) whose checkpoint accepts scans and whose person exists,
    each with its usual end, or the person's next (strictly later) new entry in the batch if
    sooner. `ended`: the stored visits each person was still in, ended by their first new entry
    after them (the table is read as it was before this statement, so the new rows are not
    among them), in id order; `counted` reads `updated`, so the visits are locked before the
    daily counts, in the order the general path locks them (no lock cycle between them). The
    UPDATE checks again that each visit is still open: a visit its person scanned out of
    meanwhile keeps its exit."""
    counted = count_sql(
        f"SELECT ok.commune_id, {local_date_sql('ins.t_in')}, count(*) "  # noqa: S608
        "FROM ins JOIN ok USING (client_id) WHERE (SELECT count(*) FROM updated) >= 0 "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    )
    return f"""
WITH input AS (
    SELECT * FROM json_to_recordset(%(items)s::json)
        AS i(n int, client_id uuid, venue_id bigint, kid text, person_id bigint,
             t_in timestamptz, app text)
), accepted AS (
    SELECT i.*, v.name, v.commune_id, {usual_end_sql("i.t_in", "v.category")} AS usual,
           {replay_sql("i.client_id")} AS replay
    FROM input i JOIN {VENUE} v ON v.id = i.venue_id AND {accepting_sql("v.status")}
    WHERE {person_exists_sql("i.person_id")} AND {live_key_sql("i.kid")}
), ok AS MATERIALIZED (
    -- Replays are flagged, not filtered out: a filter here makes the planner expect one row
    -- and join the batch with itself row by row (measured: 1,000 x 1,000 comparisons).
    SELECT *, min(t_in) FILTER (WHERE NOT replay) OVER (
                  PARTITION BY person_id ORDER BY t_in
                  RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE GROUP) AS next_in
    FROM accepted
), ins AS (
    {_INSERT}
    SELECT client_id, venue_id, person_id, %(method)s, t_in, ends.t_out, ends.t_out, TRUE, app,
           now()
    FROM ok CROSS JOIN LATERAL (
        SELECT CASE WHEN next_in < usual THEN next_in ELSE usual END AS t_out
    ) ends
    WHERE NOT replay
    {NEW_CLIENT_ID}
    RETURNING id, client_id, person_id, t_in, t_out
), ended AS (
    SELECT c.id, min(e.t_in) AS t_out
    FROM ins e CROSS JOIN LATERAL (
        SELECT id FROM {CHECKIN} c
        WHERE c.person_id = e.person_id
          AND {still_in_sql("c", "e.t_in", "e.t_in - %(max_stay)s")}
    ) c
    GROUP BY c.id ORDER BY c.id
), updated AS (
    UPDATE {CHECKIN} c SET t_out = ended.t_out FROM ended
    WHERE c.id = ended.id AND {still_open_sql("c", "ended.t_out")}
    RETURNING c.id
), counted AS (
    {counted}
)
SELECT ok.n, ins.id, {_EPOCH_US}, ok.name FROM ins JOIN ok USING (client_id)
"""  # noqa: S608 (table names from the models, values bound)


def fast_entries(scans: list[Scan]) -> list[Entry | None] | None:
    """Store a batch of token holders' entries in one statement: for each scan, the entry
    stored (status 200 for a repeat, in the batch, of a client id stored now), or None for
    `services.record_scans` to answer (replays, refused checkpoints, deleted people). None when
    the batch is not only such entries, or not on PostgreSQL: then all of it takes the general
    path."""
    if connection.vendor != "postgresql" or not scans:
        return None
    accepted = Accepted.at(timezone.now())
    venues: dict[str, signing.Verified] = {}
    items: list[dict] = []
    #: By item: the index of its scan, its venue and its time.
    firsts: list[tuple[int, int, dt.datetime]] = []
    #: By scan: the index of the first scan with its client id.
    first_of: list[int] = []
    seen: dict[uuid.UUID, int] = {}
    try:
        for index, scan in enumerate(scans):
            if not token_entry(scan):
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
            at = scan_time(scan, accepted)
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
        "max_stay": MAX_STAY,
        "tz": local_zone(),
    }
    # Planned for each batch, never prepared: a plan kept for any batch cannot know how many
    # scans come, and measured three times slower than planning (1-2 ms) each time (bench/).
    # One round trip. On its own, the statement commits by itself (autocommit), as the single
    # fast path does; inside the caller's transaction, a savepoint undoes it alone if it fails.
    # Either way a failed statement leaves the connection usable for the general path. Like the
    # single fast path, it takes its lock against deletes (`storing.hold_deletes`) when
    # PostgreSQL reads it, before the snapshot in which it finds the people: BEGIN, LOCK and
    # COMMIT of their own were three more round trips a batch.
    atomic = nullcontext() if connection.get_autocommit() else transaction.atomic()
    with atomic, server_cursor() as cursor:
        cursor.execute(entries_sql(), params, prepare=False)
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
