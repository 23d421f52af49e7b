"""`python -m bench [names...]`: run all benchmarks, or the named ones, and print the figures.

Normally started by `make bench`, whose scripts/testdb.py provides DATABASE_URL (a local
PostgreSQL or a throw-away one). Only that URL's server and login are used: the data goes into a
database of its own, `kiemdich_bench`, dropped and recreated first, so the developer's data is
never read or written and every run starts from the same state.

Exit status: 0 when every benchmark ran (whether or not it met its targets: times depend on the
machine, so a MISS is information, not a failure), 1 when one raised, 2 without PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg

from . import BENCH_DB
from .common import Figure, Options, log, print_table
from .db import NotPostgres, Server, recreate_bench_db

#: In the order they run: `scans` last of those sharing the data, so its own random draws never
#: change the others' data; `tracing` after it, since its 2 M check-ins of its own would change
#: the table the load tests write to; `adoption` last, since it loads every province's units.
NAMES = ("checkpoints", "posters", "scans", "tracing", "adoption")


def parse_args(argv: list[str]) -> tuple[list[str], Options, float, int]:
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
        default=1.0,
        help="fraction of `tracing`'s venues, people and check-ins, default %(default)s",
    )
    parser.add_argument(
        "--installs",
        type=int,
        default=10_000_000,
        help="registered installs of `adoption`, default %(default)s",
    )
    args = parser.parse_args(argv)
    if args.installs < 1:
        parser.error("--installs must be at least 1")
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
    return names, options, args.tracing_scale, args.installs


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


def print_header(server: Server) -> None:
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
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    log(f"kiemdich benchmarks, {dt.datetime.now():%Y-%m-%d %H:%M}")
    log(f"  machine:    {os.cpu_count()} CPUs ({usable} usable), {_cpu_model()}, {_memory_gib()}")
    log(
        f"  software:   Python {platform.python_version()}, Django {django.get_version()}, "
        f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), {platform.system()} "
        f"{platform.release()}"
    )
    log(f"  PostgreSQL: {version} on {server.where}, database {BENCH_DB}")
    log(f"              {', '.join(pg_settings)}")


def setup_django(server: Server) -> None:
    """Point Django at the bench database, set it up and migrate it, quietly."""
    os.environ["DATABASE_URL"] = server.url_for(BENCH_DB)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str]) -> int:
    names, options, tracing_scale, installs = parse_args(argv)
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
    print_header(server)

    from . import adoption, checkpoints, posters, scans, tracing
    from .data import Dataset

    benchmarks: dict[str, Callable[[Dataset, Options], list[Figure]]] = {
        "checkpoints": checkpoints.run,
        "posters": posters.run,
        "scans": scans.run,
        "tracing": partial(tracing.run, scale=tracing_scale),
        "adoption": partial(adoption.run, installs=installs),
    }
    dataset = Dataset(server)
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        log(f"\n{name}")
        try:
            figures.extend(benchmarks[name](dataset, options))
        except Exception:
            log(f"  {name} FAILED:\n{traceback.format_exc()}")
            failed.append(name)
    elapsed = time.perf_counter() - start
    log(
        f"\nresults ({dataset.venues:,} venues, {dataset.checkins:,} check-ins; "
        f"whole run {elapsed:.0f} s)"
    )
    print_table(figures)
    if failed:
        log(f"\nfailed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
