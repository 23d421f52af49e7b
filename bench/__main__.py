"""`python -m bench [names...]`: run all benchmarks, or the named ones, and print the figures.

Normally started by `make bench`, whose scripts/testdb.py provides DATABASE_URL (a local
PostgreSQL or a throw-away one). Only that URL's server and login are used: the data goes into a
database of its own, `kiemdich_bench`, dropped and recreated first, so the developer's data is
never read or written and every run starts from the same state.

It ends with one table of every figure, its baseline, ratio, target and PASS/MISS
(bench/summary.py), also written as Markdown with the machine to bench/latest.md (`--markdown`);
a whole run at the default sizes also refreshes the table in README.md.

Exit status: 0 when every benchmark ran and every correctness check agreed (whether or not the
times met their targets: times depend on the machine, so a MISS is information, not a failure),
1 when one raised or a check found a mismatch, 2 without PostgreSQL, 3 on a MISS with `--strict`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import psycopg

from . import BENCH_DB
from .common import Figure, Options, log
from .db import NotPostgres, Server, recreate_bench_db
from .summary import (
    Machine,
    exit_status,
    markdown_block,
    markdown_report,
    replace_readme_block,
    text_table,
    write_markdown,
)

#: In the order they run: `scans` last of those sharing the data, so its own random draws never
#: change the others' data; `tracing` after it, since its 2 M check-ins of its own would change
#: the table the load tests write to; `adoption` after them, since it loads every province's
#: units; `exports` (GAEN export files, in memory, no database) and `proximity` (matching on a
#: phone and the simulator, no database either); `hotline` (1 M tickets of the province, its own
#: tables) and `monitoring` (200,000 people under quarantine, its own people and units) at the end.
NAMES = (
    "checkpoints",
    "posters",
    "scans",
    "tracing",
    "adoption",
    "exports",
    "proximity",
    "hotline",
    "monitoring",
)
ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "latest.md"
README = ROOT / "README.md"
TRACING_SCALE = 1.0
INSTALLS = 10_000_000
MONITORED = 200_000
HOTLINE_TICKETS = 1_000_000


@dataclass(frozen=True)
class Run:
    """What the command line asked for."""

    names: list[str]
    options: Options
    tracing_scale: float
    installs: int
    monitored: int
    strict: bool
    markdown: Path | None
    hotline_tickets: int = HOTLINE_TICKETS

    @property
    def whole(self) -> bool:
        """Every benchmark at its default size: the run README.md shows."""
        sizes = replace(self.options, explain=False) == Options()
        return (
            list(self.names) == list(NAMES)
            and sizes
            and self.tracing_scale == TRACING_SCALE
            and self.installs == INSTALLS
            and self.monitored == MONITORED
            and self.hotline_tickets == HOTLINE_TICKETS
        )


def parse_args(argv: list[str]) -> Run:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of {', '.join(NAMES)}")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the statements under test even when they meet their targets",
    )
    parser.add_argument("--venues", type=int, default=Options.venues, help="default %(default)s")
    parser.add_argument(
        "--checkins", type=int, default=Options.checkins, help="default %(default)s"
    )
    parser.add_argument(
        "--scan-seconds",
        type=int,
        default=Options.scan_seconds,
        help="length of each load test of `scans`, default %(default)s",
    )
    parser.add_argument(
        "--scan-workers",
        type=int,
        default=None,
        help="gunicorn workers for `scans`, default 2 per usable CPU",
    )
    parser.add_argument(
        "--tracing-scale",
        type=float,
        default=TRACING_SCALE,
        help="fraction of `tracing`'s venues, people and check-ins, default %(default)s",
    )
    parser.add_argument(
        "--installs",
        type=int,
        default=INSTALLS,
        help="registered installs of `adoption`, default %(default)s",
    )
    parser.add_argument(
        "--monitored",
        type=int,
        default=MONITORED,
        help="people under monitoring in `monitoring`, default %(default)s",
    )
    parser.add_argument(
        "--hotline-tickets",
        type=int,
        default=HOTLINE_TICKETS,
        help="tickets of `hotline`, default %(default)s",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 3 when a figure misses its target (by default a MISS is only shown)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        default=None,
        help="write the results table as Markdown here; default bench/latest.md for a run of "
        "every benchmark at the default sizes, none otherwise",
    )
    args = parser.parse_args(argv)
    if args.installs < 1:
        parser.error("--installs must be at least 1")
    if args.monitored < 1:
        parser.error("--monitored must be at least 1")
    if args.hotline_tickets < 1:
        parser.error("--hotline-tickets must be at least 1")
    if not 0 < args.tracing_scale <= 1:
        parser.error("--tracing-scale must be more than 0 and at most 1")
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    names = [n for n in NAMES if n in args.names] or list(NAMES)
    options = Options(
        venues=args.venues,
        checkins=args.checkins,
        explain=args.explain,
        scan_seconds=args.scan_seconds,
        scan_workers=args.scan_workers,
    )
    run = Run(
        names,
        options,
        args.tracing_scale,
        args.installs,
        args.monitored,
        args.strict,
        args.markdown,
        args.hotline_tickets,
    )
    if run.markdown is None and run.whole:
        run = replace(run, markdown=LATEST)
    return run


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB RAM"
    except OSError:
        pass
    return "RAM unknown"


def machine(server: Server) -> Machine:
    """Machine and server facts, so figures from different runs can be compared fairly."""
    import django
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        pg_settings = []
        for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit"):
            cur.execute(f"SHOW {name}")
            pg_settings.append(f"{name}={cur.fetchone()[0]}")
    cpus = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return Machine(
        date=f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        cpus=cpus,
        usable_cpus=usable,
        cpu_model=_cpu_model(),
        memory=_memory_gib(),
        system=f"{platform.system()} {platform.release()}",
        software=(
            f"Python {platform.python_version()}, Django {django.get_version()}, "
            f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"
        ),
        postgres=f"{version} on {server.where}, database {BENCH_DB}",
        postgres_settings=", ".join(pg_settings),
    )


def print_header(facts: Machine) -> None:
    log(f"kiemdich benchmarks, {facts.date}")
    for label, text in facts.lines():
        log(f"  {label + ':':<11} {text}")


def setup_django(server: Server) -> None:
    """Point Django at the bench database, set it up and migrate it, quietly."""
    os.environ["DATABASE_URL"] = server.url_for(BENCH_DB)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str]) -> int:
    run = parse_args(argv)
    names, options = run.names, run.options
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-bench-only-not-secret-bench-only")
    os.environ.setdefault("KIEMDICH_QR_SIGNING_KEY", "bench-only-qr-signing-key-0123456789")
    # DEBUG makes Django record every query and serve a slower static files storage; measure
    # the production configuration whatever the developer's shell has.
    os.environ["DEBUG"] = "0"
    try:
        server = Server.from_url(os.environ.get("DATABASE_URL"))
    except NotPostgres as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    try:
        recreate_bench_db(server)
    except psycopg.Error as exc:
        print(
            f"bench: cannot (re)create database {BENCH_DB!r} on {server.where}: {exc}",
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    setup_django(server)
    facts = machine(server)
    print_header(facts)

    from . import (
        adoption,
        checkpoints,
        exports,
        hotline,
        monitoring,
        posters,
        proximity,
        scans,
        tracing,
    )
    from .data import Dataset

    benchmarks: dict[str, Callable[[Dataset, Options], list[Figure]]] = {
        "checkpoints": checkpoints.run,
        "posters": posters.run,
        "scans": scans.run,
        "tracing": partial(tracing.run, scale=run.tracing_scale),
        "adoption": partial(adoption.run, installs=run.installs),
        "exports": exports.run,
        "monitoring": partial(monitoring.run, people=run.monitored),
        "proximity": proximity.run,
        "hotline": partial(hotline.run, tickets=run.hotline_tickets),
    }
    dataset = Dataset(server)
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        log(f"\n{name}")
        try:
            measured = benchmarks[name](dataset, options)
            figures.extend(replace(f, benchmark=name) for f in measured)
        except Exception:
            log(f"  {name} FAILED:\n{traceback.format_exc()}")
            failed.append(name)
    elapsed = time.perf_counter() - start
    summary = (
        f"{dataset.venues:,} venues, {dataset.checkins:,} check-ins; whole run {elapsed:.0f} s"
    )
    log(f"\nresults ({summary})")
    print(text_table(figures), end="", flush=True)
    if failed:
        log(f"\nfailed to run: {', '.join(failed)}")
    report(run, figures, facts, summary, failed, argv)
    return exit_status(figures, failed, strict=run.strict)


def report(
    run: Run, figures: list[Figure], facts: Machine, summary: str, failed: list[str], argv
) -> None:
    """The table as Markdown (bench/latest.md) and, after a whole run, in README.md."""
    if run.markdown is None:
        log("\n(not written to bench/latest.md: not every benchmark at the default sizes)")
        return
    command = shlex.join(["python", "-m", "bench", *argv])
    write_markdown(run.markdown, markdown_report(figures, facts, command, summary, failed))
    log(f"\nwritten to {run.markdown}")
    if run.whole and run.markdown == LATEST and not failed:
        block = markdown_block(figures, facts, command, summary, failed)
        try:
            README.write_text(replace_readme_block(README.read_text(), block))
            log(f"and to {README.name}'s Benchmarks section")
        except (OSError, ValueError) as exc:
            log(f"README.md not updated: {exc}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
