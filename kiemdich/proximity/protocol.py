"""The Exposure Notification protocol a phone runs (Apple/Google cryptography specification v1.2).

No Django import: this module is meant to run on a device (or a simulated one) as well as on the
server, so it depends only on the standard library and the `cryptography` package.

What it does, in the specification's words:

- a phone makes a fresh random 16-byte **Temporary Exposure Key** (TEK) every day
  (`TEK_ROLLING_PERIOD` = 144 intervals of 10 minutes), starting at an interval number that is a
  multiple of 144 (`rolling_start`);
- from each TEK it derives two keys by HKDF-SHA256 without salt: the **Rolling Proximity
  Identifier Key** (`rpik`, info ``EN-RPIK``) and the **Associated Encrypted Metadata Key**
  (`aemk`, info ``EN-AEMK``);
- every 10 minutes it broadcasts a **Rolling Proximity Identifier**
  ``RPI_j = AES-128-ECB(RPIK, "EN-RPI" || 6 zero bytes || ENIN_j as little-endian uint32)``
  and 4 bytes of **Associated Encrypted Metadata** ``AES-128-CTR(AEMK, iv=RPI_j, metadata)``
  (byte 0 the protocol version, byte 1 the transmit power in dBm as a signed byte).

Unlike Bluezone's daily keys chained by hashing, every TEK here is independent: publishing one
day's key reveals nothing about any other day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Length in bytes of a Temporary Exposure Key, an RPIK, an AEMK and an RPI.
TEK_LENGTH = 16
RPI_LENGTH = 16
#: Length of the (encrypted) metadata broadcast after each RPI.
METADATA_LENGTH = 4
#: An ENIntervalNumber counts 10-minute intervals since the Unix epoch.
INTERVAL_SECONDS = 600
#: Intervals a TEK is valid for: one day.
TEK_ROLLING_PERIOD = 144

RPIK_INFO = b"EN-RPIK"
AEMK_INFO = b"EN-AEMK"
RPI_PREFIX = b"EN-RPI" + bytes(6)

#: Metadata byte 0 for version 1.0: major version in bits 7-6, minor in bits 5-4.
VERSION_1_0 = 0b0100_0000


class ProtocolError(ValueError):
    """Input the protocol cannot take: a key of the wrong length, an interval out of range."""


def interval_number(when: dt.datetime | float | int) -> int:
    """The ENIntervalNumber of a moment: a timestamp (seconds) or an aware datetime."""
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ProtocolError("a naive datetime has no defined interval number; give a timezone")
        when = when.timestamp()
    return int(when // INTERVAL_SECONDS)


def interval_start(interval: int) -> dt.datetime:
    """The moment (UTC) an interval begins."""
    return dt.datetime.fromtimestamp(interval * INTERVAL_SECONDS, tz=dt.UTC)


def rolling_start(interval: int) -> int:
    """The first interval of the day `interval` falls in: where that day's TEK starts."""
    return interval // TEK_ROLLING_PERIOD * TEK_ROLLING_PERIOD


def new_tek() -> bytes:
    """A fresh Temporary Exposure Key from the operating system's secure random source."""
    return os.urandom(TEK_LENGTH)


def _check_key(key: bytes, what: str = "key") -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != TEK_LENGTH:
        raise ProtocolError(f"a {what} is {TEK_LENGTH} bytes")
    return bytes(key)


def _check_interval(interval: int) -> int:
    if not 0 <= interval < 2**32:
        raise ProtocolError("an interval number is an unsigned 32-bit integer")
    return interval


def _hkdf(tek: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=info).derive(
        _check_key(tek, "Temporary Exposure Key")
    )


def rpik(tek: bytes) -> bytes:
    """The Rolling Proximity Identifier Key: HKDF-SHA256(TEK, salt=None, info="EN-RPIK", 16)."""
    return _hkdf(tek, RPIK_INFO)


def aemk(tek: bytes) -> bytes:
    """The Associated Encrypted Metadata Key: HKDF-SHA256(TEK, salt=None, info="EN-AEMK", 16)."""
    return _hkdf(tek, AEMK_INFO)


# HKDF-SHA256 without salt is HMAC-SHA256 with 32 zero bytes as the key (extract), then one
# HMAC block (expand, 16 bytes need only T(1)). Matching derives an RPIK for every one of tens
# of thousands of downloaded keys, where the object setup of the general HKDF class costs more
# than the hashing; these precomputed HMAC pads give the same bytes (tests compare the two).
_EXTRACT_INNER = hashlib.sha256(bytes(0x36 for _ in range(64)))
_EXTRACT_OUTER = hashlib.sha256(bytes(0x5C for _ in range(64)))
_RPIK_EXPAND = RPIK_INFO + b"\x01"


def rpik_fast(tek: bytes) -> bytes:
    """The same RPIK as `rpik`, computed with precomputed HMAC pads (for bulk matching)."""
    inner = _EXTRACT_INNER.copy()
    inner.update(tek)
    outer = _EXTRACT_OUTER.copy()
    outer.update(inner.digest())
    return hmac.digest(outer.digest(), _RPIK_EXPAND, "sha256")[:16]


def padded_data(interval: int) -> bytes:
    """The AES input of interval j: "EN-RPI", 6 zero bytes, ENIN_j as little-endian uint32."""
    return RPI_PREFIX + struct.pack("<I", _check_interval(interval))


def padded_run(start: int, count: int) -> bytes:
    """`padded_data` of `count` consecutive intervals from `start`, concatenated."""
    if count < 0:
        raise ProtocolError("the number of intervals cannot be negative")
    _check_interval(start)
    _check_interval(start + max(count - 1, 0))
    return b"".join(RPI_PREFIX + struct.pack("<I", start + i) for i in range(count))


# The specification defines RPIs as single AES blocks of distinct, non-secret inputs: ECB is
# what it asks for, not a mistake.
_ECB = modes.ECB()  # noqa: S305


def rpis(
    rpik_: bytes, start: int, count: int = TEK_ROLLING_PERIOD, *, padded: bytes | None = None
) -> bytes:
    """The RPIs of `count` intervals from `start`, concatenated (16 bytes each).

    One AES-ECB call over all blocks: ECB encrypts each 16-byte block on its own, so this is
    exactly `count` separate RPI computations, without `count` cipher setups. `padded` may pass
    a precomputed `padded_run(start, count)` (matching reuses it for every key of a day).
    """
    data = padded if padded is not None else padded_run(start, count)
    enc = rpi_encryptor(_check_key(rpik_, "RPIK"))
    return enc.update(data) + enc.finalize()


def rpi_encryptor(rpik_: bytes) -> Any:
    """The AES-128-ECB encryptor under an RPIK that turns padded data into RPIs.

    Bulk matching calls its `update_into` to write a key's RPIs straight into a shared buffer
    (ECB keeps no state between blocks, so no `finalize` is needed); `rpik_` is not checked
    here: `rpis` checks it, and matching passes `rpik_fast` outputs, always 16 bytes.
    """
    return Cipher(algorithms.AES(rpik_), _ECB).encryptor()


def rpi(rpik_: bytes, interval: int) -> bytes:
    """The Rolling Proximity Identifier broadcast during `interval`."""
    return rpis(rpik_, interval, 1)


def metadata(tx_power: int, version: int = VERSION_1_0) -> bytes:
    """The 4 metadata bytes: version, transmit power (dBm, signed), two reserved zero bytes."""
    if not -128 <= tx_power <= 127:
        raise ProtocolError("the transmit power is a signed byte (-128 to 127 dBm)")
    return struct.pack("<Bb2x", version, tx_power)


def tx_power(metadata_: bytes) -> int:
    """The transmit power (dBm) in decrypted metadata: byte 1, signed."""
    if len(metadata_) != METADATA_LENGTH:
        raise ProtocolError(f"metadata is {METADATA_LENGTH} bytes")
    return struct.unpack_from("<b", metadata_, 1)[0]


def _ctr(aemk_: bytes, rpi_: bytes, data: bytes) -> bytes:
    if len(rpi_) != RPI_LENGTH:
        raise ProtocolError(f"an RPI is {RPI_LENGTH} bytes")
    enc = Cipher(algorithms.AES(_check_key(aemk_, "AEMK")), modes.CTR(rpi_)).encryptor()
    return enc.update(data) + enc.finalize()


def aem(aemk_: bytes, rpi_: bytes, metadata_: bytes) -> bytes:
    """Associated Encrypted Metadata: AES-128-CTR(AEMK, iv=RPI, metadata)."""
    return _ctr(aemk_, rpi_, metadata_)


def decrypt_aem(aemk_: bytes, rpi_: bytes, aem_: bytes) -> bytes:
    """The metadata inside an AEM (CTR decryption is the same operation as encryption)."""
    return _ctr(aemk_, rpi_, aem_)


@dataclass(frozen=True)
class Advertisement:
    """What a phone broadcasts during one interval: its RPI and encrypted metadata."""

    interval: int
    rpi: bytes
    aem: bytes


def advertisements(
    tek: bytes, start: int, count: int = 1, metadata_: bytes | None = None
) -> list[Advertisement]:
    """The broadcasts of `count` intervals from `start` under `tek` (default metadata: 0 dBm)."""
    meta = metadata(0) if metadata_ is None else metadata_
    if len(meta) != METADATA_LENGTH:
        raise ProtocolError(f"metadata is {METADATA_LENGTH} bytes")
    key_r, key_a = rpik(tek), aemk(tek)
    blob = rpis(key_r, start, count)
    out = []
    for i in range(count):
        r = blob[i * RPI_LENGTH : (i + 1) * RPI_LENGTH]
        out.append(Advertisement(start + i, r, aem(key_a, r, meta)))
    return out


@dataclass(frozen=True)
class TemporaryExposureKey:
    """A day's key as a phone keeps it and, once the person consents, uploads it."""

    key: bytes
    rolling_start: int
    rolling_period: int = TEK_ROLLING_PERIOD

    def __post_init__(self) -> None:
        _check_key(self.key, "Temporary Exposure Key")
        _check_interval(self.rolling_start)
        if not 1 <= self.rolling_period <= TEK_ROLLING_PERIOD:
            raise ProtocolError(f"a rolling period is 1 to {TEK_ROLLING_PERIOD} intervals")

    @classmethod
    def generate(cls, when: dt.datetime | float | int) -> TemporaryExposureKey:
        """A fresh key for the day `when` falls in."""
        return cls(new_tek(), rolling_start(interval_number(when)))

    def covers(self, interval: int) -> bool:
        return self.rolling_start <= interval < self.rolling_start + self.rolling_period

    def advertisement(self, interval: int, metadata_: bytes | None = None) -> Advertisement:
        """What the phone broadcasts during `interval`, which must lie in this key's period."""
        if not self.covers(interval):
            raise ProtocolError("that interval is outside this key's rolling period")
        return advertisements(self.key, interval, 1, metadata_)[0]
