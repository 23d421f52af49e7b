"""Signed QR payloads: `<id>.<key id>.<Ed25519 signature>`, for checkpoints and for people.

A person's own QR (shown to staff scanners, `/p/<payload>`) is signed the same way over another
message prefix, so a checkpoint payload can never pass for a person's or the other way round.

The poster's QR holds `{KIEMDICH_PUBLIC_URL}/c/<payload>`, which any phone camera opens. The
signature lets the server, and an offline scanner that has fetched the public keys, refuse a
forged or altered poster. Signatures are deterministic (Ed25519), so a reprinted poster is
identical to the first one.

Private keys are derived from the master secret and the key id (HKDF), so nothing secret is in
the database. Rotation adds a key that signs new posters; old posters keep verifying with their
stored public key until that key is retired.

Retiring a key takes effect at once in every process. A process keeps the public keys it has
read (a key's public half never changes) and the payloads it has verified, but whether a key is
retired is read from the database each time: `verify` asks it (one query by primary key), and the
scan fast paths, which must stay at one round trip, pass `retired_checked=True` and check it in
the statement they run anyway (checkins.fastsql).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.core.errors import DomainError

from .models import SigningKey

_B36 = string.digits + string.ascii_lowercase
#: The whole text must match (`fullmatch`): `$` would also accept a trailing newline.
_PAYLOAD = re.compile(r"([1-9a-z][0-9a-z]{0,12})\.([0-9a-z]{2,8})\.([A-Za-z0-9_-]{86})")


#: Refusal codes of genuine codes that are no longer valid.
GONE = frozenset({"revoked", "closed", "not_approved", "key_retired", "person_gone"})


class InvalidPayload(DomainError, ValueError):
    """A QR payload the server refuses; `code` is stable, `message` is for people. A genuine
    code that is no longer valid is 410, a malformed or forged one 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(410 if code in GONE else 400, code, str(message))

    @property
    def gone(self) -> bool:
        """Genuine but no longer valid (410), rather than malformed or forged (400)."""
        return self.code in GONE


@dataclass(frozen=True)
class Verified:
    number: int
    kid: str


def b36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if number == 0:
            return digits


VENUE = "venue"
PERSON = "person"
#: What is signed: a prefix per kind of payload (venue posters printed so far use "kd1").
_PREFIX = {VENUE: "kd1", PERSON: "kd1p"}


def _message(number: int, kid: str, kind: str = VENUE) -> bytes:
    return f"{_PREFIX[kind]}|{number}|{kid}".encode()


def _refusals(kind: str) -> dict[str, str]:
    """Messages for people, by refusal code, in the words of the kind of code scanned."""
    if kind == PERSON:
        return {
            "malformed": _("This is not a kiemdich personal code (it may be damaged or cut)."),
            "key_retired": _("This personal code has expired. Declare again to get a new one."),
            "forged": _("This personal code is not genuine."),
        }
    return {
        "malformed": _("This is not a kiemdich checkpoint code (it may be damaged or cut)."),
        "key_retired": _("This poster's code has expired. Ask the venue to print its new poster."),
        "forged": _("This checkpoint code is not genuine."),
    }


def refusal(code: str, kind: str = VENUE) -> str:
    """The message for people of a refusal code ("malformed", "key_retired", "forged")."""
    return _refusals(kind)[code]


@lru_cache(maxsize=16)
def _derive(master: str, kid: str) -> Ed25519PrivateKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"kiemdich-qr-v1", info=kid.encode()
    ).derive(master.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def _private_key(kid: str) -> Ed25519PrivateKey:
    return _derive(settings.QR_SIGNING_KEY, kid)


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


@transaction.atomic
def rotate() -> SigningKey:
    """Create a new key; from now on new posters are signed with it."""
    while True:
        kid = "".join(secrets.choice(_B36) for _ in range(3))
        if not SigningKey.objects.filter(kid=kid).exists():
            break
    return SigningKey.objects.create(kid=kid, public_key=_raw_public(_private_key(kid)))


def current_key() -> SigningKey:
    """The newest unretired key that the current master secret can sign for.

    If the master secret was changed, no stored key matches it any more and a new key is made:
    posters printed from then on use it, older posters still verify with their stored key.
    """
    for key in SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at"):
        if bytes(key.public_key) == _raw_public(_private_key(key.kid)):
            return key
    return rotate()


def retire(kid: str) -> SigningKey:
    """Retire a key: posters signed with it are refused from now on."""
    key = SigningKey.objects.get(kid=kid)
    if key.retired_at is None:
        key.retired_at = timezone.now()
        key.save(update_fields=["retired_at"])
    return key


def sign(number: int, key: SigningKey | None = None, kind: str = VENUE) -> str:
    """The payload for a venue or person id (pass `key` when signing many at once)."""
    key = key or current_key()
    signature = _private_key(key.kid).sign(_message(number, key.kid, kind))
    return f"{b36(number)}.{key.kid}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def qr_url(payload: str, kind: str = VENUE) -> str:
    return f"{settings.PUBLIC_URL}/{'p' if kind == PERSON else 'c'}/{payload}"


#: kid -> public key, of the keys this process has read. Kept for the process's lifetime: a
#: key's public half never changes, and whether it is retired is not cached.
_public_keys: dict[str, Ed25519PublicKey] = {}


def _public_key(kid: str) -> Ed25519PublicKey | None:
    """The public key of a known key, retired or not (None for an unknown key id)."""
    public = _public_keys.get(kid)
    if public is None:
        raw = SigningKey.objects.filter(kid=kid).values_list("public_key", flat=True).first()
        if raw is None:
            return None
        public = _public_keys[kid] = Ed25519PublicKey.from_public_bytes(bytes(raw))
    return public


def retired_kids(kids: set[str]) -> set[str]:
    """Which of these key ids are retired, read now (one query)."""
    if not kids:
        return set()
    return set(
        SigningKey.objects.filter(kid__in=kids, retired_at__isnull=False).values_list(
            "kid", flat=True
        )
    )


@lru_cache(maxsize=65536)
def _verify_cached(payload: str, kind: str) -> Verified:
    """Signature checks cost about 0.1 ms: a busy scanner sends the same poster all day.

    Only successes are cached (an exception is not), and they say nothing about retirement."""
    return _verify(payload, kind)


def verify(payload: str, kind: str = VENUE, *, retired_checked: bool = False) -> Verified:
    """Check a payload's form and signature; raise InvalidPayload with a clear reason.

    A payload whose key is retired is refused, whichever process retired it: unless the caller
    checks that itself in the query it makes (`retired_checked=True`), one query asks the
    database."""
    verified = _verify_cached(payload or "", kind)
    if not retired_checked and retired_kids({verified.kid}):
        raise InvalidPayload("key_retired", _refusals(kind)["key_retired"])
    return verified


def _verify(payload: str, kind: str) -> Verified:
    refusals = _refusals(kind)
    match = _PAYLOAD.fullmatch(payload or "")
    if not match:
        raise InvalidPayload("malformed", refusals["malformed"])
    venue_b36, kid, sig_text = match.groups()
    try:
        signature = base64.urlsafe_b64decode(sig_text + "==")
    except (binascii.Error, ValueError):
        signature = b""
    # Base64 leaves spare bits in the last character: refuse any spelling but the canonical one,
    # so that changing any single character of a payload is always detected.
    canonical = base64.urlsafe_b64encode(signature).decode().rstrip("=")
    public = _public_key(kid)
    if public is None:
        raise InvalidPayload("forged", refusals["forged"])
    number = int(venue_b36, 36)
    try:
        if canonical != sig_text or len(signature) != 64:
            raise InvalidSignature
        public.verify(signature, _message(number, kid, kind))
    except InvalidSignature:
        raise InvalidPayload("forged", refusals["forged"]) from None
    return Verified(number=number, kid=kid)


def public_keys() -> list[dict]:
    """Unretired public keys, for scanners that verify posters offline."""
    return [
        {
            "kid": k.kid,
            "public_key": base64.urlsafe_b64encode(bytes(k.public_key)).decode().rstrip("="),
            "created_at": k.created_at,
        }
        for k in SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at")
    ]
