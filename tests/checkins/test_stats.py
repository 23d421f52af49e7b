"""Checkpoint statistics (R8): seed 004's table for Bù Đăng on 24/08/2021, rebuilt from scans.

The venues and scans behind the table are created the way production creates them (scans only
through `record_checkins`), surrounded by noise that must not count: scans a minute either side
of the year and of the reporting day, checkpoints approved too late, closed too early or never
approved, and a neighbouring district.
"""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from kiemdich.checkins.models import Checkin
from kiemdich.checkins.services import NewCheckin, record_checkins
from kiemdich.checkins.stats import checkpoint_table, idle_checkpoints
from kiemdich.geo.models import Unit
from kiemdich.venues.models import Status, Venue
from tests.conftest import PASSWORD

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.date(2021, 8, 24)
URL = "/api/v1/stats/checkpoints"
DUC_PHONG, THONG_NHAT = "25396", "25420"

#: The annex of seed 004 (1687/UBND-VX, Bù Đăng, 26/08/2021), by commune code: checkpoints on
#: 24/08/2021 and scans since 1 January. The seed's "Thông Nhất" is Thống Nhất (25420).
SEED_004 = {
    "25426": ("Xã Đăng Hà", 1, 940),
    "25420": ("Xã Thống Nhất", 31, 1286),
    "25429": ("Xã Phước Sơn", 3, 94),
    "25414": ("Xã Đồng Nai", 2, 33),
    "25408": ("Xã Minh Hưng", 32, 1349),
    "25396": ("Thị trấn Đức Phong", 45, 2436),
    "25417": ("Xã Đức Liễu", 9, 742),
    "25411": ("Xã Đoàn Kết", 4, 167),
    "25423": ("Xã Nghĩa Trung", 9, 275),
    "25400": ("Xã Phú Sơn", 12, 245),
    "25402": ("Xã Thọ Sơn", 5, 172),
    "25405": ("Xã Bom Bo", 17, 641),
    "25424": ("Xã Nghĩa Bình", 9, 206),
    "25404": ("Xã Bình Minh", 2, 56),
    "25398": ("Xã Đường 10", 2, 92),
    "25399": ("Xã Đak Nhau", 6, 98),
}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


def venue(commune: str, name: str, **fields) -> Venue:
    fields.setdefault("status", Status.ACTIVE)
    fields.setdefault("activated_at", local(2021, 3, 1, 8))
    return Venue.objects.create(
        name=name,
        category="shop",
        commune_id=commune,
        address="1 Quốc lộ 14",
        contact_phone="+84912345678",
        **fields,
    )


def scan(venue_id: int, t_in: dt.datetime) -> NewCheckin:
    return NewCheckin(client_id=uuid.uuid4(), venue_id=venue_id, t_in=t_in)


def spread(venue_ids: list[int], count: int) -> list[NewCheckin]:
    """`count` scans over the venues, evenly from 1 January 00:00 to 24 August 23:58 local."""
    start = local(2021, 1, 1)
    span = (local(2021, 8, 24, 23, 58) - start).total_seconds()
    return [
        scan(venue_ids[i % len(venue_ids)], start + dt.timedelta(seconds=span * i / count))
        for i in range(count)
    ]


def build_seed_004() -> dict[str, int]:
    """Create seed 004's checkpoints and scans plus the noise; return a few venue ids by role."""
    scans: list[NewCheckin] = []
    ids: dict[str, int] = {}
    for code, (_name, checkpoints, count) in SEED_004.items():
        regular = checkpoints - 2 if code == DUC_PHONG else checkpoints
        venue_ids = [venue(code, f"Điểm {code}-{i}").pk for i in range(regular)]
        if code == DUC_PHONG:
            # Counted: approved a minute before the day ends; closed the minute the day ends.
            venue(code, "Approved 23:59", activated_at=local(2021, 8, 24, 23, 59))
            venue(
                code,
                "Closed at midnight",
                status=Status.CLOSED,
                activated_at=local(2021, 1, 10),
                ended_at=local(2021, 8, 25),
            )
            count -= 1  # the last one comes at 23:59 below
            ids["duc_phong"] = venue_ids[0]
        scans += spread(venue_ids, count)

    edge = ids["duc_phong"]
    scans += [
        scan(edge, local(2021, 8, 24, 23, 59)),  # counts
        scan(edge, local(2021, 8, 25)),  # the next day
        scan(edge, local(2021, 8, 25, 12)),
        scan(edge, local(2021, 8, 25, 12, 30)),
        scan(edge, local(2020, 12, 31, 23, 59)),  # last year
    ]
    # Checkpoints that do not count on 24/08: approved at midnight after, closed before, pending.
    venue(DUC_PHONG, "Approved 25/08", activated_at=local(2021, 8, 25))
    venue(
        DUC_PHONG,
        "Closed 23:59",
        status=Status.CLOSED,
        activated_at=local(2021, 2, 1),
        ended_at=local(2021, 8, 24, 23, 59),
    )
    venue(
        THONG_NHAT,
        "Closed 20/08",
        status=Status.CLOSED,
        activated_at=local(2021, 2, 1),
        ended_at=local(2021, 8, 20, 10),
    )
    venue(THONG_NHAT, "Pending", status=Status.PENDING, activated_at=None)
    # Lộc Ninh (692), next door.
    loc_ninh = Unit.objects.filter(parent_id="692").order_by("code").first()
    ids["loc_ninh_commune"] = loc_ninh.code
    loc_ninh_venues = [venue(loc_ninh.code, f"Lộc Ninh {i}").pk for i in range(3)]
    scans += spread(loc_ninh_venues, 50)
    record_checkins(scans)
    return ids


@pytest.fixture
def seed_004(personas) -> dict[str, int]:
    return build_seed_004()


def login(client, username: str) -> None:
    assert client.login(username=username, password=PASSWORD)


def expected_rows() -> list[dict]:
    return [
        {"code": code, "name": name, "checkpoints": checkpoints, "scans": scans}
        for code, (name, checkpoints, scans) in sorted(SEED_004.items())
    ]


def test_bu_dang_on_24_august_2021_is_seed_004(seed_004, client):
    login(client, "huyen_budang")
    response = client.get(URL, {"unit": "696", "date": "2021-08-24"})
    assert response.status_code == 200
    assert response.json() == {
        "unit": {"code": "696", "name": "Huyện Bù Đăng"},
        "date": "2021-08-24",
        "rows": expected_rows(),
        "total": {"checkpoints": 189, "scans": 8832},
    }


def test_the_next_day_and_the_previous_year(seed_004):
    bu_dang = Unit.objects.get(code="696")
    next_day = {r.code: r for r in checkpoint_table(bu_dang, DAY + dt.timedelta(days=1)).rows}
    # +1 approved at 00:00, -1 closed at 00:00; the three scans of 25/08 now count.
    assert (next_day[DUC_PHONG].checkpoints, next_day[DUC_PHONG].scans) == (45, 2436 + 3)
    last_year = checkpoint_table(bu_dang, dt.date(2020, 12, 31))
    assert last_year.total.checkpoints == 0 and last_year.total.scans == 1
    # 1 January 00:00 local is still 31 December in UTC: each commune's first scan is there.
    new_year = checkpoint_table(bu_dang, dt.date(2021, 1, 1))
    on_new_year = Checkin.objects.filter(
        venue__commune__path__startswith=bu_dang.path,
        t_in__gte=local(2021, 1, 1),
        t_in__lt=local(2021, 1, 2),
    ).count()
    assert new_year.total.scans == on_new_year >= len(SEED_004)


def test_a_few_queries_whatever_the_number_of_scans(seed_004, django_assert_max_num_queries):
    bu_dang = Unit.objects.get(code="696")
    with django_assert_max_num_queries(3):
        table = checkpoint_table(bu_dang, DAY)
    assert (table.total.checkpoints, table.total.scans) == (189, 8832)


def test_province_table_has_one_row_per_district(seed_004, client):
    login(client, "tinh_binhphuoc")
    body = client.get(URL, {"unit": "70", "date": "2021-08-24"}).json()
    assert [r["code"] for r in body["rows"]] == [str(c) for c in range(688, 699)]
    rows = {r["code"]: r for r in body["rows"]}
    assert rows["696"] == {
        "code": "696",
        "name": "Huyện Bù Đăng",
        "checkpoints": 189,
        "scans": 8832,
    }
    assert (rows["692"]["checkpoints"], rows["692"]["scans"]) == (3, 50)
    assert rows["688"]["checkpoints"] == rows["688"]["scans"] == 0
    assert body["total"] == {"checkpoints": 192, "scans": 8882}


def test_a_commune_is_its_own_single_row(seed_004, client):
    login(client, "xa_thongnhat")
    body = client.get(URL, {"unit": THONG_NHAT, "date": "2021-08-24"}).json()
    assert body["rows"] == [
        {"code": THONG_NHAT, "name": "Xã Thống Nhất", "checkpoints": 31, "scans": 1286}
    ]
    assert body["total"] == {"checkpoints": 31, "scans": 1286}


def test_permissions_and_errors(personas, client):
    query = {"unit": "696", "date": "2021-08-24"}
    anonymous = client.get(URL, query)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    login(client, "xa_thongnhat")
    for unit in ("696", DUC_PHONG):
        forbidden = client.get(URL, {**query, "unit": unit})
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
        assert client.get(f"{URL}.xlsx", {**query, "unit": unit}).status_code == 403
        assert client.get(f"{URL}/idle", {"unit": unit}).status_code == 403
    assert client.get(URL, {**query, "unit": THONG_NHAT}).status_code == 200
    missing = client.get(URL, {**query, "unit": "99999"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Không có đơn vị hành chính mã 99999.", "code": "not_found"}
    for bad in ("2021-13-45", "24/08/2021", "soon"):
        invalid = client.get(URL, {"unit": THONG_NHAT, "date": bad})
        assert invalid.status_code == 422 and invalid.json()["code"] == "invalid"
    tomorrow = dt.datetime.now(VN).date() + dt.timedelta(days=1)
    future = client.get(URL, {"unit": THONG_NHAT, "date": tomorrow.isoformat()})
    assert future.status_code == 422 and future.json()["code"] == "invalid"
    assert client.get(URL, {"date": "2021-08-24"}).status_code == 422  # no unit


def test_date_defaults_to_today(personas, client):
    login(client, "xa_thongnhat")
    body = client.get(URL, {"unit": THONG_NHAT}).json()
    assert body["date"] == dt.datetime.now(VN).date().isoformat()


@pytest.fixture
def quiet_and_busy(personas) -> dict[str, Venue]:
    now = dt.datetime.now(VN).replace(microsecond=0)  # the API's JSON keeps milliseconds
    long_ago = now - dt.timedelta(days=60)
    venues = {
        "busy": venue(DUC_PHONG, "Busy", activated_at=long_ago),
        "quiet": venue(DUC_PHONG, "Quiet", activated_at=long_ago),
        "never": venue(THONG_NHAT, "Never scanned", activated_at=long_ago),
        "new": venue(DUC_PHONG, "Approved yesterday", activated_at=now - dt.timedelta(days=1)),
        "paused": venue(DUC_PHONG, "Paused", status=Status.PAUSED, activated_at=long_ago),
        "pending": venue(DUC_PHONG, "Pending", status=Status.PENDING, activated_at=None),
    }
    record_checkins(
        [
            scan(venues["busy"].pk, now - dt.timedelta(days=2)),
            scan(venues["quiet"].pk, now - dt.timedelta(days=10)),
        ]
    )
    return venues


def test_idle_checkpoints(quiet_and_busy):
    today = dt.datetime.now(VN).date()
    idle = list(idle_checkpoints(Unit.objects.get(code="696"), today))
    assert [v.name for v in idle] == ["Quiet", "Never scanned"]  # by commune, then name
    # Over one day, yesterday's approval has had its chance too.
    assert [v.name for v in idle_checkpoints(Unit.objects.get(code="696"), today, 1)] == [
        "Approved yesterday",
        "Busy",
        "Quiet",
        "Never scanned",
    ]


def test_idle_checkpoints_api_is_paginated_and_scoped(quiet_and_busy, client):
    login(client, "huyen_budang")
    body = client.get(f"{URL}/idle", {"unit": "696", "page_size": 1}).json()
    assert body["count"] == 2 and len(body["items"]) == 1
    quiet = quiet_and_busy["quiet"]
    assert body["items"][0] == {
        "id": quiet.pk,
        "name": "Quiet",
        "category": "shop",
        "commune_code": DUC_PHONG,
        "address": "1 Quốc lộ 14",
        "activated_at": body["items"][0]["activated_at"],
    }
    assert dt.datetime.fromisoformat(body["items"][0]["activated_at"]) == quiet.activated_at
    login(client, "xa_thongnhat")
    body = client.get(f"{URL}/idle", {"unit": THONG_NHAT, "days": 30}).json()
    assert [v["name"] for v in body["items"]] == ["Never scanned"]
    assert client.get(f"{URL}/idle", {"unit": THONG_NHAT, "days": 0}).status_code == 422


PAGE = "/stats/checkpoints/"


def test_page_shows_the_table(seed_004, client):
    login(client, "huyen_budang")
    response = client.get(PAGE, {"unit": "696", "date": "2021-08-24"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "8.832" in html and "189" in html and "2.436" in html
    for name, _checkpoints, _scans in SEED_004.values():
        assert name in html
    assert "/api/v1/stats/checkpoints.xlsx?unit=696&amp;date=2021-08-24" in html
    assert "/api/v1/stats/checkpoints.pdf?unit=696&amp;date=2021-08-24" in html
    assert f'href="?unit={DUC_PHONG}&amp;date=2021-08-24"' in html  # drill down
    assert '<rect class="bar" width="100"' in html  # Đức Phong, the longest bar


def test_page_defaults_to_own_unit_and_today(personas, client):
    login(client, "xa_thongnhat")
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Xã Thống Nhất" in html
    assert dt.datetime.now(VN).date().isoformat() in html


def test_page_is_limited_to_the_area(seed_004, client):
    login(client, "xa_thongnhat")
    assert client.get(PAGE, {"unit": "696", "date": "2021-08-24"}).status_code == 403
    assert client.get(PAGE, {"unit": DUC_PHONG}).status_code == 403
    assert client.get(PAGE, {"unit": "99999"}).status_code == 404
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the login page
    login(client, "congdan")
    assert client.get(PAGE).status_code == 403


def test_page_lists_idle_checkpoints(quiet_and_busy, client):
    login(client, "huyen_budang")
    html = client.get(PAGE, {"unit": "696"}).content.decode()
    assert "Quiet" in html and "Never scanned" in html
    assert "Busy" not in html and "Pending" not in html and "Approved yesterday" not in html


def test_page_refuses_a_future_date(personas, client):
    login(client, "huyen_budang")
    tomorrow = dt.datetime.now(VN).date() + dt.timedelta(days=1)
    response = client.get(PAGE, {"unit": "696", "date": tomorrow.isoformat()})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


def test_page_empty_state(personas, client):
    login(client, "huyen_budang")
    html = client.get(PAGE, {"unit": "696"}).content.decode()
    assert "<table" not in html
