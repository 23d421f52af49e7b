"""Verification of a confirmed case's upload, as Google's exposure-notifications-verification-
server does it: code -> token -> certificate bound to the keys (the "tekmac").

1. A health tracer issues a one-time code for a confirmed case (`issue_code`), from the case's
   page or by hand: a short code of 8 digits valid 15 minutes (read out on the phone) and a
   long one of 16 characters valid 24 hours (sent as a link); claiming either claims both.
   Each area has a daily quota (settings.PROXIMITY_DAILY_CODES): a leaked tracer account cannot
   mint codes for a flood of fake uploads. Only HMACs of the codes are stored.
2. The phone exchanges the code for a token (`verify_code`, public): signed, valid 1 hour,
   single use. A replayed code is refused (`code_used`).
3. The phone exchanges the token and the tekmac of the keys it will upload (`tekmac.py`) for a
   certificate (`issue_certificate`): a JWT (HS256, a key derived from SECRET_KEY) valid 15
   minutes carrying the tekmac, the report type and the symptom onset. The server never sees
   the keys here, and the certificate is worthless for any other keys.
4. The key server (`keyserver.publish`) checks the certificate (`check_certificate`), recomputes
   the tekmac from the uploaded keys and the phone's secret, and records the upload once.

This module is the only code that writes codes; the key upload is in keyserver.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_issue_codes_by_hand, may_trace
from kiemdich.core.errors import DomainError, FieldError
from kiemdich.geo.models import Unit
from kiemdich.tracing.models import Case

from . import protocol
from .models import TestType, VerificationCode

SHORT_LENGTH = 8
SHORT_VALID = dt.timedelta(minutes=15)
LONG_LENGTH = 16
LONG_VALID = dt.timedelta(hours=24)
#: Letters and digits a person cannot confuse when typing (no 0/O, 1/I/L).
LONG_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_VALID = dt.timedelta(hours=1)
CERTIFICATE_VALID = dt.timedelta(minutes=15)
#: The onset a tracer may give: not in the future, and not older than this.
ONSET_MAX_AGE = dt.timedelta(days=28)
ISSUER = "kiemdich-verification"
AUDIENCE = "kiemdich-keys"
_TOKEN_SALT = "kiemdich.proximity.token"  # noqa: S105 (a salt, not a secret)
_CODE_LABEL = b"kiemdich.proximity.code"
_CERT_LABEL = b"kiemdich.proximity.certificate"


class VerificationError(DomainError):
    """A code, token or certificate refused: 400/409 with a stable code, nothing written."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(status, code, message)


class CodeRefused(DomainError):
    """A tracer may not issue a code (403), or the area's daily quota is used up (429)."""


class CodeFieldError(FieldError):
    """An input of the code form to fix (422 `invalid`)."""


def code_hash(code: str) -> str:
    """The stored form of a code: HMAC-SHA256 keyed with SECRET_KEY, hex. A copy of the
    table gives nobody a code they can claim (8 digits alone would be found by brute force)."""
    key = hmac.new(settings.SECRET_KEY.encode(), _CODE_LABEL, hashlib.sha256).digest()
    return hmac.new(key, normalize_code(code).encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    """What a person typed, as issued: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in code if ch not in " -").upper()


def _short_code() -> str:
    return f"{secrets.randbelow(10**SHORT_LENGTH):0{SHORT_LENGTH}d}"


def _long_code() -> str:
    return "".join(secrets.choice(LONG_ALPHABET) for _ in range(LONG_LENGTH))


def daily_quota() -> int:
    return settings.PROXIMITY_DAILY_CODES


def _day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def issued_today(unit: Unit, now: dt.datetime | None = None) -> int:
    """Codes the area issued since local midnight (what the quota counts)."""
    now = now or timezone.now()
    return VerificationCode.objects.filter(unit=unit, created_at__gte=_day_start(now)).count()


@dataclass(frozen=True)
class IssuedCode:
    """A code as the tracer sees it, once: the clear codes exist only here."""

    code: str
    long_code: str
    expires_at: dt.datetime
    long_expires_at: dt.datetime
    record: VerificationCode


def issuing_unit(actor, case: Case | None) -> Unit:
    """The area a code counts in: the case's own area, or the tracer's for a code by hand.
    Refused to anyone who may not trace that case (only its own area works it)."""
    if case is not None:
        if not may_trace(actor, case):
            raise CodeRefused(403, "forbidden", _("Only the case's own area issues its codes."))
        return case.unit
    if not may_issue_codes_by_hand(actor):
        raise CodeRefused(
            403, "forbidden", _("Verification codes are issued by health tracers of an area.")
        )
    return actor.unit


def _onset(case: Case | None, symptom_onset: dt.date | None, now: dt.datetime) -> dt.date | None:
    if symptom_onset is None and case is not None and case.onset_at is not None:
        symptom_onset = timezone.localtime(case.onset_at).date()
    if symptom_onset is not None:
        today = timezone.localtime(now).date()
        if symptom_onset > today:
            raise CodeFieldError("symptom_onset", _("Symptom onset cannot be in the future."))
        if symptom_onset < today - ONSET_MAX_AGE:
            raise CodeFieldError(
                "symptom_onset", _("Symptom onset is more than 28 days ago: no key would match.")
            )
    return symptom_onset


def issue_code(
    actor,
    *,
    case: Case | None = None,
    symptom_onset: dt.date | None = None,
    test_type: str = TestType.CONFIRMED,
    now: dt.datetime | None = None,
) -> IssuedCode:
    """A new code for a confirmed case (from its page), or by hand (`case` None)."""
    now = now or timezone.now()
    unit = issuing_unit(actor, case)
    if test_type not in TestType.values:
        raise CodeFieldError("test_type", _("Codes are issued for confirmed cases only."))
    onset = _onset(case, symptom_onset, now)
    quota = daily_quota()
    for _attempt in range(5):
        short, long = _short_code(), _long_code()
        try:
            with transaction.atomic():
                # One tracer at a time per area: two cannot both take the quota's last code.
                Unit.objects.select_for_update().filter(pk=unit.pk).first()
                if issued_today(unit, now) >= quota:
                    raise CodeRefused(
                        429,
                        "quota_exceeded",
                        _(
                            "Your area has issued its %(n)d codes for today. Ask the province "
                            "to raise the quota, or issue more tomorrow."
                        )
                        % {"n": quota},
                    )
                record = VerificationCode.objects.create(
                    code_hash=code_hash(short),
                    long_code_hash=code_hash(long),
                    unit=unit,
                    case=case,
                    issued_by=actor if getattr(actor, "pk", None) else None,
                    test_type=test_type,
                    symptom_onset=onset,
                    created_at=now,
                    expires_at=now + SHORT_VALID,
                    long_expires_at=now + LONG_VALID,
                )
        except IntegrityError:
            continue  # a code still on record was drawn again: draw another
        return IssuedCode(short, long, record.expires_at, record.long_expires_at, record)
    raise RuntimeError("could not draw an unused verification code")


# --- the phone's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    token: str
    expires_at: dt.datetime
    test_type: str
    symptom_onset: dt.date | None


def _find_code(code: str) -> VerificationCode | None:
    digest = code_hash(code)
    rows = VerificationCode.objects.select_for_update()
    return rows.filter(code_hash=digest).first() or rows.filter(long_code_hash=digest).first()


@transaction.atomic
def verify_code(code: str, now: dt.datetime | None = None) -> Token:
    """Claim a code (short or long) for a token. Refused: unknown (`code_invalid`), used before
    (`code_used`, a replay), or past its validity (`code_expired`)."""
    now = now or timezone.now()
    cleaned = normalize_code(code)
    record = _find_code(cleaned) if cleaned else None
    if record is None:
        raise VerificationError("code_invalid", _("This verification code is not valid."))
    if record.claimed_at is not None:
        raise VerificationError(
            "code_used", _("This verification code has been used already."), status=409
        )
    short = hmac.compare_digest(record.code_hash, code_hash(cleaned))
    if now >= (record.expires_at if short else record.long_expires_at):
        raise VerificationError(
            "code_expired", _("This verification code has expired: ask for a new one.")
        )
    record.claimed_at = now
    record.token_id = secrets.token_hex(16)
    record.save(update_fields=["claimed_at", "token_id"])
    expires = now + TOKEN_VALID
    token = signing.dumps(
        {"id": record.token_id, "exp": int(expires.timestamp())}, salt=_TOKEN_SALT
    )
    return Token(token, expires, record.test_type, record.symptom_onset)


def _token_id(token: str, now: dt.datetime) -> str:
    try:
        body = signing.loads(token, salt=_TOKEN_SALT)
    except signing.BadSignature:
        raise VerificationError("token_invalid", _("This token is not valid.")) from None
    if now.timestamp() >= body["exp"]:
        raise VerificationError("token_expired", _("This token has expired: verify again."))
    return body["id"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _certificate_key() -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), _CERT_LABEL, hashlib.sha256).digest()


def _sign(claims: dict[str, Any]) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_certificate_key(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(mac)}"


@dataclass(frozen=True)
class Certificate:
    certificate: str
    expires_at: dt.datetime


def onset_interval(onset: dt.date | None) -> int | None:
    """The ENIntervalNumber of the onset day's UTC midnight, as the publish API carries it."""
    if onset is None:
        return None
    midnight = dt.datetime(onset.year, onset.month, onset.day, tzinfo=dt.UTC)
    return protocol.interval_number(midnight)


@transaction.atomic
def issue_certificate(token: str, ekeyhmac: str, now: dt.datetime | None = None) -> Certificate:
    """The certificate for the keys whose tekmac is `ekeyhmac` (base64 HMAC-SHA256), once per
    token. Refused: a bad or expired token, one used before, a tekmac that is no HMAC."""
    now = now or timezone.now()
    token_id = _token_id(token, now)
    try:
        mac = base64.b64decode(ekeyhmac, validate=True)
    except (binascii.Error, ValueError):
        mac = b""
    if len(mac) != hashlib.sha256().digest_size:
        raise VerificationError(
            "hmac_invalid", _("ekeyhmac must be a base64 HMAC-SHA256 (32 bytes).")
        )
    record = VerificationCode.objects.select_for_update().filter(token_id=token_id).first()
    if record is None:
        raise VerificationError("token_invalid", _("This token is not valid."))
    if record.token_used_at is not None:
        raise VerificationError("token_used", _("This token has been used already."), status=409)
    record.token_used_at = now
    record.tekmac = base64.b64encode(mac).decode("ascii")
    record.save(update_fields=["token_used_at", "tekmac"])
    expires = now + CERTIFICATE_VALID
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": token_id,
        "tekmac": record.tekmac,
        "reportType": record.test_type,
        "symptomOnsetInterval": onset_interval(record.symptom_onset),
    }
    return Certificate(_sign(claims), expires)


def check_certificate(certificate: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The claims of a certificate this server signed and that has not expired; refused
    (`certificate_invalid`, `certificate_expired`) otherwise. Whether it was used is the
    key server's check, with the upload."""
    now = now or timezone.now()
    invalid = VerificationError("certificate_invalid", _("This certificate is not valid."))
    parts = certificate.split(".")
    if len(parts) != 3:
        raise invalid
    header, payload, mac = parts
    expected = hmac.new(_certificate_key(), f"{header}.{payload}".encode(), hashlib.sha256)
    try:
        if not hmac.compare_digest(expected.digest(), _unb64url(mac)):
            raise invalid
        claims = json.loads(_unb64url(payload))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(claims, dict) or claims.get("aud") != AUDIENCE:
        raise invalid
    if now.timestamp() >= claims.get("exp", 0):
        raise VerificationError(
            "certificate_expired", _("This certificate has expired: verify again.")
        )
    return claims
