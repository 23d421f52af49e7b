"""Recording cases and storing what a trace finds: the only code that writes tracing data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_see_unit
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_for_token, person_from_qr
from kiemdich.geo.models import Unit
from kiemdich.messaging.segments import SmsSegments, sms_segments
from kiemdich.messaging.services import as_delivered, queue, safe_sms_text
from kiemdich.messaging.tasks import send_outbox
from kiemdich.phones import normalize_phone
from kiemdich.venues.models import Venue
from kiemdich.venues.signing import InvalidPayload

from . import search
from .models import AFTER_CONFIRMATION, BEFORE_ONSET, Case, Contact, Evidence, Status


class CaseError(FieldError, ValueError):
    """A case that cannot be recorded as asked; `field` names what to fix (422 `invalid`)."""


#: The ways of naming a person, in the order `find_person` tries them.
LOOKUP_ORDER = ("person_token", "person_qr", "id_number", "phone")


def find_person(
    actor, *, person_token: str = "", phone: str = "", id_number: str = "", person_qr: str = ""
) -> Person:
    """The person a tracer means, by the first of these that is given.

    Phones and ID numbers are looked up among the people of the tracer's area only, so the
    answer is the same whether a number belongs to someone elsewhere or to nobody. A token or
    our signed QR is the person's own credential, shown by them: it names them wherever they
    live (and `record_case` then refuses someone outside the area)."""
    people = Person.objects.visible_to(actor)
    if person_token:
        person = person_for_token(person_token)
        if person is None:
            raise CaseError("person_token", _("This person token is not valid."))
        return person
    if person_qr:
        try:
            return person_from_qr(person_qr, people, create=False)  # no phantom people
        except InvalidPayload as exc:
            raise CaseError("person_qr", exc.message) from None
    if id_number:
        person = people.filter(id_number=id_number.strip()).order_by("-pk").first()
        if person is None:
            raise CaseError("id_number", _("Nobody in your area has declared with this ID number."))
        return person
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            raise CaseError("phone", exc.messages[0]) from None
        person = people.filter(phone=phone).order_by("-pk").first()
        if person is None:
            raise CaseError("phone", _("Nobody in your area has declared with this phone number."))
        return person
    raise CaseError("person", _("Give the person's token, phone, ID number or personal QR."))


def default_window(
    confirmed_at: dt.datetime, onset_at: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """From 2 days before onset (or the positive test) until a day after confirmation."""
    return (onset_at or confirmed_at) - BEFORE_ONSET, confirmed_at + AFTER_CONFIRMATION


@transaction.atomic
def record_case(
    actor,
    person: Person,
    confirmed_at: dt.datetime,
    onset_at: dt.datetime | None = None,
    infectious_from: dt.datetime | None = None,
    infectious_to: dt.datetime | None = None,
    *,
    field: str = "person",
) -> Case:
    """Store a confirmed case of `person`, in their commune (or the tracer's unit if they gave
    none). Checked before anything is written: the case's unit must lie in the tracer's area
    (`field` names the input that chose the person, for the refusal)."""
    now = timezone.now()
    unit = person.commune or getattr(actor, "unit", None) or Unit.objects.provinces().first()
    if not may_see_unit(actor, unit):
        raise CaseError(
            field,
            _("This person lives outside your area: the health centre there records the case."),
        )
    if confirmed_at > now + dt.timedelta(minutes=5):
        raise CaseError("confirmed_at", _("The confirmation date is in the future."))
    if onset_at and onset_at > confirmed_at + dt.timedelta(days=1):
        raise CaseError("onset_at", _("Symptom onset comes before confirmation."))
    start, end = default_window(confirmed_at, onset_at)
    start, end = infectious_from or start, infectious_to or end
    if end <= start:
        raise CaseError("infectious_to", _("The infectious window must end after it starts."))
    return Case.objects.create(
        person=person,
        unit=unit,
        confirmed_at=confirmed_at,
        onset_at=onset_at,
        infectious_from=start,
        infectious_to=end,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def open_case(
    actor,
    *,
    confirmed_at: dt.datetime,
    onset_at: dt.datetime | None = None,
    infectious_from: dt.datetime | None = None,
    infectious_to: dt.datetime | None = None,
    degree: int = 1,
    **who: str,
) -> tuple[Case, TraceReport]:
    """Record a case from what the tracer typed or scanned (`who`: person_token, phone,
    id_number or person_qr; see `find_person`) and trace it at once: the page and the API."""
    person = find_person(actor, **who)
    used = next((name for name in LOOKUP_ORDER if who.get(name)), "person")
    case = record_case(
        actor, person, confirmed_at, onset_at, infectious_from, infectious_to, field=used
    )
    return case, trace_case(case, degree)


@dataclass
class TraceReport:
    f1: int
    f2: int
    crowds: list[search.Crowd]


@transaction.atomic
def trace_case(
    case: Case, degree: int = 1, rules: search.Rules = search.DEFAULT_RULES, now=None
) -> TraceReport:
    """Find the case's F1 (and F2) and store them; a contact already worked on keeps its status
    and notes, and its evidence follows the strongest link found now."""
    now = now or timezone.now()
    found, crowds = search.trace(
        case.person_id, case.infectious_from, case.infectious_to, now, degree, rules
    )
    people = Person.objects.in_bulk(list(found))
    venues = Venue.objects.in_bulk({link.venue_id for _d, link in found.values()})
    existing = {c.person_id: c for c in case.contacts.all()}
    new, changed = [], []
    for person_id, (level, link) in found.items():
        contact = existing.get(person_id) or Contact(case=case, person_id=person_id)
        contact.degree = level
        contact.source_id = link.source_id
        contact.venue_id = link.venue_id
        contact.evidence = Evidence.QR
        contact.overlap_from, contact.overlap_to = link.start, link.end
        contact.commune_id = people[person_id].commune_id or venues[link.venue_id].commune_id
        (changed if contact.pk else new).append(contact)
    Contact.objects.bulk_create(new, batch_size=1000)
    Contact.objects.bulk_update(
        changed,
        ["degree", "source", "venue", "evidence", "overlap_from", "overlap_to", "commune"],
        batch_size=500,
    )
    case.traced_at = now
    case.save(update_fields=["traced_at"])
    levels = [level for level, _link in found.values()]
    return TraceReport(f1=levels.count(1), f2=levels.count(2), crowds=crowds)


@transaction.atomic
def add_bluetooth_contact(
    case: Case, person: Person, start: dt.datetime, end: dt.datetime
) -> Contact | None:
    """List `person` as an F1 of `case` found by Bluetooth (proximity: the case consented to
    link its keys, and the person's phone that heard them chose to say so). Someone listed
    already (by scans, or an earlier report) keeps their entry: returns None."""
    if person.pk == case.person_id or case.contacts.filter(person=person).exists():
        return None
    return Contact.objects.create(
        case=case,
        person=person,
        degree=1,
        source_id=case.person_id,
        venue=None,
        evidence=Evidence.BLUETOOTH,
        overlap_from=start,
        overlap_to=end,
        commune=person.commune or case.unit,
    )


@transaction.atomic
def update_contact(actor, contact: Contact, status: str | None, notes: str | None) -> Case | None:
    """Record a tracer's follow-up. A contact who tests positive becomes a case of their own
    (returned), whose contacts can then be traced in turn."""
    if notes is not None:
        contact.notes = notes
    became = None
    if status is not None and status != contact.status:
        contact.status = status
        if status == Status.POSITIVE and not Case.objects.filter(person=contact.person).exists():
            became = record_case(actor, contact.person, timezone.now())
    contact.save()
    return became


def unwarned(case: Case):
    """The case's contacts the warning would go to: not warned yet, with a phone."""
    return (
        case.contacts.filter(notified_at__isnull=True)
        .exclude(person__phone="")
        .select_related("person", "venue")
        .order_by("pk")
    )


def warning_text(contact: Contact) -> str:
    """The SMS one contact gets, in Vietnamese (the people warned read Vietnamese): where and
    when they were near the case, and what to do."""
    at = timezone.localtime(contact.overlap_from)
    with translation.override("vi"):
        if contact.venue_id is None:
            return _(
                "Your phone was near a COVID-19 case's phone for a while on %(date)s around "
                "%(time)s. Watch your health, limit contacts, and call your commune health "
                "station or 1022 for advice."
            ) % {"date": f"{at:%d/%m}", "time": f"{at:%H:%M}"}
        return _(
            "You may have been in close contact with a COVID-19 case at %(venue)s on "
            "%(date)s around %(time)s. Watch your health, limit contacts, and call your "
            "commune health station or 1022 for advice."
        ) % {
            "venue": safe_sms_text(contact.venue.name),
            "date": f"{at:%d/%m}",
            "time": f"{at:%H:%M}",
        }


@dataclass(frozen=True)
class WarningPreview:
    """What warning a case's contacts will do, shown before a tracer confirms it: the SMS
    cannot be called back, and each costs money."""

    #: Contacts who will get the SMS (not warned yet, with a phone).
    recipients: int
    #: Contacts not warned yet who have no phone: the tracer must call at their door.
    without_phone: int
    #: The first recipient's SMS as it arrives (the others differ in place and time).
    sample: str
    #: What the sample costs as an SMS.
    segments: SmsSegments
    #: SMS billed for all recipients, each text counted on its own.
    total_sms: int


def preview_warning(case: Case) -> WarningPreview:
    """What `notify_contacts` would send now, sending nothing."""
    texts = [as_delivered(warning_text(contact)) for contact in unwarned(case)]
    without_phone = case.contacts.filter(notified_at__isnull=True, person__phone="").count()
    return WarningPreview(
        recipients=len(texts),
        without_phone=without_phone,
        sample=texts[0] if texts else "",
        segments=sms_segments(texts[0] if texts else ""),
        total_sms=sum(sms_segments(text).parts for text in texts),
    )


class WarningChanged(DomainError):
    """The contacts to warn are no longer those the tracer confirmed (a new trace, another
    tracer's warning): nothing is sent, the preview is shown again (409 `recipients_changed`)."""

    def __init__(self, confirmed: int, now: int) -> None:
        super().__init__(
            409,
            "recipients_changed",
            _(
                "The list changed since you looked: %(now)d contacts would get the SMS now, "
                "not %(confirmed)d. Check again and confirm."
            )
            % {"now": now, "confirmed": confirmed},
        )


def notify_contacts(case: Case, confirmed_recipients: int) -> list[int]:
    """Queue one warning SMS per contact not yet notified, once the tracer has seen
    `preview_warning` and confirmed its number of recipients (each contact is warned once, even
    if two tracers press the button), then let the outbox send them. Returns the people warned."""
    now = timezone.now()
    with transaction.atomic():
        # One tracer at a time per case: the second sees the first's warnings and a new count.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        contacts = list(unwarned(case))
        if len(contacts) != confirmed_recipients:
            raise WarningChanged(confirmed_recipients, len(contacts))
        for contact in contacts:
            queue(
                f"contact:{case.pk}:{contact.person_id}",
                contact.person.phone,
                warning_text(contact),
            )
            contact.notified_at = now
        Contact.objects.bulk_update(contacts, ["notified_at"])
    if contacts:
        send_outbox.enqueue()
    return [contact.person_id for contact in contacts]
