"""`/api/v1/units`: the contract other code relies on (DESIGN.md §3)."""

import datetime as dt

from kiemdich.geo.models import UnitStat
from tests.conftest import PASSWORD


def test_districts_of_binh_phuoc(binh_phuoc, client):
    body = client.get("/api/v1/units", {"parent": "70"}).json()
    assert body["count"] == 11
    assert [u["code"] for u in body["items"]] == [str(c) for c in range(688, 699)]
    bu_dang = next(u for u in body["items"] if u["code"] == "696")
    assert bu_dang == {
        "code": "696",
        "name": "Bù Đăng",
        "full_name": "Huyện Bù Đăng",
        "kind": "huyen",
        "level": 2,
        "parent_code": "70",
    }


def test_communes_of_bu_dang(binh_phuoc, client):
    body = client.get("/api/v1/units?parent=696").json()
    assert body["count"] == 16 and len(body["items"]) == 16
    assert {u["level"] for u in body["items"]} == {3}


def test_one_unit_and_the_provinces(binh_phuoc, client):
    assert client.get("/api/v1/units/25396").json()["full_name"] == "Thị trấn Đức Phong"
    assert [u["code"] for u in client.get("/api/v1/units").json()["items"]] == ["70"]


def test_errors_have_detail_and_code(binh_phuoc, client):
    missing = client.get("/api/v1/units/99999")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "Không có đơn vị hành chính mã 99999.",
        "code": "not_found",
    }
    assert client.get("/api/v1/units?parent=99999").json()["code"] == "not_found"
    bad = client.get("/api/v1/units?level=9")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert client.get("/api/v1/units?page=0").status_code == 422


def test_pagination(binh_phuoc, client):
    page = client.get("/api/v1/units?parent=696&page=2&page_size=5").json()
    assert page["count"] == 16 and len(page["items"]) == 5


def test_figures_only_inside_the_area(personas, client):
    UnitStat.objects.create(
        unit_id="25396", date=dt.date(2021, 7, 12), population=21000, smartphone_users=13000
    )
    url = "/api/v1/units/25396/stats"
    assert client.get(url).status_code == 401
    client.login(username="xa_thongnhat", password=PASSWORD)
    forbidden = client.get(url)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    client.login(username="xa_ducphong", password=PASSWORD)
    assert client.get(url).json()["items"] == [
        {"date": "2021-07-12", "population": 21000, "smartphone_users": 13000}
    ]


def test_openapi_and_docs(db, client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/units" in spec["paths"] and "/api/v1/units/{code}" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200
