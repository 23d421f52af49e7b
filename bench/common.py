"""What every benchmark shares: timing, progress lines and the figures they return.

Kept free of Django so the poster child process and the header can use it before (or without)
`django.setup()`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def log(message: str) -> None:
    """A progress line; flushed at once so a slow step shows where it is, also through make."""
    print(message, flush=True)


@contextmanager
def step(label: str) -> Iterator[None]:
    """Print `label` and, when the block ends, how long it took (so slow setup is visible)."""
    start = time.perf_counter()
    print(f"  {label} …", end="", flush=True)
    try:
        yield
    except BaseException:
        print(" failed", flush=True)
        raise
    print(f" {time.perf_counter() - start:.1f} s", flush=True)


def timed_ms(fn: Callable[[], object], runs: int, warmup: int) -> list[float]:
    """Wall-clock milliseconds of `runs` calls of `fn`, after `warmup` untimed calls.

    Warm-up calls fill PostgreSQL's buffer cache and Django's connection and statement state, so
    the samples describe the steady state a busy server is in, not the first request after boot.
    """
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p90(samples: list[float]) -> float:
    """The 90th percentile; with few samples it interpolates rather than picking the maximum."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


#: `Figure.unit` of a correctness check: the value is 1 (agrees) or 0 (differs).
CHECK = "check"


@dataclass(frozen=True)
class Figure:
    """One line of the results table: a measured value, its baseline and its target(s).

    Times are better lower (`median < target`); rates set `higher_is_better` and pass at or
    above the target. `ratio_target` is a target on `median / baseline` as well (the single
    scans' share of `GET /health`, F1 against its self-join), in the same direction. `errors`
    counts failed requests of a load test: any makes it a MISS, whatever the rate, since a target
    "with no error" is not met by a fast server that fails. `Figure.check` makes the line of a
    correctness check (the figures agree with a direct count), which passes or fails.
    `benchmark` is the module that measured it; `python -m bench` fills it in.
    """

    name: str
    unit: str
    median: float
    target: float
    p90: float | None = None
    baseline: float | None = None
    baseline_label: str = ""
    higher_is_better: bool = False
    errors: int = 0
    ratio_target: float | None = None
    benchmark: str = ""

    @classmethod
    def check(cls, name: str, ok: bool, against: str = "") -> Figure:
        """A correctness check: `name` agrees with `against` (e.g. "count(*) of check-ins")."""
        return cls(
            name=name,
            unit=CHECK,
            median=1.0 if ok else 0.0,
            target=1.0,
            baseline_label=against,
            higher_is_better=True,
        )

    @property
    def is_check(self) -> bool:
        return self.unit == CHECK

    def _meets(self, value: float, target: float) -> bool:
        return value >= target if self.higher_is_better else value < target

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.median / self.baseline

    @property
    def misses(self) -> list[str]:
        """Why it is a MISS ("value", "ratio", "N errors"); empty when it passes."""
        reasons = []
        if not self._meets(self.median, self.target):
            reasons.append("value")
        if self.ratio_target is not None and (
            self.ratio is None or not self._meets(self.ratio, self.ratio_target)
        ):
            reasons.append("ratio")
        if self.errors:
            reasons.append(f"{self.errors:,} errors")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.misses


@dataclass(frozen=True)
class Options:
    """Command-line choices every benchmark may read."""

    venues: int = 20_000
    checkins: int = 2_000_000
    explain: bool = False
    #: Length of each load test of the `scans` benchmark (the issue's target says 30 s).
    scan_seconds: int = 30
    #: gunicorn workers for `scans`; None: the production default, scans.default_workers().
    scan_workers: int | None = None
