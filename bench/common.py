"""What every benchmark shares: timing, progress lines and the results table.

Kept free of Django so the poster child process and the header can use it before (or without)
`django.setup()`.
"""

from __future__ import annotations

import statistics
import sys
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


@dataclass(frozen=True)
class Figure:
    """One line of the results table: a measured value against its target.

    Times are better lower (`median < target`); rates set `higher_is_better` and pass at or
    above the target. `errors` counts failed requests of a load test: any makes it a MISS,
    whatever the rate, since a target "with no error" is not met by a fast server that fails.
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

    @property
    def passed(self) -> bool:
        if self.errors:
            return False
        return self.median >= self.target if self.higher_is_better else self.median < self.target

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.median / self.baseline


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "%":
        return f"{value:.0f} %"
    return f"{value:,.0f} {unit}"


def print_table(figures: list[Figure], file=sys.stdout) -> None:
    """The results as a plain-text table; the baseline column says what was measured."""
    header = ("figure", "median", "p90", "baseline median", "ratio", "target", "result")
    rows = [
        (
            f.name,
            _num(f.median, f.unit),
            _num(f.p90, f.unit),
            f"{_num(f.baseline, f.unit)}{f' ({f.baseline_label})' if f.baseline_label else ''}"
            if f.baseline is not None
            else "–",
            f"{f.ratio:.2f}x" if f.ratio is not None else "–",
            f"{'≥' if f.higher_is_better else '<'} {_num(f.target, f.unit)}",
            "PASS" if f.passed else f"MISS ({f.errors:,} errors)" if f.errors else "MISS",
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    print(line(header), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in rows:
        print(line(row), file=file)
    file.flush()


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
