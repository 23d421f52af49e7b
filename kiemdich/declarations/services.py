"""Declaring, correcting, and recognising people: by their phone's token, their personal QR, an
ID-card QR, or the name and phone staff type in. The only code that writes people and declarations.

Two different secrets, on purpose:
- the **person token** (`123:<HMAC>`) stays on the person's phone (a cookie or an app's storage)
  and lets that phone check in, see and correct its own declarations; it is never printed;
- the **personal QR** (`/p/<id>.<kid>.<Ed25519>`) is shown to staff and only identifies the person
  for a scan. Photographing it does not let anyone read the person's declarations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache

import segno
from django.conf import settings
from django.core import signing as django_signing
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Max, QuerySet
from django.dispatch import receiver
from django.utils.encoding import force_bytes
from django.utils.translation import gettext as _

from kiemdich.core.errors import DomainError
from kiemdich.phones import normalize_phone
from kiemdich.venues import signing
from kiemdich.venues.signing import InvalidPayload

from .idqr import IdCard, parse_id_qr
from .models import Declaration, Person
from .validators import clean_id_number, clean_name

_TOKEN_SALT = "kiemdich.person-token"  # noqa: S105 (a namespace, not a secret)
_PERSON_URL = re.compile(r"/p/([^/?#\s]+)")
#: Person fields copied from each declaration: "a later declaration updates the last one".
PERSON_FIELDS = (
    "full_name",
    "birth_year",
    "gender",
    "nationality",
    "id_number",
    "phone",
    "commune",
    "address",
)


# Tokens and personal QR codes


def person_token(person: Person) -> str:
    return django_signing.Signer(salt=_TOKEN_SALT).sign(str(person.pk))


@lru_cache(maxsize=1)
def _token_keys() -> tuple[bytes, ...]:
    """The HMAC keys `Signer` derives from each secret key for the tokens' salt."""
    salt = (_TOKEN_SALT + "signer").encode()
    # As Signer: an empty fallback stands for SECRET_KEY (`key or self.key`), and keys may be
    # bytes.
    secrets = (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    return tuple(
        hashlib.sha256(salt + force_bytes(secret or settings.SECRET_KEY)).digest()
        for secret in secrets
    )


@receiver(setting_changed)
def _forget_token_keys(*, setting: str, **kwargs) -> None:
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        _token_keys.cache_clear()


def person_id_from_token(token: str) -> int:
    """The person a phone's token stands for, without a database query (scans are hot).

    Checks the token as `Signer(salt=_TOKEN_SALT).unsign` would (tests hold the two to the same
    answers), with the keys derived once per secret: `unsign` derives them again for every token,
    which was about a tenth of the server's time on a 1,000-scan batch (bench/)."""
    value, sep, signature = (token or "").rpartition(":")
    if sep and value.isascii() and value.isdigit() and signature.isascii():
        message, given = value.encode(), signature.encode()
        for key in _token_keys():
            expected = base64.urlsafe_b64encode(hmac.digest(key, message, "sha256"))
            if hmac.compare_digest(expected.rstrip(b"="), given):
                return int(value)
    raise InvalidPayload(
        "bad_token",
        _("This phone's declaration is not recognised. Please declare again."),
    )


def person_for_token(token: str | None) -> Person | None:
    """The person behind a token, or None if there is no (valid, still existing) one."""
    if not token:
        return None
    try:
        return Person.objects.filter(pk=person_id_from_token(token)).first()
    except InvalidPayload:
        return None


def personal_qr_url(person: Person) -> str:
    payload = signing.sign(person.pk, kind=signing.PERSON)
    return signing.qr_url(payload, kind=signing.PERSON)


def personal_qr_svg(person: Person) -> str:
    """The personal QR as inline SVG, for every page that shows it (one's own page, the start
    page): nothing more to download on a slow connection."""
    qr = segno.make(personal_qr_url(person), error="m")
    return qr.svg_inline(scale=4, border=2)


def refuse_too_long(values: dict, *, in_qr: bool) -> None:
    """Refuse (InvalidPayload "too_long", naming the field) any text longer than its `Person`
    column: the one length rule for every way a person is identified without a form (scanned
    QR codes, typed-in visitors). PostgreSQL would fail the whole request on such a value
    (a 500, or a whole batch lost); SQLite would store it longer than the model allows."""
    for field, value in values.items():
        limit = getattr(Person._meta.get_field(field), "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            params = {"field": field, "limit": limit}
            message = (
                _("%(field)s in the QR is longer than %(limit)s characters.")
                if in_qr
                else _("%(field)s is longer than %(limit)s characters.")
            )
            raise InvalidPayload("too_long", message % params)


@dataclass(frozen=True)
class Shown:
    """What a scanner screen shows of a visitor: masked, and only what the visitor presented
    (the card's own name, not the one stored for its number), so a scan answer never tells
    staff what the system holds about an ID number."""

    name: str
    birth_year: int | None
    gender: str

    @classmethod
    def of(cls, full_name: str, birth_year: int | None, gender: str) -> Shown:
        return cls(masked_name(full_name), birth_year, gender)


def read_qr(text: str) -> Person | IdCard:
    """The person whose signed personal QR this is (a credential they show), or the ID card
    (CCCD or 1405) it holds, not yet looked up."""
    text = (text or "").strip()
    match = _PERSON_URL.search(text)
    if match or (text.count(".") == 2 and "|" not in text):
        verified = signing.verify(match.group(1) if match else text, kind=signing.PERSON)
        person = Person.objects.filter(pk=verified.number).first()
        if person is None:
            raise InvalidPayload(
                "person_gone",
                _("This personal code is no longer valid (its data was deleted). Declare again."),
            )
        return person
    card = parse_id_qr(text)
    if card is None:
        raise InvalidPayload(
            "unknown_qr",
            _("This QR code is not a personal code, an ID card or a checkpoint poster."),
        )
    refuse_too_long(asdict(card), in_qr=True)
    return card


def shown_of_qr(text: str) -> Shown:
    """What a scanner screen shows for this QR: the card's own details, never those stored
    for its number, so answering a resent scan looks nobody up."""
    read = read_qr(text)
    return Shown.of(read.full_name, read.birth_year, read.gender)


def identify_qr(
    text: str, people: QuerySet[Person] | None = None, *, create: bool = True
) -> tuple[Person, Shown]:
    """The person a staff scanner read, and what the screen may show of them: our signed QR
    (a credential the person shows), else an ID-card or 1405 QR, whose number is looked up
    among `people` (everyone by default) and stored as a new person if not found there."""
    read = read_qr(text)
    shown = Shown.of(read.full_name, read.birth_year, read.gender)
    if isinstance(read, Person):
        return read, shown
    people = Person.objects.all() if people is None else people
    person = people.filter(id_number=read.id_number).order_by("-pk").first()
    if person is None and not create:
        raise InvalidPayload("unknown_person", _("Nobody in your area has declared with this ID."))
    if person is None:
        person = Person.objects.create(
            full_name=read.full_name,
            birth_year=read.birth_year,
            gender=read.gender,
            id_number=read.id_number,
            entered_by_staff=True,
        )
    return person, shown


def person_from_qr(
    text: str, people: QuerySet[Person] | None = None, *, create: bool = True
) -> Person:
    """The person a staff scanner read (see `identify_qr`); `create=False` looks only."""
    return identify_qr(text, people, create=create)[0]


def same_details(person: Person, full_name: str, phone: str) -> bool:
    """Do these typed-in details name `person` (what `person_from_details` matches on)?"""
    try:
        return person.phone == normalize_phone(phone) and (
            person.full_name.casefold() == clean_name(full_name).casefold()
        )
    except ValidationError:
        return False


def person_from_details(full_name: str, phone: str, id_number: str = "") -> Person:
    """A visitor staff typed in: the same person as before if the phone and name match."""
    try:
        name = clean_name(full_name)
        phone = normalize_phone(phone)
        id_number = clean_id_number(id_number)
    except ValidationError as exc:
        raise InvalidPayload("invalid_person", exc.messages[0]) from None
    refuse_too_long({"full_name": name, "phone": phone, "id_number": id_number}, in_qr=False)
    candidates = Person.objects.filter(phone=phone, full_name__iexact=name)
    if id_number:
        candidates = candidates.filter(id_number__in=[id_number, ""])
    person = candidates.order_by("-pk").first()
    if person is None:
        person = Person.objects.create(
            full_name=name, phone=phone, id_number=id_number, entered_by_staff=True
        )
    elif id_number and not person.id_number:
        person.id_number = id_number
        person.save(update_fields=["id_number", "updated_at"])
    return person


@transaction.atomic
def set_person(phone: str, *, full_name: str, commune_id: str, organization=None) -> Person:
    """The person known by `phone` (made if new) with this name, commune and organization: a
    list of people loaded as they are (the demo), not a declaration."""
    person, _created = Person.objects.update_or_create(
        phone=normalize_phone(phone),
        defaults={"full_name": full_name, "commune_id": commune_id, "organization": organization},
    )
    return person


def masked_name(name: str) -> str:
    """'Nguyễn Văn An' -> 'N***** V** A*': what a scanner screen may show to staff."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


# Declaring


class ReusedClientId(DomainError, ValueError):
    """A client id sent again with another declaration, or from another phone (409)."""

    def __init__(self) -> None:
        message = _(
            "This client_id was already used for another declaration. Make a new one for each "
            "declaration."
        )
        super().__init__(409, "client_id_conflict", message)


def _same_declaration(
    earlier: Declaration, data: dict, person: Person | None, declared_by: Person | None = None
) -> bool:
    """Is this the stored declaration sent again: the same details, from the same person's
    phone (its token), or again with no token if it was made with none? One made with a token
    is never answered without it: the answer would hand the token to whoever knew the id. One
    made for a family member answers only the phone that made it, and only as a family
    declaration (the other answer holds the declared person's token)."""
    if earlier.declared_by_id != (declared_by.pk if declared_by is not None else None):
        return False
    if declared_by is None:
        if person is None and earlier.with_token:
            return False
        if person is not None and person.pk != earlier.person_id:
            return False
    elif person is not None and person.pk != earlier.person_id:
        return False
    fields = {**data, "commune": data["commune_code"]}
    stored = {field: getattr(earlier, field) for field in PERSON_FIELDS}
    stored["commune"] = earlier.commune_id
    given = {field: fields[field] for field in PERSON_FIELDS}
    given["commune"] = getattr(given["commune"], "pk", given["commune"])
    return (
        stored == given
        and earlier.purpose == data["purpose"]
        and sorted(earlier.symptoms) == sorted(data.get("symptoms") or [])
        and earlier.contact_with_case == bool(data.get("contact_with_case"))
        and earlier.travel_outbreak_area == bool(data.get("travel_outbreak_area"))
    )


def _copy_to_person(person: Person, data: dict) -> None:
    for field in PERSON_FIELDS:
        setattr(person, field, data[field])


@transaction.atomic
def declare(
    data: dict,
    *,
    person: Person | None = None,
    client_id: uuid.UUID | None = None,
    organization=None,
    declared_by: Person | None = None,
) -> tuple[Declaration, bool]:
    """Store a declaration (cleaned DeclarationForm data) and update its person; a new one
    names `organization` (an orgs.Organization, if given) as where the person works or studies.
    `declared_by` is the phone's person when it declares for a family member (`person` then
    is that member, or None for a new one: `declare_for_member` checks who may).

    Without a `person` (no token on this phone) a new person is made: a phone number alone never
    links to someone else's declarations. A repeated `client_id` returns the first result and
    stores nothing (`created` is False), but only to the same request: the answer holds the
    person's token, so a client id is an idempotency key, never a credential (`ReusedClientId`).
    """
    if client_id is not None:
        earlier = Declaration.objects.select_related("person").filter(client_id=client_id).first()
        if earlier is not None:
            if not _same_declaration(earlier, data, person, declared_by):
                raise ReusedClientId()
            return earlier, False
    data = {**data, "commune": data["commune_code"]}
    with_token = person is not None or declared_by is not None
    if person is None:
        person = Person()
    _copy_to_person(person, data)
    person.entered_by_staff = False
    if organization is not None:
        person.organization = organization
    person.save()
    declaration = Declaration.objects.create(
        person=person,
        client_id=client_id or uuid.uuid4(),
        with_token=with_token,
        declared_by=declared_by,
        **{field: data[field] for field in PERSON_FIELDS},
        purpose=data["purpose"],
        symptoms=list(data.get("symptoms") or []),
        contact_with_case=bool(data.get("contact_with_case")),
        travel_outbreak_area=bool(data.get("travel_outbreak_area")),
    )
    return declaration, True


class NotFamily(DomainError):
    """A family member this phone did not declare for (or who is gone): the same 404 as a
    missing one, so ids of other people reveal nothing."""

    def __init__(self) -> None:
        super().__init__(404, "not_found", _("Not found."))


def family(declarer: Person) -> QuerySet[Person]:
    """The people `declarer`'s phone declares for, oldest first (the order they were added),
    with their latest declaration's time as `declared_at` (accounts.access.family_q)."""
    return (
        Person.objects.family_of(declarer)
        .annotate(declared_at=Max("declarations__created_at"))
        .order_by("created_at", "pk")
    )


def member_of(declarer: Person | None, member_id: int) -> Person:
    """The family member `member_id` of `declarer`'s phone, or `NotFamily`."""
    if declarer is None:
        raise NotFamily()
    member = Person.objects.family_of(declarer).filter(pk=member_id).first()
    if member is None:
        raise NotFamily()
    return member


#: Most family members one phone declares for: a household, not a list of strangers typed in
#: to collect their QR codes.
MAX_FAMILY = 10


class FamilyFull(DomainError):
    def __init__(self) -> None:
        message = _(
            "One phone can declare for at most %(count)d family members. Each of them can "
            "declare on their own phone, or at a checkpoint with its staff."
        ) % {"count": MAX_FAMILY}
        super().__init__(409, "family_full", message)


@transaction.atomic
def declare_for_member(
    declarer: Person,
    data: dict,
    *,
    member_id: int | None = None,
    client_id: uuid.UUID | None = None,
) -> tuple[Declaration, bool]:
    """A declaration made on `declarer`'s phone for a family member (a child, an elderly parent
    without a smartphone): a new person with a QR of their own (`member_id` None), or the
    member's next declaration, which updates them as one's own does. An empty phone is the
    declarer's (the number to call about a child). Returns (declaration, created)."""
    member = None if member_id is None else member_of(declarer, member_id)
    data = {**data, "phone": data.get("phone") or declarer.phone}
    if member is None and client_id is not None:
        earlier = Declaration.objects.filter(client_id=client_id).first()
        if earlier is not None:  # a resent new member: answered by `declare` (or refused)
            return declare(data, client_id=client_id, declared_by=declarer)
    if member is None:
        # One phone at a time: two tabs adding members cannot pass the limit together.
        Person.objects.select_for_update().filter(pk=declarer.pk).first()
        if Person.objects.family_of(declarer).count() >= MAX_FAMILY:
            raise FamilyFull()
    return declare(data, person=member, client_id=client_id, declared_by=declarer)


@transaction.atomic
def correct(declaration: Declaration, data: dict) -> Declaration:
    """Fix a declaration; the person's details follow if it is their latest one."""
    data = {**data, "commune": data["commune_code"]}
    for field in PERSON_FIELDS:
        setattr(declaration, field, data[field])
    declaration.purpose = data["purpose"]
    declaration.symptoms = list(data.get("symptoms") or [])
    declaration.contact_with_case = bool(data.get("contact_with_case"))
    declaration.travel_outbreak_area = bool(data.get("travel_outbreak_area"))
    declaration.save()
    person = declaration.person
    if not person.declarations.filter(created_at__gt=declaration.created_at).exists():
        _copy_to_person(person, data)
        person.save()
    return declaration
