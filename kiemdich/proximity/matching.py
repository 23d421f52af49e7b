"""Matching on the phone: which downloaded diagnosis keys did this phone hear? (No Django.)

For every diagnosis key (a confirmed case's TEK with its rolling start and period) the phone
derives the RPIs the case's phone broadcast, only for the intervals of the key's rolling period,
and looks them up in its encounter log; a sighting counts when it was heard within
`tolerance_intervals` (2 hours, the specification's allowance for clock drift) of the interval
the RPI belongs to. Each matched key is one person on one day: its sightings, their attenuation
(from the AEM decrypted with the key's AEMK) and the risk (`encounters.risk`).

Speed (bench/proximity.py): a phone checks tens of thousands of keys a day. The per-key cost is
one HKDF (`protocol.rpik_fast`: precomputed HMAC pads, no HKDF object) and one AES-ECB call
over all the period's blocks at once, written with `update_into` straight into one buffer the
whole batch shares (no bytes object per key, no join); the padded inputs of a day are made once.
The lookup of the RPIs is done for a whole batch of keys at once: one numpy gather of their low
bits in a bitmap filter (`encounters.RpiFilter`), a second bitmap for the few that pass, and
only the handful that pass both (about 1 in 4,000) are looked up exactly, so the lookup adds
little to the derivation itself. (A Python set lookup per derived RPI halves the rate; a
`searchsorted` over the whole batch costs about as much as the derivation.)

Many phones at once (`match_many`, the simulator): each key's RPIs are derived once and looked
up in one filter over every phone's log; a phone's own `match` is `match_many` of its one log,
so both go through the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import protocol
from .encounters import (
    EncounterLog,
    Risk,
    RiskConfig,
    RpiFilter,
    Sighting,
    attenuation,
    risk,
)

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


def _buffer() -> bytearray:
    """Room for a batch's RPIs; `update_into` wants a block less one byte of slack at the end."""
    return bytearray(BATCH * protocol.TEK_ROLLING_PERIOD * protocol.RPI_LENGTH + 15)


def _derive_into(batch: Sequence[DiagnosisKey], padded: _Padded, view: memoryview) -> int:
    """Every key's RPIs over its rolling period, one after the other into `view`; bytes written."""
    rpik, encryptor, get = protocol.rpik_fast, protocol.rpi_encryptor, padded.get
    offset = 0
    for k in batch:
        data = get(k.rolling_start, k.rolling_period)
        end = offset + len(data)
        encryptor(rpik(k.key)).update_into(data, view[offset : end + 15])
        offset = end
    return offset


def _batches(keys: Iterable[DiagnosisKey]) -> Iterable[list[DiagnosisKey]]:
    batch: list[DiagnosisKey] = []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def derive_only(keys: Iterable[DiagnosisKey]) -> int:
    """The bare derivation matching does, without any lookup: the benchmark's baseline.

    Returns the number of RPIs derived (so the work cannot be skipped as unused).
    """
    padded, buffer = _Padded(), _buffer()
    view = memoryview(buffer)
    return sum(_derive_into(b, padded, view) for b in _batches(keys)) // protocol.RPI_LENGTH


class _Index:
    """The filter over the logs' RPIs and, for an RPI that passed it, which logs hold it."""

    def __init__(self, logs: Sequence[EncounterLog]) -> None:
        self._logs = logs
        self._holders: dict[bytes, list[int]] | None = None
        if len(logs) == 1:
            # A phone's own log keeps its filter between calls (`EncounterLog.index`).
            self.filter = logs[0].index()
            return
        holders: dict[bytes, list[int]] = {}
        for number, log in enumerate(logs):
            for rpi in log:
                holders.setdefault(rpi, []).append(number)
        self._holders = holders
        self.filter = RpiFilter(b"".join(holders))

    def holders(self, rpi: bytes) -> Sequence[int]:
        if self._holders is None:
            return (0,) if rpi in self._logs[0] else ()
        return self._holders.get(rpi, ())


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


def match_many(
    keys: Iterable[DiagnosisKey],
    logs: Sequence[EncounterLog],
    config: RiskConfig | None = None,
    *,
    tolerance_intervals: int = TOLERANCE_INTERVALS,
) -> list[list[Exposure]]:
    """For each log, its exposures to any of `keys`, in the order of the keys.

    Each key's RPIs are derived once for all the logs: what a phone does with its own log
    (`match`), done for a whole simulated district at the cost of one phone.
    """
    config = config or RiskConfig()
    results: list[list[Exposure]] = [[] for _ in logs]
    index = _Index(logs)
    if index.filter.empty:
        return results
    padded, buffer = _Padded(), _buffer()
    view = memoryview(buffer)
    size = protocol.RPI_LENGTH
    for batch in _batches(keys):
        used = _derive_into(batch, padded, view)
        candidates = index.filter.candidates(buffer, used // size)
        if not len(candidates):
            continue
        ends = np.cumsum([k.rolling_period for k in batch])
        owners = np.searchsorted(ends, candidates, side="right")
        hits: dict[tuple[int, int], list[tuple[int, bytes]]] = {}
        for h, owner in zip(candidates.tolist(), owners.tolist(), strict=True):
            rpi = bytes(buffer[h * size : (h + 1) * size])
            holders = index.holders(rpi)
            if not holders:
                continue  # passed the filter by chance
            key = batch[owner]
            interval = key.rolling_start + h - (int(ends[owner]) - key.rolling_period)
            for number in holders:
                hits.setdefault((number, owner), []).append((interval, rpi))
        for number, owner in sorted(hits):
            exposure = _exposure(
                batch[owner], hits[(number, owner)], logs[number], config, tolerance_intervals
            )
            if exposure is not None:
                results[number].append(exposure)
    return results


def match(
    keys: Iterable[DiagnosisKey],
    log: EncounterLog,
    config: RiskConfig | None = None,
    *,
    tolerance_intervals: int = TOLERANCE_INTERVALS,
) -> list[Exposure]:
    """The exposures in `log` to any of `keys`, in the order of the keys."""
    return match_many(keys, [log], config, tolerance_intervals=tolerance_intervals)[0]
