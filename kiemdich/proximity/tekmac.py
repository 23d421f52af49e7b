"""The "tekmac": what binds a verification certificate to the keys a phone will upload (no Django).

As the reference servers do (exposure-notifications-server `verification.CalculateExposureKeyHMAC`,
the verification server's certificate claim `tekmac`): the phone draws a random secret, computes
HMAC-SHA256 with it over its keys, and sends only the HMAC when it asks for a certificate. The
verification server signs the HMAC into the certificate without ever seeing the keys; the key
server recomputes it from the uploaded keys and the secret (`hmacKey`), which the phone sends
only with the upload. A stolen code or certificate therefore cannot upload any other keys.

The cleartext: for each key "base64(key).rollingStartNumber.rollingPeriod", sorted by the
base64 text, joined with ",". The transmission risk is not in it (it may be set by the server).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

#: Bytes of the phone's random HMAC secret (the reference apps use 16-32).
SECRET_LENGTH = 32


@dataclass(frozen=True)
class KeyRef:
    """What of one key goes into the tekmac: its base64 text, rolling start and period."""

    key: str
    rolling_start: int
    rolling_period: int


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_LENGTH)


def cleartext(keys: Iterable[KeyRef]) -> str:
    """The text the HMAC is over; refuses an empty list (a certificate for no keys is useless)."""
    refs = sorted(keys, key=lambda k: k.key)
    if not refs:
        raise ValueError("the tekmac needs at least one key")
    return ",".join(f"{k.key}.{k.rolling_start}.{k.rolling_period}" for k in refs)


def calculate(secret: bytes, keys: Iterable[KeyRef]) -> bytes:
    """HMAC-SHA256 with `secret` over `cleartext(keys)`: 32 bytes."""
    return hmac.new(secret, cleartext(keys).encode("ascii"), hashlib.sha256).digest()


def calculate_b64(secret: bytes, keys: Iterable[KeyRef]) -> str:
    """The tekmac as standard base64, as the certificate request carries it (`ekeyhmac`)."""
    return base64.b64encode(calculate(secret, keys)).decode("ascii")


def matches(secret: bytes, keys: Iterable[KeyRef], expected_b64: str) -> bool:
    """Whether `keys` and `secret` give the tekmac a certificate was signed for."""
    try:
        expected = base64.b64decode(expected_b64, validate=True)
    except ValueError:
        return False
    try:
        return hmac.compare_digest(calculate(secret, keys), expected)
    except ValueError:
        return False
