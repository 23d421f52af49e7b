"""Checking in a visitor without a smartphone by their phone number, as the 2021 systems did:
staff type the number, a code goes to that phone through the outbox, the visitor reads it out,
and they are checked in with the declaration they made before (seed 004: the information of
people without a device "must reach the system at once and complete").

What the staff learn, and when:

- **Asking for a code** answers the same whatever the number: "if this phone has a health
  declaration, a code was sent to it". A code goes out only if someone declared with that
  phone, but the page, the status and the rows written are the same either way. Saying "no
  declaration for this phone" instead would turn the page into a way to find out whether a
  number is in the system (who declared, so who was in the province) for anyone with a staff
  account, one guess at a time; only the phone's holder learns whether a code came, and a
  visitor whose phone gets none is typed in as anyone else (the scanner page). The SMS itself
  is handed to the sender by the task worker once the request has committed (`send_outbox`), so
  in production a known phone does not make the answer wait for the gateway.
- **Nothing about the phone's people** (name, birth year, declaration) is shown before the code
  is confirmed; after it, only what a scanner shows (the name masked, birth year, gender) and
  the latest declaration's time and whether it reports a symptom, a contact or a trip. Each of
  those reads is audit-logged by the page or API call that shows it.
- A code lasts `CODE_MINUTES`, allows `MAX_ATTEMPTS` wrong tries, is kept only as a hash, and
  belongs to the staff account that asked for it (accounts.access: another account's check is a
  404). Asking is rate-limited per staff account and per phone number (`phone-code`,
  `phone-code-phone` in settings.RATELIMITS), so one phone cannot be flooded with SMS.

The scans go through the one scan writer (`services.record_scans`) as staff scans of a person
the server itself identified (`Scan.confirmed_person`, method `phone`), with client ids derived
from the check's own, so a resent form is a replay and never a second visit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kiemdich.accounts.access import may_scan_at, visible
from kiemdich.accounts.audit import Read
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.declarations.models import Declaration, Person
from kiemdich.declarations.services import Shown
from kiemdich.messaging.services import queue, safe_sms_text
from kiemdich.messaging.tasks import send_outbox
from kiemdich.phones import normalize_phone
from kiemdich.venues import signing
from kiemdich.venues.models import Venue
from kiemdich.venues.services import NOT_SCANNING, accepts_scans

from .models import PhoneCheck
from .reading import Recorded, Scan, ScanRefused, shown_of_person
from .rules import IN, OUT

#: How long a code may be typed in, and how long after it the staff may pick who is checked in.
CODE_MINUTES = 5
#: Wrong codes before a check is spent (a new code is then needed): a six-digit code guessed in
#: five tries is a chance of one in 200,000, and asking again is rate-limited per phone.
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
#: Most people one phone checks in at once (a household: MAX_FAMILY of declarations).
MAX_PEOPLE = 10
_HASH_SALT = "kiemdich.checkins.phonecheck"
SOURCE_APP = "phone-code"


class NotFound(DomainError):
    """Another staff account's check, or none: the same 404."""

    def __init__(self) -> None:
        super().__init__(404, "not_found", _("Not found."))


class NotStaff(DomainError):
    def __init__(self) -> None:
        message = _("Only the checkpoint's staff and officials may scan here.")
        super().__init__(403, "forbidden", message)


class CodeExpired(DomainError):
    def __init__(self) -> None:
        message = _("The code has expired. Send a new code to the visitor's phone.")
        super().__init__(410, "code_expired", message)


class CodeSpent(DomainError):
    def __init__(self) -> None:
        message = _("Too many wrong codes. Send a new code to the visitor's phone.")
        super().__init__(410, "code_spent", message)


class WrongCode(FieldError):
    def __init__(self, left: int) -> None:
        message = ngettext(
            "That is not the code sent to this phone. %(left)d try left.",
            "That is not the code sent to this phone. %(left)d tries left.",
            left,
        ) % {"left": left}
        super().__init__("code", message)
        self.left = left


class NotConfirmed(DomainError):
    def __init__(self) -> None:
        message = _("Type the code the visitor received first.")
        super().__init__(409, "not_confirmed", message)


class NoDeclaration(DomainError):
    """The code was right but nobody has a declaration with the phone any more (deleted by the
    retention purge since the code went out)."""

    def __init__(self) -> None:
        message = _("No health declaration is kept for this phone: type the visitor in.")
        super().__init__(409, "no_declaration", message)


@dataclass(frozen=True)
class Candidate:
    """Someone who declared with the phone, as staff may see them once the code is confirmed."""

    person: Person
    declaration: Declaration

    @property
    def shown(self) -> Shown:
        return shown_of_person(self.person)


@dataclass
class Outcome:
    """Where a check stands: the people to pick among (a phone a family shares), or the scans
    stored (201) or stored before (200), each with the declaration they were checked in with."""

    check: PhoneCheck
    people: list[Candidate] = field(default_factory=list)
    recorded: list[Recorded] = field(default_factory=list)
    declarations: dict[int, Declaration] = field(default_factory=dict)


def _hash(check: PhoneCheck, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{check.client_id}:{code}", algorithm="sha256").hexdigest()


def code_text(code: str, venue: Venue) -> str:
    """The SMS, in Vietnamese: the code, where it is for (so a code asked for elsewhere is not
    given away), that only the staff in front of them should get it, and for how long."""
    with translation.override("vi"):
        return _(
            "%(code)s is your check-in code at %(venue)s. Give it only to the staff in front "
            "of you. Valid for %(minutes)d minutes."
        ) % {
            "code": code,
            "venue": safe_sms_text(venue.name, max_length=40),
            "minutes": CODE_MINUTES,
        }


def clean_phone(phone: str) -> str:
    """The phone in E.164, or a 422 on `phone` saying why not."""
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise FieldError("phone", exc.messages[0]) from None


def _venue_for(actor, venue_id: int) -> Venue:
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        raise NotFound()
    if not may_scan_at(actor, venue):
        raise NotStaff()
    if not accepts_scans(venue.status):
        code, message = NOT_SCANNING[venue.status]
        raise ScanRefused(410 if code in signing.GONE else 409, code, str(message))
    return venue


def latest_declarations(person_ids: list[int]) -> dict[int, Declaration]:
    """Each person's latest declaration, by person id (people without one are left out)."""
    latest: dict[int, Declaration] = {}
    for declaration in Declaration.objects.filter(person_id__in=person_ids).order_by(
        "person_id", "-created_at", "-pk"
    ):
        latest.setdefault(declaration.person_id, declaration)
    return latest


def candidates(phone: str) -> list[Candidate]:
    """People whose latest details carry this phone and who have a declaration, the latest
    declared first (a mother and the children she declared for may share one phone)."""
    people = list(
        Person.objects.filter(phone=phone, declarations__isnull=False)
        .annotate(latest=Max("declarations__created_at"))
        .order_by("-latest", "-pk")[:MAX_PEOPLE]
    )
    latest = latest_declarations([person.pk for person in people])
    return [Candidate(person, latest[person.pk]) for person in people if person.pk in latest]


@transaction.atomic
def start(actor, venue_id: int, phone: str) -> PhoneCheck:
    """Ask for a code for `phone` at this checkpoint: a check that `actor` alone may complete,
    and an SMS through the outbox if someone declared with the phone (see the module's
    docstring for why the answer is the same either way)."""
    venue = _venue_for(actor, venue_id)
    phone = clean_phone(phone)
    now = timezone.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    check = PhoneCheck(
        client_id=uuid.uuid4(),
        venue=venue,
        staff=actor,
        phone=phone,
        expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
    )
    check.code_hash = _hash(check, code)
    check.sent = Person.objects.filter(phone=phone, declarations__isnull=False).exists()
    check.save()
    if check.sent:
        queue(f"phone-code:{check.pk}", phone, code_text(code, venue))
        transaction.on_commit(send_outbox.enqueue)
    return check


def _locked(actor, check_id: int) -> PhoneCheck:
    check = visible(PhoneCheck.objects.select_for_update(), actor).filter(pk=check_id).first()
    if check is None:
        raise NotFound()
    return check


def confirm(actor, check_id: int, code: str, direction: str | None = None) -> Outcome:
    """The code the visitor read out. Right: the phone's one person is checked in at once
    (`direction` as on the scanner: in, out, or None for exit-if-inside), or the phone's people
    are returned to pick from. Wrong: a 422 on `code` with the tries left (the try is counted
    whatever happens next); expired or spent: a new code is needed."""
    code = "".join((code or "").split())
    refusal: DomainError | None = None
    with transaction.atomic():
        check = _locked(actor, check_id)
        if check.done_at is not None:
            return _replayed(actor, check)
        if check.confirmed_at is None:
            now = timezone.now()
            if check.attempts >= MAX_ATTEMPTS:
                raise CodeSpent()
            if now >= check.expires_at:
                raise CodeExpired()
            if not (code.isdigit() and constant_time_compare(_hash(check, code), check.code_hash)):
                check.attempts += 1
                check.save(update_fields=["attempts"])
                left = MAX_ATTEMPTS - check.attempts
                refusal = WrongCode(left) if left else CodeSpent()
            else:
                check.confirmed_at = now
                check.save(update_fields=["confirmed_at"])
    if refusal is not None:  # raised once the wrong try is stored
        raise refusal
    people = candidates(check.phone)
    if not people:
        _finish(check, [])
        raise NoDeclaration()
    if len(people) == 1:
        return check_in(actor, check.pk, [people[0].person.pk], direction)
    return Outcome(check, people=people)


def _scan(check: PhoneCheck, person_id: int, direction: str | None) -> Scan:
    return Scan(
        client_id=uuid.uuid5(check.client_id, str(person_id)),
        venue=signing.sign(check.venue_id),
        direction=direction,
        confirmed_person=person_id,
        source_app=SOURCE_APP,
    )


def _finish(check: PhoneCheck, person_ids: list[int]) -> None:
    PhoneCheck.objects.filter(pk=check.pk).update(done_at=timezone.now(), checked_in=person_ids)


def _outcome(check: PhoneCheck, recorded: list[Recorded]) -> Outcome:
    ids = [r.person.pk for r in recorded if r.person is not None]
    return Outcome(check, recorded=recorded, declarations=latest_declarations(ids))


def _replayed(actor, check: PhoneCheck) -> Outcome:
    """A finished check asked again (a double tap, the form resent): the scans it stored, as
    the writer answers their replays (200), nothing stored again."""
    from .services import record_scans

    if not check.checked_in:
        raise NoDeclaration()
    results = record_scans([_scan(check, pid, None) for pid in check.checked_in], actor)
    return _outcome(check, [r for r in results if isinstance(r, Recorded)])


def check_in(actor, check_id: int, person_ids: list[int], direction: str | None = None) -> Outcome:
    """Check in the people picked among the confirmed phone's (`candidates`), through the one
    scan writer. A check checks people in once: asked again, it answers what it stored."""
    from .services import record_scans

    if direction not in (None, IN, OUT):
        raise FieldError("direction", _("direction is 'in' or 'out'."))
    with transaction.atomic():
        check = _locked(actor, check_id)
        if check.done_at is not None:
            return _replayed(actor, check)
        if check.confirmed_at is None:
            raise NotConfirmed()
        if timezone.now() >= check.confirmed_at + dt.timedelta(minutes=CODE_MINUTES):
            raise CodeExpired()
        allowed = {c.person.pk for c in candidates(check.phone)}
        picked = list(dict.fromkeys(person_ids))
        if not picked:
            raise FieldError("person_ids", _("Pick who is at the checkpoint."))
        if not set(picked) <= allowed:
            raise FieldError("person_ids", _("Pick among the people of this phone."))
        results = record_scans([_scan(check, pid, direction) for pid in picked], actor)
        recorded = [r for r in results if isinstance(r, Recorded)]
        if not recorded:
            raise next(r for r in results if isinstance(r, ScanRefused))
        _finish(check, [r.person.pk for r in recorded if r.person is not None])
    return _outcome(check, recorded)


def reads(outcome: Outcome, venue: Venue) -> list[Read]:
    """The read to log when a page or API call shows an outcome: the people of the phone shown
    to staff once the code was confirmed (to pick among, or checked in), in one record."""
    shown = [c.person.pk for c in outcome.people]
    shown += [r.person.pk for r in outcome.recorded if r.person is not None]
    if not shown:
        return []
    subject = "people" if len(set(shown)) > 1 else "person"
    return [
        Read(
            f"{subject} {', '.join(map(str, dict.fromkeys(shown)))} confirmed by phone code "
            f"at checkpoint {venue.pk}",
            subjects=shown,
            unit=venue.commune_id,
            reason="check-in by phone code",
            action="scan",
        )
    ]
