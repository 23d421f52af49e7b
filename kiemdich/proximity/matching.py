"""Matching on the phone: which downloaded diagnosis keys did this phone hear? (No Django.)

For every diagnosis key (a confirmed case's TEK with its rolling start and period) the phone
derives the RPIs the case's phone broadcast, only for the intervals of the key's rolling period,
and looks them up in its encounter log; a sighting counts when it was heard within
`tolerance_intervals` (2 hours, the specification's allowance for clock drift) of the interval
the RPI belongs to. Each matched key is one person on one day: its sightings, their attenuation
(from the AEM decrypted with the key's AEMK) and the risk (`encounters.risk`).

Speed (bench/proximity.py): a phone checks tens of thousands of keys a day. The per-key cost is
one HKDF and one AES-ECB call over all the period's blocks at once; the lookup of the RPIs is
done for a whole batch of keys at once: one numpy gather of their low bits in the log's bitmap
filter (`EncounterLog.index`), and only the few that pass (about 1 in 64) are looked up exactly,
so the lookup adds little to the derivation itself. (A Python set lookup per derived RPI
halves the rate; a `searchsorted` over the whole batch costs about as much as the derivation.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import protocol
from .encounters import EncounterLog, Risk, RiskConfig, Sighting, attenuation, risk

#: A sighting counts within this many intervals of its RPI's interval (2 hours).
TOLERANCE_INTERVALS = 12
#: Keys derived before each vectorised lookup: big enough to spread numpy's call overhead,
#: small enough to keep the batch's RPIs (BATCH × 144 × 16 bytes = 1.2 MB) near the cache.
BATCH = 512


@dataclass(frozen=True)
class DiagnosisKey:
    """A confirmed case's uploaded TEK, as an export file carries it."""

    key: bytes
    rolling_start: int
    rolling_period: int = protocol.TEK_ROLLING_PERIOD
    transmission_risk: int = 0
    days_since_onset: int | None = None

    def __post_init__(self) -> None:
        # The same checks as a phone's own key: 16 bytes, a 32-bit start, a period of 1-144.
        protocol.TemporaryExposureKey(self.key, self.rolling_start, self.rolling_period)


@dataclass(frozen=True)
class Contact:
    """A sighting of a diagnosis key's RPI, with what the key's AEMK revealed."""

    sighting: Sighting
    #: The interval the RPI was broadcast for (the key's rolling start + its index).
    interval: int
    tx_power: int
    attenuation: int


@dataclass(frozen=True)
class Exposure:
    """One confirmed case heard on one day (one diagnosis key) and how risky it was."""

    key: DiagnosisKey
    contacts: tuple[Contact, ...]
    risk: Risk


class _Padded:
    """`protocol.padded_run` per (rolling start, period), computed once: keys share their days."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], bytes] = {}

    def get(self, start: int, period: int) -> bytes:
        found = self._cache.get((start, period))
        if found is None:
            found = self._cache[(start, period)] = protocol.padded_run(start, period)
        return found


def _derive(keys: Sequence[DiagnosisKey], padded: _Padded) -> list[bytes]:
    """Every key's RPIs over its rolling period: HKDF, then one AES-ECB call per key."""
    rpik, rpis, get = protocol.rpik_fast, protocol.rpis, padded.get
    return [
        rpis(
            rpik(k.key),
            k.rolling_start,
            k.rolling_period,
            padded=get(k.rolling_start, k.rolling_period),
        )
        for k in keys
    ]


def derive_only(keys: Iterable[DiagnosisKey]) -> int:
    """The bare derivation matching does, without any lookup: the benchmark's baseline.

    Returns the number of RPIs derived (so the work cannot be skipped as unused).
    """
    padded = _Padded()
    total = 0
    batch: list[DiagnosisKey] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            total += sum(len(b) for b in _derive(batch, padded)) // protocol.RPI_LENGTH
            batch = []
    if batch:
        total += sum(len(b) for b in _derive(batch, padded)) // protocol.RPI_LENGTH
    return total


def _batches(keys: Iterable[DiagnosisKey]) -> Iterable[list[DiagnosisKey]]:
    batch: list[DiagnosisKey] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _exposure(
    key: DiagnosisKey,
    found: list[tuple[int, bytes]],
    log: EncounterLog,
    config: RiskConfig,
    tolerance: int,
) -> Exposure | None:
    """The exposure of one key from its (interval, RPI) hits, or None if no sighting fits."""
    aemk = protocol.aemk(key.key)
    contacts = []
    for interval, rpi in found:
        for s in log.sightings_of(rpi):
            if abs(s.interval - interval) > tolerance:
                continue
            power = protocol.tx_power(protocol.decrypt_aem(aemk, rpi, s.aem))
            contacts.append(Contact(s, interval, power, attenuation(power, s.rssi)))
    if not contacts:
        return None
    contacts.sort(key=lambda c: c.sighting.time)
    score = risk(
        ((c.sighting.time, c.attenuation) for c in contacts), config, key.transmission_risk
    )
    return Exposure(key, tuple(contacts), score)


def match(
    keys: Iterable[DiagnosisKey],
    log: EncounterLog,
    config: RiskConfig | None = None,
    *,
    tolerance_intervals: int = TOLERANCE_INTERVALS,
) -> list[Exposure]:
    """The exposures in `log` to any of `keys`, in the order of the keys."""
    config = config or RiskConfig()
    if not len(log):
        return []
    bitmap, mask = log.index()
    padded = _Padded()
    exposures: list[Exposure] = []
    size = protocol.RPI_LENGTH
    for batch in _batches(keys):
        joined = b"".join(_derive(batch, padded))
        candidates = np.flatnonzero(bitmap[np.frombuffer(joined, dtype="<u8")[::2] & mask])
        if not len(candidates):
            continue
        ends = np.cumsum([k.rolling_period for k in batch])
        owners = np.searchsorted(ends, candidates, side="right")
        per_key: dict[int, list[tuple[int, bytes]]] = {}
        for h, owner in zip(candidates.tolist(), owners.tolist(), strict=True):
            rpi = joined[h * size : (h + 1) * size]
            if rpi not in log:
                continue  # passed the filter by chance
            key = batch[owner]
            index = h - (int(ends[owner]) - key.rolling_period)
            per_key.setdefault(owner, []).append((key.rolling_start + index, rpi))
        for owner in sorted(per_key):
            exposure = _exposure(batch[owner], per_key[owner], log, config, tolerance_intervals)
            if exposure is not None:
                exposures.append(exposure)
    return exposures
