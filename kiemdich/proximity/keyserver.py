"""The key server: a confirmed case's upload of diagnosis keys, and, with consent, the link
from the phones that heard them to the case's F1 list.

**Upload** (`publish`, `POST /api/v1/proximity/keys`, the exposure-notifications-server publish
API's fields): up to 14 keys with the certificate of `verification.py` and the phone's HMAC
secret. Everything is checked before anything is written, and a refusal names its rule with a
stable code: the certificate (signature, expiry), each key (`check_keys`), and the tekmac
recomputed from the uploaded keys and the secret against the certificate's. A certificate
uploads once; the same upload sent again (a phone retrying after a lost answer: same keys, so
the same tekmac) answers as the first did and adds nothing. Keys are stored as `DiagnosisKey`
rows with their arrival hour and nothing that names the case.

**Consent** (the F0's `consent: true`, only for a code issued from a case): the keys are also
linked to that case, server-side (`ConsentedKey`, deleted with the case). A phone warned by
one of them may then share who it is (`report_exposure`, `POST /api/v1/proximity/exposures`:
the person's own token and the matched keys with when they were heard); the person joins the
case's F1 list with evidence "Bluetooth". Without the F0's consent no key names a case, and
without the warned person's choice nothing of theirs leaves the phone.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.core.errors import DomainError
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_for_token
from kiemdich.tracing import services as tracing
from kiemdich.tracing.models import Case

from . import keystore, matching, protocol, tekmac, verification
from .exportfile import KEY_DAYS, MAX_DAYS_SINCE_ONSET, MAX_TRANSMISSION_RISK, ReportType
from .models import ConsentedKey, DiagnosisKey, VerificationCode

MAX_KEYS = 14
DAY = protocol.TEK_ROLLING_PERIOD


class UploadRefused(DomainError):
    """An upload refused by one rule (400, or 409 for a certificate used on other keys)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(status, code, message)


@dataclass(frozen=True)
class UploadKey:
    """One key as the phone sends it: base64 key data, rolling start and period, risk."""

    key: str
    rolling_start: int
    rolling_period: int = protocol.TEK_ROLLING_PERIOD
    transmission_risk: int = 0

    def ref(self) -> tekmac.KeyRef:
        return tekmac.KeyRef(self.key, self.rolling_start, self.rolling_period)


@dataclass(frozen=True)
class CheckedKey:
    key_data: bytes
    rolling_start: int
    rolling_period: int
    transmission_risk: int
    days_since_onset: int | None


def _decode_key(text: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if len(data) != protocol.TEK_LENGTH:
        raise UploadRefused(
            "key_invalid", _("Each key must be 16 bytes in base64: %(key)s") % {"key": text[:40]}
        )
    return data


def check_keys(
    keys: Sequence[UploadKey], now_interval: int, onset_interval: int | None
) -> list[CheckedKey]:
    """The upload's keys checked against the GAEN rules, or the first rule broken.

    A key covers intervals of one UTC day (its start and last interval in the same day, as
    the specification rolls keys at midnight); at most one key per day; a period of 1-144; no
    key twice; none starting in the future (today's key may be sent, still rolling); none
    ended more than 14 days ago; a transmission risk of 0-8; and, with an onset, days since
    onset of -14..14. "Ended 14 days ago" is the key store's rule (`keystore.past_keeping`): a
    key the store would delete at once is not taken in.
    """
    if not keys:
        raise UploadRefused("no_keys", _("The upload holds no key."))
    if len(keys) > MAX_KEYS:
        raise UploadRefused("too_many_keys", _("At most %(n)d keys, one a day.") % {"n": MAX_KEYS})
    checked: list[CheckedKey] = []
    seen: set[bytes] = set()
    days: set[int] = set()
    for key in keys:
        data = _decode_key(key.key)
        if not 1 <= key.rolling_period <= DAY:
            raise UploadRefused(
                "rolling_period_invalid", _("A key's rolling period is 1 to 144 intervals.")
            )
        if (
            key.rolling_start < 0
            or key.rolling_start // DAY != (key.rolling_start + key.rolling_period - 1) // DAY
        ):
            raise UploadRefused(
                "rolling_start_invalid", _("A key covers intervals of one UTC day only.")
            )
        if data in seen:
            raise UploadRefused("duplicate_key", _("The same key is in the upload twice."))
        day = key.rolling_start // DAY
        if day in days:
            raise UploadRefused("two_keys_one_day", _("At most one key per day."))
        if key.rolling_start > now_interval:
            raise UploadRefused("key_in_future", _("A key starts in the future."))
        if keystore.past_keeping(key.rolling_start, key.rolling_period, now_interval):
            raise UploadRefused(
                "key_too_old", _("A key ended more than %(n)d days ago.") % {"n": KEY_DAYS}
            )
        if not 0 <= key.transmission_risk <= MAX_TRANSMISSION_RISK:
            raise UploadRefused(
                "transmission_risk_invalid", _("A key's transmission risk is 0 to 8.")
            )
        since = None if onset_interval is None else day - onset_interval // DAY
        if since is not None and not -MAX_DAYS_SINCE_ONSET <= since <= MAX_DAYS_SINCE_ONSET:
            raise UploadRefused(
                "onset_invalid",
                _("Each key must be within 14 days of the symptom onset."),
            )
        seen.add(data)
        days.add(day)
        checked.append(
            CheckedKey(data, key.rolling_start, key.rolling_period, key.transmission_risk, since)
        )
    return checked


@dataclass(frozen=True)
class Published:
    #: Keys stored by this request (0 for a retry of an upload already stored).
    inserted: int
    #: Keys linked to the case with the F0's consent.
    linked: int
    #: Whether this was a retry of an upload already stored.
    retried: bool = False


def _hmac_secret(text: str) -> bytes:
    try:
        secret = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if not secret:
        raise UploadRefused("hmac_key_invalid", _("hmacKey must be the phone's secret in base64."))
    return secret


def publish(
    keys: Sequence[UploadKey],
    *,
    certificate: str,
    hmac_key: str,
    symptom_onset_interval: int | None = None,
    consent: bool = False,
    now: dt.datetime | None = None,
) -> Published:
    """Store a confirmed case's keys if the certificate allows exactly these keys."""
    now = now or timezone.now()
    claims = verification.check_certificate(certificate, now)
    onset = symptom_onset_interval
    if onset is None:
        onset = claims.get("symptomOnsetInterval")
    checked = check_keys(keys, protocol.interval_number(now), onset)
    if not tekmac.matches(_hmac_secret(hmac_key), [k.ref() for k in keys], claims["tekmac"]):
        raise UploadRefused(
            "hmac_mismatch",
            _("These keys are not the keys the certificate was issued for."),
        )
    with transaction.atomic():
        record = (
            VerificationCode.objects.select_for_update()
            .filter(token_id=claims["jti"], tekmac=claims["tekmac"])
            .first()
        )
        if record is None:
            raise verification.VerificationError(
                "certificate_invalid", _("This certificate is not valid.")
            )
        if record.uploaded_at is not None:
            linked = ConsentedKey.objects.filter(key_data__in=[k.key_data for k in checked])
            return Published(0, linked.count(), retried=True)
        hour = now.replace(minute=0, second=0, microsecond=0)
        present = set(
            bytes(k)
            for k in DiagnosisKey.objects.filter(
                key_data__in=[k.key_data for k in checked]
            ).values_list("key_data", flat=True)
        )
        new = [
            DiagnosisKey(
                key_data=k.key_data,
                rolling_start=k.rolling_start,
                rolling_period=k.rolling_period,
                transmission_risk=k.transmission_risk,
                report_type=ReportType.CONFIRMED_TEST,
                days_since_onset=k.days_since_onset,
                received_hour=hour,
            )
            for k in checked
            if k.key_data not in present
        ]
        DiagnosisKey.objects.bulk_create(new, ignore_conflicts=True)
        linked = 0
        if consent and record.case_id is not None:
            links = [
                ConsentedKey(
                    case_id=record.case_id,
                    key_data=k.key_data,
                    rolling_start=k.rolling_start,
                    rolling_period=k.rolling_period,
                    received_at=now,
                )
                for k in checked
            ]
            ConsentedKey.objects.bulk_create(links, ignore_conflicts=True)
            linked = len(links)
        record.uploaded_at = now
        record.save(update_fields=["uploaded_at"])
    return Published(len(new), linked)


# --- a warned phone shares its exposure --------------------------------------------------------


@dataclass(frozen=True)
class HeardKey:
    """A diagnosis key the phone matched, and when it heard it (first and last sighting)."""

    key: str
    rolling_start: int
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True)
class ExposureShare:
    """A share that passed every check (`check_exposure`), not yet recorded."""

    person: Person
    #: The distinct keys sent, each with its sightings (a key sent twice: its widest span).
    spans: dict[bytes, HeardKey]
    #: What was sent, whatever the order: a phone retrying the same share gets the same answer.
    fingerprint: str


def _heard_while_broadcast(item: HeardKey) -> bool:
    """Whether the sightings fall in the day the key was broadcast, give or take the matcher's
    clock tolerance: a phone cannot have heard it at any other time. Checked on every key sent,
    linked or not, so a refusal says nothing of which keys are linked to a case (diagnosis keys
    are public: a claim about one outside its day is made up)."""
    first = protocol.interval_number(item.first_seen)
    last = protocol.interval_number(item.last_seen)
    tolerance = matching.TOLERANCE_INTERVALS
    return item.rolling_start - tolerance <= first and last < item.rolling_start + DAY + tolerance


def check_exposure(
    person_token: str, heard: Sequence[HeardKey], now: dt.datetime | None = None
) -> ExposureShare:
    """Check a share before anything is written or counted: the person's token, at most 14
    keys (a phone matches at most one key per day of the last 14), and times a phone could have
    heard each key. Every rule is checked on every key sent, linked or not: a refusal says
    nothing of which keys are linked to a case."""
    now = now or timezone.now()
    person = person_for_token(person_token)
    if person is None:
        raise UploadRefused("person_invalid", _("This person token is not valid."))
    spans: dict[bytes, HeardKey] = {}
    for item in heard:
        if (
            item.first_seen.tzinfo is None
            or item.last_seen.tzinfo is None
            or item.last_seen < item.first_seen
            or item.first_seen > now + dt.timedelta(minutes=5)
            or not _heard_while_broadcast(item)
        ):
            raise UploadRefused("time_invalid", _("When a key was heard is not possible."))
        data = _decode_key(item.key)
        seen = spans.get(data)
        if seen is not None and seen.rolling_start == item.rolling_start:
            item = HeardKey(
                item.key,
                item.rolling_start,
                min(seen.first_seen, item.first_seen),
                max(seen.last_seen, item.last_seen),
            )
        spans[data] = item
    if not spans or len(spans) > MAX_KEYS:
        raise UploadRefused("no_keys", _("Give the keys the phone matched (at most 14)."))
    sent = sorted(
        f"{base64.b64encode(data).decode()}.{item.rolling_start}."
        f"{item.first_seen.timestamp():.0f}.{item.last_seen.timestamp():.0f}"
        for data, item in spans.items()
    )
    fingerprint = hashlib.sha256(f"{person.pk}|{','.join(sent)}".encode()).hexdigest()
    return ExposureShare(person, spans, fingerprint)


@transaction.atomic
def report_exposure(share: ExposureShare) -> None:
    """A warned person chose to tell tracing: they join, as F1 with evidence "Bluetooth", the
    list of each case that consented to link the keys they heard. Keys without a consented
    link add nothing. Nothing is returned on purpose: diagnosis keys are public, so whatever
    this told the caller (how many cases, new or not) would let anyone holding a person token
    learn which public keys belong to one case, linking one person's keys across days. The
    person learns they are listed as every F1 does (the tracer's SMS or call)."""
    links = ConsentedKey.objects.filter(key_data__in=list(share.spans)).select_related(
        "case__person", "case__unit"
    )
    per_case: dict[int, tuple[Case, dt.datetime, dt.datetime]] = {}
    for link in links:
        item = share.spans[bytes(link.key_data)]
        if item.rolling_start != link.rolling_start:
            continue
        case = link.case
        _case, start, end = per_case.get(case.pk, (case, item.first_seen, item.last_seen))
        per_case[case.pk] = (case, min(start, item.first_seen), max(end, item.last_seen))
    for case, start, end in per_case.values():
        tracing.add_bluetooth_contact(case, share.person, start, end)
