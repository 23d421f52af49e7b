"""A phone's encounter log and the risk of what it saw (no Django: runs on a device).

The log keeps what the phone heard over Bluetooth: the other phone's Rolling Proximity Identifier
(RPI), its still-encrypted metadata (AEM), when, and how strong the signal was (RSSI). It is kept
14 days: older sightings cannot matter (a diagnosis key is published for at most 14 days) and a
log that only grows is a record of a person's life nobody asked for.

The transmit power is inside the AEM, which only the key of a confirmed case can decrypt, so the
**attenuation** (transmit power − RSSI, in dB: how much signal was lost on the way, the
specification's proxy for distance) is known only after a match; `risk` takes it from there.

**Thresholds.** Attenuation falls into three buckets at `RiskConfig.thresholds_db`, by default
55 and 63 dB, the thresholds the German, Swiss and other GAEN apps used from the calibration
measurements of the Fraunhofer IIS (Corona-Warn-App): below 55 dB is "close" (about 1.5 m or
nearer), 55-63 dB "medium" (about 1.5-3 m), 63 dB and above "far". Bluetooth distance is
rough (a body, a pocket or a bag changes it by 10 dB), so no single number means "2 m"; the
default weights count close minutes fully, medium minutes half and far minutes not at all, and a
contact is at risk from 15 weighted minutes in a day: "within about 2 m for at least 15 minutes".
Every number is a `RiskConfig` field so a health authority can set its own.

**Duration.** A phone scans about every 5 minutes (`scan_interval_seconds`), so one sighting
stands for the time since the previous sighting of the same person that day, at most one scan
interval; the first stands for one scan interval. A single sighting therefore counts 5 minutes,
never a contact by itself (Bluezone counted one sighting as contact).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from . import protocol

RETENTION_DAYS = 14
DAY_SECONDS = 86_400

#: Names of the attenuation buckets, nearest first.
BUCKETS = ("close", "medium", "far")


@dataclass(frozen=True)
class Sighting:
    """One advertisement heard: the RPI, its encrypted metadata, when (Unix seconds), RSSI (dBm)."""

    rpi: bytes
    aem: bytes
    time: int
    rssi: int

    @property
    def interval(self) -> int:
        return protocol.interval_number(self.time)


class EncounterLog:
    """The sightings of the last `retention_days` days, indexed by RPI.

    `index()` gives matching a bitmap filter of the identifiers, so that looking up a whole
    batch of derived RPIs is one numpy call.
    """

    def __init__(self, retention_days: int = RETENTION_DAYS) -> None:
        if retention_days < 1:
            raise ValueError("the log keeps at least one day")
        self.retention_days = retention_days
        self._by_rpi: dict[bytes, list[Sighting]] = {}
        self._count = 0
        self._index: RpiFilter | None = None

    def add(self, rpi: bytes, aem: bytes, time: int, rssi: int) -> Sighting:
        """Log one advertisement heard at `time` (Unix seconds) with signal strength `rssi`."""
        if len(rpi) != protocol.RPI_LENGTH:
            raise protocol.ProtocolError(f"an RPI is {protocol.RPI_LENGTH} bytes")
        if len(aem) != protocol.METADATA_LENGTH:
            raise protocol.ProtocolError(f"an AEM is {protocol.METADATA_LENGTH} bytes")
        sighting = Sighting(bytes(rpi), bytes(aem), int(time), int(rssi))
        self._by_rpi.setdefault(sighting.rpi, []).append(sighting)
        self._count += 1
        self._index = None
        return sighting

    def expire(self, now: int) -> int:
        """Drop every sighting older than `retention_days` before `now`; how many went."""
        horizon = int(now) - self.retention_days * DAY_SECONDS
        kept: dict[bytes, list[Sighting]] = {}
        count = 0
        for rpi, sightings in self._by_rpi.items():
            fresh = [s for s in sightings if s.time >= horizon]
            if fresh:
                kept[rpi] = fresh
                count += len(fresh)
        dropped = self._count - count
        if dropped:
            self._by_rpi, self._count, self._index = kept, count, None
        return dropped

    def __len__(self) -> int:
        return self._count

    @property
    def identifiers(self) -> int:
        """How many distinct RPIs the log holds."""
        return len(self._by_rpi)

    def sightings(self) -> Iterable[Sighting]:
        for sightings in self._by_rpi.values():
            yield from sightings

    def sightings_of(self, rpi: bytes) -> list[Sighting]:
        return list(self._by_rpi.get(rpi, ()))

    def __contains__(self, rpi: object) -> bool:
        return rpi in self._by_rpi

    def __iter__(self) -> Iterator[bytes]:
        """The distinct RPIs the log holds."""
        return iter(self._by_rpi)

    def rpis(self) -> bytes:
        """Every distinct RPI the log holds, concatenated (16 bytes each)."""
        return b"".join(self._by_rpi)

    def index(self) -> RpiFilter:
        """A filter of the logged RPIs for vectorised lookups (`RpiFilter` of `rpis()`).

        Built once, rebuilt only after the log changed.
        """
        if self._index is None:
            self._index = RpiFilter(self.rpis())
        return self._index


class RpiFilter:
    """A filter of a set of RPIs that sifts a whole batch of derived RPIs in a few numpy calls.

    Two bitmaps, each with 64 slots per identifier (at least 2**16, at most 2**26), indexed by
    two different 32-bit words of the RPI (bytes 0-3 and 4-7, little-endian): every RPI of the
    set passes both; another passes the first with a chance of about 1 in 64 and both with about
    1 in 4,000, so only a handful per batch are then looked up exactly (a dict lookup each).
    RPIs are AES outputs, so all their bits are uniform. The second bitmap is consulted only for
    the few that passed the first, which keeps the cost of the filter at one gather of 32-bit
    words over the batch. One phone's log and the simulator's many logs at once
    (`matching.match_many`) use this same filter.
    """

    def __init__(self, rpis: bytes) -> None:
        identifiers = len(rpis) // protocol.RPI_LENGTH
        bits = min(26, max(16, (identifiers * 64).bit_length()))
        self.mask = np.uint32((1 << bits) - 1)
        self.low = np.zeros(1 << bits, dtype=bool)
        self.high = np.zeros(1 << bits, dtype=bool)
        self.empty = identifiers == 0
        if identifiers:
            words = np.frombuffer(rpis, dtype="<u4")
            self.low[words[0::4] & self.mask] = True
            self.high[words[1::4] & self.mask] = True

    def candidates(self, rpis: bytes | bytearray, count: int) -> np.ndarray:
        """Positions (in RPIs) among the first `count` RPIs of `rpis` that may be in the set."""
        words = np.frombuffer(rpis, dtype="<u4", count=4 * count)
        first = np.flatnonzero(self.low[words[0::4] & self.mask])
        return first[self.high[words[1::4][first] & self.mask]]


@dataclass(frozen=True)
class RiskConfig:
    """The documented, configurable thresholds of the risk score (see the module docstring)."""

    #: Attenuation (dB) where "close" ends and where "medium" ends.
    thresholds_db: tuple[int, int] = (55, 63)
    #: Weight of a minute in each bucket (close, medium, far).
    weights: tuple[float, float, float] = (1.0, 0.5, 0.0)
    #: How long one sighting stands for at most: the phones' scan interval.
    scan_interval_seconds: int = 300
    #: Weighted minutes in a day from which a contact is at risk.
    minimum_minutes: float = 15.0
    #: Factor of each transmission risk level of a diagnosis key; a level not listed counts 1.
    transmission_risk_weights: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        low, high = self.thresholds_db
        if not low <= high:
            raise ValueError("the attenuation thresholds must be in increasing order")
        if len(self.weights) != len(BUCKETS) or any(w < 0 for w in self.weights):
            raise ValueError("give one non-negative weight per bucket")
        if self.scan_interval_seconds <= 0 or self.minimum_minutes < 0:
            raise ValueError("the scan interval is positive and the minimum not negative")

    def bucket(self, attenuation: int) -> int:
        """0 (close), 1 (medium) or 2 (far)."""
        low, high = self.thresholds_db
        if attenuation < low:
            return 0
        return 1 if attenuation < high else 2


@dataclass(frozen=True)
class Risk:
    """The risk of one person's sightings in one day."""

    #: Minutes in each bucket (close, medium, far).
    minutes: tuple[float, float, float]
    #: Sum of minutes × bucket weight × transmission risk factor.
    score: float
    at_risk: bool


def attenuation(tx_power: int, rssi: int) -> int:
    """Signal lost on the way, in dB: the transmit power minus the strength received."""
    return tx_power - rssi


def risk(
    observations: Iterable[tuple[int, int]],
    config: RiskConfig | None = None,
    transmission_risk: int = 0,
) -> Risk:
    """The risk of (time, attenuation) observations of one person in one day."""
    config = config or RiskConfig()
    minutes = [0.0, 0.0, 0.0]
    previous: int | None = None
    for time, att in sorted(observations):
        span = config.scan_interval_seconds
        if previous is not None:
            span = min(span, time - previous)
        previous = time
        minutes[config.bucket(att)] += span / 60
    factor = config.transmission_risk_weights.get(transmission_risk, 1.0)
    score = factor * sum(m * w for m, w in zip(minutes, config.weights, strict=True))
    return Risk(tuple(minutes), score, score >= config.minimum_minutes)
