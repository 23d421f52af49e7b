"""The checkpoint table (seed 004) for a district and a province over a whole year.

Targets (issue): with 20,000 venues and 2 M check-ins, a district's per-commune table for a year
answers in < 100 ms median, the province's in < 300 ms. The baseline is the cheapest honest way
to count the same check-ins directly, `SELECT count(*)`, timed in the same run on the same data:
it shows how much the ScanDaily design saves here, and its ratio stays meaningful on a machine
faster or slower than this one.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.checkins.stats import checkpoint_table, counted_on, local_midnight
from kiemdich.geo.models import Unit
from kiemdich.venues.models import Venue

from .common import Figure, Options, log, median, p90, timed_ms
from .data import PROVINCE, YEAR, Dataset, check_writer_parity

DISTRICT = "696"  # Huyện Bù Đăng
DATE = dt.date(YEAR, 12, 31)
TARGET_MS = {DISTRICT: 100.0, PROVINCE: 300.0}
RUNS = 30
WARMUP = 3
BASELINE_RUNS = 10


def _count_sql(unit: Unit) -> str:
    """count(*) of the check-ins the table sums for `unit`: at its venues, in the local year.

    For the province every check-in qualifies (the data has no other province), so its baseline
    is the plain range count; joining venues and units to filter nothing would only make the
    baseline slower and the ratio flatter.
    """
    checkins = Checkin._meta.db_table
    if unit.code == PROVINCE:
        return f"SELECT count(*) FROM {checkins} WHERE t_in >= %s AND t_in < %s"  # noqa: S608
    venues, units = Venue._meta.db_table, Unit._meta.db_table
    return (
        f"SELECT count(*) FROM {checkins} c "  # noqa: S608
        f"JOIN {venues} v ON v.id = c.venue_id JOIN {units} u ON u.code = v.commune_id "
        f"WHERE u.path LIKE %s AND c.t_in >= %s AND c.t_in < %s"
    )


def _count_params(unit: Unit) -> tuple:
    year = (local_midnight(dt.date(YEAR, 1, 1)), local_midnight(dt.date(YEAR + 1, 1, 1)))
    return year if unit.code == PROVINCE else (f"{unit.path}%", *year)


def direct_count(unit: Unit) -> int:
    with connection.cursor() as cur:
        cur.execute(_count_sql(unit), _count_params(unit))
        return int(cur.fetchone()[0])


def check_consistency(district: Unit) -> bool:
    """ScanDaily for the district's year must equal counting its check-ins one by one."""
    daily = sum(
        ScanDaily.objects.filter(
            commune__path__startswith=district.path, date__year=YEAR
        ).values_list("scans", flat=True)
    )
    counted = direct_count(district)
    ok = daily == counted
    log(
        f"  consistency, {district.full_name}: ScanDaily sum {daily:,} vs count(*) of "
        f"check-ins {counted:,} {'✓' if ok else '✗ MISMATCH'}"
    )
    venue = Venue.objects.filter(commune__path__startswith=district.path).order_by("pk").first()
    assert venue is not None
    parity, detail = check_writer_parity(venue.pk)
    log(
        f"  writer parity: record_checkins vs the bulk INSERT … SELECT on {detail} "
        f"{'✓' if parity else '✗ MISMATCH'}"
    )
    return ok and parity


def explain(unit: Unit) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one checkpoint_table call runs."""
    with CaptureQueriesContext(connection) as captured:
        checkpoint_table(unit, DATE)
    for n, query in enumerate(captured.captured_queries, 1):
        log(f"\n  -- checkpoint_table({unit.code}), query {n}, {query['time']} s:")
        log(f"  {query['sql']}")
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            for (line,) in cur.fetchall():
                log(f"    {line}")


def measure(unit: Unit, options: Options) -> list[Figure]:
    """Time checkpoint_table(unit) and its count(*) baseline; check that they agree first."""
    table = checkpoint_table(unit, DATE)
    counted = direct_count(unit)
    venues = Venue.objects.under(unit).filter(counted_on(DATE)).count()
    agrees = table.total.scans == counted and table.total.checkpoints == venues
    log(
        f"  {unit.full_name} on {DATE}: {len(table.rows)} rows, {table.total.checkpoints:,} "
        f"checkpoints, {table.total.scans:,} scans (direct: {venues:,} venues, {counted:,} "
        f"check-ins) {'✓' if agrees else '✗ MISMATCH'}"
    )
    samples = timed_ms(lambda: checkpoint_table(unit, DATE), RUNS, WARMUP)
    baseline = timed_ms(lambda: direct_count(unit), BASELINE_RUNS, 1)
    log(
        f"  {unit.full_name}: table {median(samples):.1f} ms median over {RUNS} runs, "
        f"count(*) {median(baseline):.1f} ms median over {BASELINE_RUNS}"
    )
    name = f"table {YEAR}, {'province' if unit.code == PROVINCE else 'district'} {unit.code}"
    figure = Figure(
        name=name,
        unit="ms",
        median=median(samples),
        p90=p90(samples),
        baseline=median(baseline),
        baseline_label="count(*)",
        target=TARGET_MS[unit.code],
    )
    if options.explain or not figure.passed:
        explain(unit)
    return [figure, Figure.check(f"{name}: its totals", agrees, "count(*) of check-ins, venues")]


def run(dataset: Dataset, options: Options) -> list[Figure]:
    dataset.ensure_venues(options.venues)
    dataset.ensure_checkins(options.checkins)
    district = Unit.objects.get(code=DISTRICT)
    province = Unit.objects.get(code=PROVINCE)
    consistent = check_consistency(district)
    figures = [
        Figure.check(
            f"ScanDaily {YEAR}, district {DISTRICT}", consistent, "count(*), record_checkins"
        )
    ]
    for unit in (district, province):
        figures += measure(unit, options)
    return figures
