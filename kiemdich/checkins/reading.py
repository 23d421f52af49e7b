"""Reading a scan and refusing it: what a device sent, checked before anything is stored.

The poster (signature, retired key, checkpoint status), the scan time, who is scanned and
whether the caller may scan them, whether the person still exists, and whether the client id
was stored before (a replay, or a conflict). What is left is a list of accepted scans in time
order for `storing`. The rules themselves are listed in `rules`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, replace

from django.conf import settings
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
from kiemdich.venues.models import Venue
from kiemdich.venues.services import NOT_SCANNING
from kiemdich.venues.signing import GONE, InvalidPayload

from .models import Checkin, Method
from .rules import CLOCK_SKEW, IN, OUT, accepts_scans, existing_people, may_be_exit

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
    #: A person the server itself identified for staff, never a value a device sends: a phone
    #: whose holder read out the code sent to it (checkins.phonecheck).
    confirmed_person: int | None = None


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
class Item:
    """An accepted scan: its checkpoint, time and person known, for `storing` to apply."""

    index: int
    scan: Scan
    at: dt.datetime
    venue: Venue
    person_id: int | None
    method: str
    person: Person | None = None
    shown: Shown | None = None


def refused_payload(exc: InvalidPayload) -> ScanRefused:
    return ScanRefused(410 if exc.gone else 400, exc.code, exc.message)


def venue_payload(text: str) -> str:
    """The payload in a scanned poster URL (`https://host/c/<payload>`), or the text itself."""
    match = _VENUE_URL.search(text or "")
    return match.group(1) if match else (text or "").strip()


@dataclass(frozen=True)
class Accepted:
    """The scan times accepted now: from the start of the retention period to a little ahead
    of the server's clock. Worked out once per request, not once per scan of a batch."""

    now: dt.datetime
    oldest: dt.datetime
    latest: dt.datetime

    @classmethod
    def at(cls, now: dt.datetime) -> Accepted:
        return cls(now, now - dt.timedelta(days=settings.RETENTION_DAYS), now + CLOCK_SKEW)


def scan_time(scan: Scan, accepted: Accepted) -> dt.datetime:
    """The scan's time in UTC, or why it is refused (rule 3)."""
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


def identify(scan: Scan, actor, staff: bool) -> tuple[int | None, Person | None, str, Shown | None]:
    """(person id, person if looked up, method, what a scanner may show) for a scan. Scanning
    someone else needs `staff`: `actor` may scan others at this checkpoint (accounts.access);
    nobody is looked up or stored before that is known."""
    given = [
        bool(scan.person_token),
        bool(scan.person_qr),
        scan.person is not None,
        scan.confirmed_person is not None,
    ]
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
    if scan.confirmed_person is not None:
        person = Person.objects.filter(pk=scan.confirmed_person).first()
        if person is None:
            raise person_gone()
        return person.pk, person, Method.PHONE, shown_of_person(person)
    return None, None, Method.STAFF, None


def shown_of_person(person: Person) -> Shown:
    """What a scanner shows of someone whose phone confirmed the code: what they declared
    (masked), since holding the phone is what they presented."""
    return Shown.of(person.full_name, person.birth_year, person.gender)


def presented(scan: Scan) -> Shown | None:
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
    if scan.confirmed_person is not None:
        person = Person.objects.filter(pk=scan.confirmed_person).first()
        return shown_of_person(person) if person is not None else None
    return None


def venues_of(items: list[tuple[int, Scan]]) -> dict[int, Venue | ScanRefused]:
    """The venue of each scan (by index), verified and open for scans (rules 1 and 2), in two
    queries (the retired keys among the scans' keys, then the venues)."""
    found = venue_ids(items)
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
        elif not accepts_scans(venue.status):
            code, message = NOT_SCANNING[venue.status]
            result[index] = ScanRefused(410 if code in GONE else 409, code, str(message))
        else:
            result[index] = venue
    return result


def venue_ids(items: list[tuple[int, Scan]]) -> dict[int, int | ScanRefused]:
    """The checkpoint id each scan's poster names (by index), or why the poster is refused:
    signatures checked here, retired keys in one query for all of them (rule 1)."""
    found: dict[int, int | ScanRefused] = {}
    kids: dict[int, str] = {}
    for index, scan in items:
        try:
            verified = signing.verify(venue_payload(scan.venue), retired_checked=True)
        except InvalidPayload as exc:
            found[index] = refused_payload(exc)
        else:
            found[index], kids[index] = verified.number, verified.kid
    retired = signing.retired_kids(set(kids.values()))
    for index, kid in kids.items():
        if kid in retired:
            found[index] = refused_payload(
                InvalidPayload("key_retired", signing.refusal("key_retired"))
            )
    return found


def staff_venues(
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


def stored_direction(checkin: Checkin) -> str:
    """How a check-in found by its (entry) client id was scanned: an exit with no entry on
    record is stored as a visit of no length, never estimated, with no exit id of its own."""
    return OUT if not checkin.t_out_auto and checkin.client_id_out is None else IN


def stored(status: int, direction: str, checkin: Checkin) -> Recorded:
    """A stored scan's answer. It shows nobody: what is stored for an ID number must never
    reach a scanner (an ID-number lookup); a replay shows what its own request presents."""
    return Recorded(status, direction, checkin, checkin.person, None)


def replays(scans: list[Scan]) -> dict[uuid.UUID, Recorded]:
    """Scans stored before under their client id (rule 6): by entry id, and by exit id for the
    scans that may be exits."""
    found: dict[uuid.UUID, Recorded] = {}
    visits = Checkin.objects.select_related("venue", "person").order_by()
    for checkin in visits.filter(client_id__in=[s.client_id for s in scans]):
        found[checkin.client_id] = stored(200, stored_direction(checkin), checkin)
    exits = [s.client_id for s in scans if may_be_exit(s.direction)]
    if exits:
        for checkin in visits.filter(client_id_out__in=exits):
            found[checkin.client_id_out] = stored(200, OUT, checkin)
    return found


def same_request(scan: Scan, stored: Recorded, venue_id: int, actor, staff: set[int]) -> bool:
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
    staff_given = scan.person_qr or scan.person is not None or scan.confirmed_person is not None
    if staff_given and checkin.method == Method.SELF:
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
    if scan.confirmed_person is not None:
        return checkin.method == Method.PHONE and checkin.person_id == scan.confirmed_person
    return checkin.person_id is None


def conflict() -> ScanRefused:
    """The answer to a client id reused for another scan or by another caller: nothing of it."""
    return ScanRefused(
        409,
        "client_id_conflict",
        _("This client_id was already used for another scan. Make a new one for each scan."),
    )


def person_gone() -> ScanRefused:
    """The answer to the token of a person deleted since (rule 5)."""
    return ScanRefused(
        410,
        "person_gone",
        _("This phone's declaration was deleted after the retention period. Declare again."),
    )


@dataclass
class Reading:
    """A batch read: a result for each replayed or refused scan (None for the others, still to
    be stored), the accepted scans in time order, and the first scan of each client id."""

    results: list[Recorded | ScanRefused | None]
    accepted: list[Item]
    first: dict[uuid.UUID, int]


def read_scans(scans: list[Scan], actor) -> Reading:
    """Check a batch of scans, in a few queries for all of them, before any is stored: replays
    answered, refusals given, the rest accepted. Runs inside the transaction that stores them,
    after `storing.hold_deletes`, so that the people found here still exist when stored."""
    accepted = Accepted.at(timezone.now())
    results: list[Recorded | ScanRefused | None] = [None] * len(scans)
    stored_before = replays(scans)
    first: dict[uuid.UUID, int] = {}
    pending: list[tuple[int, Scan]] = []
    replayed: list[tuple[int, Scan]] = []
    for index, scan in enumerate(scans):
        if scan.client_id in stored_before:
            replayed.append((index, scan))
        elif scan.client_id in first:
            continue  # answered as the first scan with this id is (services.record_scans)
        else:
            first[scan.client_id] = index
            pending.append((index, scan))
    venues = venues_of(pending)
    replay_venues = venue_ids(replayed)
    staff = staff_venues(actor, pending, venues, replay_venues)
    for index, scan in replayed:
        venue_id = replay_venues[index]
        if isinstance(venue_id, ScanRefused):
            results[index] = venue_id
        elif same_request(scan, stored_before[scan.client_id], venue_id, actor, staff):
            results[index] = replace(stored_before[scan.client_id], shown=presented(scan))
        else:
            results[index] = conflict()
    items: list[Item] = []
    token_people: set[int] = set()
    for index, scan in pending:
        try:
            if scan.direction not in (None, IN, OUT):
                raise ScanRefused(422, "invalid", _("direction is 'in' or 'out'."))
            at = scan_time(scan, accepted)
            venue = venues[index]
            if isinstance(venue, ScanRefused):
                raise venue
            person_id, person, method, shown = identify(scan, actor, venue.pk in staff)
        except ScanRefused as exc:
            results[index] = exc
            continue
        except InvalidPayload as exc:
            results[index] = refused_payload(exc)
            continue
        if method == Method.SELF:
            token_people.add(person_id)
        items.append(Item(index, scan, at, venue, person_id, method, person, shown))
    existing = existing_people(token_people)
    kept = []
    for item in items:
        if item.method == Method.SELF and item.person_id not in existing:
            results[item.index] = person_gone()
        else:
            kept.append(item)
    kept.sort(key=lambda i: i.at)
    return Reading(results, kept, first)
