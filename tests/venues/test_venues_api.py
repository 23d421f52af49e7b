"""`/api/v1/venues`: registration, visibility by area and owner, the status machine."""

import pytest

from kiemdich.accounts.models import Role
from kiemdich.venues.models import Status, Venue
from tests.conftest import PASSWORD, make_user

from .conftest import make_venue

GOOD = {
    "name": "Tạp hóa Minh Phương",
    "category": "shop",
    "commune_code": "25396",
    "address": "Số 12, đường Lê Lợi",
    "contact_phone": "0912 345 678",
}


@pytest.fixture
def owner(binh_phuoc):
    return make_user("0912345678", Role.VENUE_OWNER)


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


def post(client, body, url="/api/v1/venues"):
    return client.post(url, body, content_type="application/json")


def test_owner_registers_and_gets_a_qr_url(owner, client):
    login(client, "0912345678")
    response = post(client, GOOD)
    assert response.status_code == 201
    body = response.json()
    assert body["commune_code"] == "25396" and body["status"] == "active"
    assert body["contact_phone"] == "+84912345678"
    assert body["qr_url"].startswith("http://127.0.0.1:8000/c/")
    assert Venue.objects.get(pk=body["id"]).owner == owner


def test_approval_when_the_province_requires_it(owner, personas, approval_required, client):
    login(client, "0912345678")
    body = post(client, GOOD).json()
    assert body["status"] == "pending" and body["qr_url"] is None
    assert client.get(f"/api/v1/venues/{body['id']}/poster.pdf").status_code == 409
    # Another commune's officer neither sees nor approves it.
    login(client, "xa_thongnhat")
    assert client.post(f"/api/v1/venues/{body['id']}/approve").status_code == 404
    login(client, "xa_ducphong")
    approved = client.post(f"/api/v1/venues/{body['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert approved.json()["qr_url"]


def test_an_official_registers_approved_at_once(personas, approval_required, client):
    login(client, "xa_ducphong")
    assert post(client, GOOD).json()["status"] == "active"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"commune_code": "696"}, "commune_code"),
        ({"commune_code": "99999"}, "commune_code"),
        ({"name": " "}, "name"),
        ({"category": "vehicle_interprovincial"}, "plate_number"),
        ({"category": "vehicle_interprovincial", "plate_number": "xyz"}, "plate_number"),
        ({"organization_code": "NOPE"}, "organization_code"),
    ],
)
def test_bad_registrations_say_which_field_and_save_nothing(owner, client, change, field):
    login(client, "0912345678")
    response = post(client, {**GOOD, **change})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert field in {item["loc"][-1] for item in body["detail"]}
    assert not Venue.objects.exists()


def test_vehicle_with_plate_and_route(owner, client):
    login(client, "0912345678")
    body = post(
        client,
        {**GOOD, "category": "vehicle_interprovincial", "plate_number": "93b 012.34",
         "route": "Bù Đăng - TP. Hồ Chí Minh"},
    ).json()  # fmt: skip
    assert body["plate_number"] == "93B-012.34"
    assert body["route"] == "Bù Đăng - TP. Hồ Chí Minh"


def test_anonymous_cannot_register(binh_phuoc, client):
    assert post(client, GOOD).status_code == 401


def test_officials_see_their_area_and_owners_their_own(owner, personas, client):
    mine = make_venue(owner=owner)
    other = make_venue(commune="25420", name="Quán cơm Thống Nhất")
    login(client, "0912345678")
    assert [v["id"] for v in client.get("/api/v1/venues").json()["items"]] == [mine.pk]
    assert client.get(f"/api/v1/venues/{other.pk}").status_code == 404
    login(client, "xa_ducphong")
    assert [v["id"] for v in client.get("/api/v1/venues").json()["items"]] == [mine.pk]
    login(client, "xa_thongnhat")
    assert [v["id"] for v in client.get("/api/v1/venues").json()["items"]] == [other.pk]
    login(client, "huyen_budang")
    ids = {v["id"] for v in client.get("/api/v1/venues").json()["items"]}
    assert ids == {mine.pk, other.pk}
    assert client.get("/api/v1/venues?unit=25420").json()["count"] == 1
    login(client, "huyen_locninh")
    assert client.get("/api/v1/venues").json()["count"] == 0
    login(client, "congdan")
    assert client.get("/api/v1/venues").json()["count"] == 0


def test_filters(personas, client):
    make_venue(category="market", name="Chợ Đức Phong")
    make_venue(status=Status.PENDING, name="Nhà trọ")
    login(client, "huyen_budang")
    assert client.get("/api/v1/venues?category=market").json()["count"] == 1
    assert client.get("/api/v1/venues?status=pending").json()["count"] == 1
    assert client.get("/api/v1/venues?status=bogus").status_code == 422
    assert client.get("/api/v1/venues?unit=99999").status_code == 404


def test_owner_edits_pauses_resumes_and_closes(owner, client):
    venue = make_venue(owner=owner)
    login(client, "0912345678")
    url = f"/api/v1/venues/{venue.pk}"
    patched = client.patch(url, {"address": "Số 14"}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["address"] == "Số 14"
    bad = client.patch(url, {"contact_phone": "abc"}, content_type="application/json")
    assert bad.status_code == 422
    assert client.post(f"{url}/pause").json()["status"] == "paused"
    assert client.post(f"{url}/resume").json()["status"] == "active"
    assert client.post(f"{url}/approve").status_code == 403  # owners do not approve
    closed = client.post(f"{url}/close").json()
    assert closed["status"] == "closed" and closed["ended_at"] and closed["qr_url"] is None
    again = client.post(f"{url}/resume")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_revoke_needs_a_reason(personas, client):
    venue = make_venue()
    login(client, "xa_ducphong")
    url = f"/api/v1/venues/{venue.pk}/revoke"
    assert client.post(url, {}, content_type="application/json").status_code == 409
    done = client.post(url, {"reason": "Không quét mã"}, content_type="application/json")
    assert done.json()["status"] == "revoked" and done.json()["status_note"] == "Không quét mã"
