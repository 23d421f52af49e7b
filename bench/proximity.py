"""Close-contact matching on a phone (issue 16: >= 60,000 keys/s on one core, >= 0.5x bare).

What is timed is `kiemdich.proximity.matching.match`: a phone's whole check of downloaded
diagnosis keys against its encounter log, here a 14-day log of 20,000 observed identifiers
(Rolling Proximity Identifiers heard at random moments of the 14 days). Every key is one day of
a confirmed case, as an export file carries it (a rolling start at a UTC midnight of those 14
days, a period of 144 intervals).

The baseline, on the same keys in the same run: `matching.derive_only`, the bare derivation
(one HKDF and 144 AES blocks per key, no lookup); what no matching can avoid. Bare and matching
runs alternate, several rounds, and the medians are compared, so a neighbour busy on the
machine for a moment lowers both alike. The process is pinned to one CPU while it measures
(where the system allows it), since the target is per core.

A check: `PLANTED` of the keys were heard (each three times, inside the log's noise), and the
matching must find exactly those keys, with every planted sighting: a fast matcher that misses
a contact is no figure.

The simulator (`proximity.simulation`) is measured too: 10,000 people for 14 days, the whole
sweep of adoption 10 % to 90 % that `kiemdich proximity simulate` runs by default,
extrapolated linearly to the 100,000 people the target is set for (< 10 minutes): the work
grows with the number of people, their confirmed cases (0.5 % of them) and their encounters.
(One run of 100,000 people took 228 s on the 2-core machine, about what the line predicts.)

No database: `python -m bench.proximity [KEYS]` runs it alone and prints its lines.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .common import Figure, Options, log, median

if TYPE_CHECKING:
    from .data import Dataset

KEYS = 100_000
IDENTIFIERS = 20_000
PLANTED = 50
ROUNDS = 5
TARGET_KEYS_PER_S = 60_000
TARGET_RATIO = 0.5
#: 2021-08-06 00:00 UTC, a UTC midnight: the first of the log's 14 days.
FIRST_DAY = 1_628_208_000 // 600
DAYS = 14
SIM_PEOPLE = 10_000
SIM_TARGET_PEOPLE = 100_000
SIM_TARGET_S = 600.0


@contextlib.contextmanager
def one_cpu() -> Iterator[str]:
    """Run the block on one CPU (the one this process last ran on); yields what was done."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned (no sched_setaffinity)"
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield f"pinned to CPU {cpu}"
    finally:
        os.sched_setaffinity(0, before)


def workload(count: int):
    """`count` diagnosis keys, a 14-day log of `IDENTIFIERS` RPIs, and the planted contacts."""
    from kiemdich.proximity import protocol
    from kiemdich.proximity.encounters import EncounterLog
    from kiemdich.proximity.matching import DiagnosisKey

    keys = [
        DiagnosisKey(secrets.token_bytes(16), (FIRST_DAY + i % DAYS) * protocol.TEK_ROLLING_PERIOD)
        for i in range(count)
    ]
    encounter_log = EncounterLog()
    planted: dict[bytes, list] = {}
    step = max(1, count // PLANTED)
    for key in keys[::step][:PLANTED]:
        heard = []
        for _ in range(3):
            interval = key.rolling_start + secrets.randbelow(key.rolling_period)
            ad = protocol.advertisements(key.key, interval, 1, protocol.metadata(-8))[0]
            at = interval * protocol.INTERVAL_SECONDS + secrets.randbelow(600)
            heard.append(encounter_log.add(ad.rpi, ad.aem, at, -70))
        planted[key.key] = heard
    first = FIRST_DAY * protocol.TEK_ROLLING_PERIOD * protocol.INTERVAL_SECONDS
    while encounter_log.identifiers < IDENTIFIERS:
        at = first + secrets.randbelow(DAYS * 86_400)
        encounter_log.add(secrets.token_bytes(16), secrets.token_bytes(4), at, -75)
    return keys, encounter_log, planted


def measure_matching(count: int = KEYS) -> list[Figure]:
    from kiemdich.proximity.matching import derive_only, match

    keys, encounter_log, planted = workload(count)
    encounter_log.index()  # the phone builds its filter once per log change, not per download
    bare: list[float] = []
    rates: list[float] = []
    found = []
    with one_cpu() as pinned:
        derive_only(keys[:2000])
        for _ in range(ROUNDS):
            start = time.perf_counter()
            derive_only(keys)
            bare.append(count / (time.perf_counter() - start))
            start = time.perf_counter()
            found = match(keys, encounter_log)
            rates.append(count / (time.perf_counter() - start))
    got = {e.key.key: [c.sighting for c in e.contacts] for e in found}
    want = {key: sorted(heard, key=lambda s: s.time) for key, heard in planted.items()}
    ok = got == want
    log(
        f"  {count:,} keys against {encounter_log.identifiers:,} identifiers ({pinned}): "
        f"matching {median(rates):,.0f} keys/s, bare derivation {median(bare):,.0f} keys/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)}); found {len(got)} of "
        f"{len(want)} planted"
    )
    return [
        Figure(
            name=f"matching {count:,} keys, 14-day log of {IDENTIFIERS:,} identifiers, one core",
            unit="keys/s",
            median=median(rates),
            p90=_low_decile(rates),
            baseline=median(bare),
            baseline_label="bare derivation (HKDF + 144 AES)",
            target=TARGET_KEYS_PER_S,
            higher_is_better=True,
            ratio_target=TARGET_RATIO,
        ),
        Figure.check(
            "matching finds exactly the planted contacts", ok, against="the planted sightings"
        ),
    ]


def _low_decile(rates: list[float]) -> float:
    """The rate 90 % of the rounds reached (for a rate, the slow tail is the low one)."""
    if len(rates) < 2:
        return rates[0]
    return statistics.quantiles(rates, n=10, method="inclusive")[0]


def measure_simulator(people: int = SIM_PEOPLE) -> list[Figure]:
    from kiemdich.proximity import simulation

    start = time.perf_counter()
    result = simulation.simulate(simulation.Scenario(people=people, days=14, seed=1))
    seconds = time.perf_counter() - start
    extrapolated = seconds * SIM_TARGET_PEOPLE / people
    shares = ", ".join(f"{p.share('bluetooth'):.0%}" for p in result.points)
    log(
        f"  simulator: {people:,} people x 14 days, adoption 10-90 %, in {seconds:.1f} s "
        f"({result.points[0].true_contacts:,} true close contacts; Bluetooth found {shares}); "
        f"{SIM_TARGET_PEOPLE:,} people about {extrapolated:.0f} s"
    )
    return [
        Figure(
            name=f"simulator sweep, {SIM_TARGET_PEOPLE:,} people x 14 days (from {people:,})",
            unit="s",
            median=extrapolated,
            target=SIM_TARGET_S,
        )
    ]


def measure(count: int = KEYS) -> list[Figure]:
    return [*measure_matching(count), *measure_simulator()]


def run(dataset: Dataset, options: Options) -> list[Figure]:
    """The benchmark as `python -m bench` calls it; the database is not used."""
    return measure()


def main(argv: list[str]) -> int:
    from .summary import text_table

    figures = measure(int(argv[0]) if argv else KEYS)
    print(text_table(figures), end="")
    return 0 if all(f.passed or not f.is_check for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
