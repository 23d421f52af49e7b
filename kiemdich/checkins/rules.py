"""The scan rules, each written once, for every path that stores a scan.

There are three such paths: the general one in Python (`services.record_scans`, on any
database: every kind of scan, replays, refusals), and two fast statements on PostgreSQL for the
commonest scan, a person entering with their token (`fastsql.fast_entry` for one, which the WSGI
shortcut in `fastpath.py` and the API call; `fastsql.fast_entries` for a batch). A fast
statement stores exactly what the general path would, and leaves to it any scan that needs a
reason (a replay, a refused checkpoint, a deleted person). Where a rule must also hold inside a
fast statement, its SQL fragment is built here, next to its Python form and from the same
constants; the statements only put those fragments together. tests/checkins/test_paths_agree.py
runs the same scans through the fast and the general paths and compares the rows they store.

The rules, in the order a scan meets them:

1. **The poster is genuine and live** (`reading.venue_ids`): its signature verifies
   (`venues.signing.verify`), and its key is not retired, by whichever process
   (`signing.retired_kids`; in SQL `live_key_sql`). Otherwise 400, or 410 for a retired key.
2. **The checkpoint accepts scans** (`accepts_scans`, `ACCEPTING`; in SQL `accepting_sql`): it
   exists and its status is not one of `venues.services.NOT_SCANNING` (pending, closed,
   rejected, revoked: 410; paused: 409), which says the refusal's code.
3. **The scan time** (`reading.scan_time`): given with its UTC offset, at most `CLOCK_SKEW`
   ahead of the server's clock (phones drift), and not older than the retention period; now if
   absent. Checked in Python before any statement, on every path.
4. **Who is scanned** (`reading.identify`): one person field at most; a person's own token
   (method self), or, for the checkpoint's staff and officials only (`accounts.access`), an ID
   or personal QR (staff), typed-in details (manual), a person whose phone read out the code
   sent to it (phone: `phonecheck`, never from a device), or nobody (a vehicle).
5. **The person still exists** (`existing_people`; in SQL `person_exists_sql`): a token whose
   person was deleted (retention) is refused, 410 `person_gone`. Check-ins have no foreign key
   (migration 0003), so every path also holds deletes off while it stores (`storing.hold_deletes`;
   the fast statements take that lock by the table they write).
6. **The client-id replay** (`may_be_exit`; in SQL `replay_sql`, `NEW_CLIENT_ID`): a client id
   stored as a visit's entry id, or, for a scan that may be an exit, as its exit id, is a replay:
   the same request from the same caller gets the stored visit back (200,
   `reading.same_request`), anything else 409 `client_id_conflict` with nothing of it. A client id
   repeated within a batch is a replay of its first scan. Nothing is stored twice: the unique
   entry and exit ids hold it, also against a request storing the same id meanwhile.
7. **The usual stay** (`usual_end`; in SQL `usual_end_sql`): an entry with no exit scan yet ends
   at its time plus the checkpoint category's usual stay (`venues.services.usual_stay`, at most
   `MAX_STAY`), marked estimated (`t_out_auto`); `Checkin.t_out_max` starts at that end.
8. **Ending the previous visit** (`still_in`; in SQL `still_in_sql`): a new entry, here or
   elsewhere, ends at its time the visit its person was still in (estimated end after the entry,
   begun before it, hence at most `MAX_STAY` before), including the person's earlier entries of
   the same batch; `t_out_max` keeps its bound. A visit scanned out meanwhile keeps its exit.
9. **Exit matching and the 12-hour maximum stay** (`exit_ends`, `inside`): an exit ends the
   person's latest visit if it is at this checkpoint, not scanned out, and began at most
   `MAX_STAY` (12 hours) before, even after its usual stay (a long visit); the exit sets `t_out`
   and `t_out_max` to its time. Otherwise it is an exit with no entry on record: a visit of no
   length at that moment, not estimated. A scan with no direction is an exit only while the
   person is inside by the estimated end (`inside`), else an entry. General path only.
10. **The daily count** (`local_date`; in SQL `local_date_sql`, `count_sql`): each new visit (not
    an exit of a stored one, not a replay) adds one to `ScanDaily` for its checkpoint's commune
    and its local day (Asia/Ho_Chi_Minh), in the same transaction as the visit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from kiemdich.declarations.models import Person
from kiemdich.venues.models import MAX_STAY_MINUTES, SigningKey, Status
from kiemdich.venues.services import accepts_scans, usual_stay

from .models import Checkin, ScanDaily

IN, OUT = "in", "out"

#: How far ahead of the server's clock a device's scan time may be (phones drift). (Rule 3.)
CLOCK_SKEW = dt.timedelta(minutes=5)

#: The longest a visit lasts: an exit scan up to this long after the entry still ends it. (Rule 9.)
MAX_STAY = dt.timedelta(minutes=MAX_STAY_MINUTES)

#: Statuses in which a checkpoint accepts scans. (Rule 2.)
ACCEPTING = [status for status in Status.values if accepts_scans(status)]

#: What the fast statements name (table names from the models).
CHECKIN = Checkin._meta.db_table
DAILY = ScanDaily._meta.db_table
PERSON = Person._meta.db_table
KEY = SigningKey._meta.db_table


# Rule 1: the poster's key is live.


def live_key_sql(kid: str) -> str:
    """SQL: the key `kid` names is not retired (a key never stored is not retired either: the
    signature check has vouched for it)."""
    retired = f"{KEY}.kid = {kid} AND {KEY}.retired_at IS NOT NULL"
    return f"NOT EXISTS (SELECT 1 FROM {KEY} WHERE {retired})"  # noqa: S608


# Rule 2: the checkpoint accepts scans.


def accepting_sql(status: str) -> str:
    """SQL: the checkpoint status `status` accepts scans (the statuses are constants)."""
    return f"{status} IN ({', '.join(repr(str(s)) for s in ACCEPTING)})"


# Rule 5: the person still exists.


def existing_people(person_ids: Iterable[int]) -> set[int]:
    """Which of these people still exist (one query)."""
    return set(Person.objects.filter(pk__in=person_ids).values_list("pk", flat=True))


def person_exists_sql(person_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM {PERSON} WHERE {PERSON}.id = {person_id})"  # noqa: S608


# Rule 6: the client-id replay.


def may_be_exit(direction: str | None) -> bool:
    """Whether a scan sent with this direction may have its client id stored as an exit id: a
    replay repeats its request, so an entry's is looked for among entry ids only (one index
    probe per id, no OR)."""
    return direction != IN


def replay_sql(client_id: str) -> str:
    """SQL: an entry's client id is stored already."""
    return f"EXISTS (SELECT 1 FROM {CHECKIN} WHERE {CHECKIN}.client_id = {client_id})"  # noqa: S608


#: SQL: the insert of an entry whose client id another request stored meanwhile stores nothing.
NEW_CLIENT_ID = "ON CONFLICT (client_id) DO NOTHING"


# Rule 7: the usual stay.


def usual_end(at: dt.datetime, category: str) -> dt.datetime:
    """The estimated exit of an entry at `at` at a checkpoint of `category`."""
    return at + usual_stay(category)


def usual_end_sql(at: str, category: str) -> str:
    """SQL of `usual_end`; the statement binds `%(stays)s` to `venues.services.stay_minutes_json`,
    the same minutes `usual_stay` reads."""
    return f"{at} + make_interval(mins => (%(stays)s::text::jsonb ->> {category})::int)"


# Rule 8: ending the previous visit.


def still_in(visit, at: dt.datetime) -> bool:
    """Whether the person was still in `visit` (a Checkin or a batch's new visit) when they
    entered somewhere at `at`: then that entry ends it."""
    return visit.t_out_auto and at - MAX_STAY <= visit.t_in < at < visit.t_out


def still_in_sql(visit: str, at: str, since: str) -> str:
    """SQL of `still_in` for the rows of `visit`; `since` is a lower bound of their entry
    (at most `at` - MAX_STAY), which lets PostgreSQL and SQLite range over the (person, t_in)
    index. An estimated end is at most MAX_STAY after its entry, so no wider bound finds more."""
    return f"{visit}.t_in >= {since} AND {visit}.t_in < {at} AND {still_open_sql(visit, at)}"


def still_open_sql(visit: str, at: str) -> str:
    """SQL: `visit` still has an estimated end after `at`: checked again by the update that
    ends it, so a visit scanned out meanwhile keeps its exit."""
    return f"{visit}.t_out_auto AND {visit}.t_out > {at}"


# Rule 9: exit matching and the 12-hour maximum stay.


def exit_ends(visit, at: dt.datetime, venue_id: int) -> bool:
    """Whether an exit scanned at `venue_id` at `at` ends `visit`, the person's latest visit
    begun by then: at this checkpoint, not scanned out yet, begun at most MAX_STAY before, even
    if its usual stay is over (a long visit). An entry anywhere since would be the latest."""
    return visit.venue_id == venue_id and visit.t_out_auto and at - visit.t_in <= MAX_STAY


def inside(visit, at: dt.datetime) -> bool:
    """Whether a scan with no direction at `at` is the exit of `visit` (one `exit_ends`): while
    the person is in it by its estimated end. Only a scan said to be an exit ends a visit after
    its usual stay: someone back hours later is more likely a new visit than a long one."""
    return at < visit.t_out


# Rule 10: the daily count.


def local_date(moment: dt.datetime) -> dt.date:
    """The day a scan counts in: its local date (the current time zone, Asia/Ho_Chi_Minh)."""
    return timezone.localtime(moment).date()


def local_date_sql(moment: str) -> str:
    """SQL of `local_date`; the statement binds `%(tz)s` to `local_zone()`."""
    return f"({moment} AT TIME ZONE %(tz)s)::date"


def local_zone() -> str:
    return timezone.get_current_timezone_name()


def count_sql(rows: str) -> str:
    """SQL: add the scans of `rows` (commune_id, date, scans) to the daily counts, in commune
    and date order (two writers never wait for each other's rows: no deadlock)."""
    return (
        f"INSERT INTO {DAILY} (commune_id, date, scans) {rows} "
        f"ON CONFLICT (commune_id, date) DO UPDATE SET scans = {DAILY}.scans + EXCLUDED.scans"
    )
