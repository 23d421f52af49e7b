"""Every public write is rate limited: over a limit, 429 with Retry-After, and nothing written."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from kiemdich.accounts.models import Role, User
from kiemdich.adoption.models import Install
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Declaration
from kiemdich.venues.models import Venue
from kiemdich.venues.services import qr_url
from tests.checkins.test_fastpath import call, entry
from tests.conftest import PASSWORD, make_user
from tests.declarations.conftest import DECLARATION
from tests.venues.conftest import make_venue

from .conftest import assert_limited


@pytest.fixture
def shop(binh_phuoc):
    return make_venue()


@pytest.fixture
def token(client, binh_phuoc, limits) -> str:
    response = client.post("/api/v1/declarations", DECLARATION, content_type="application/json")
    return response.json()["person_token"]


def post(client, url, body, **extra):
    return client.post(url, body, content_type="application/json", **extra)


def scan(venue, token, **fields) -> dict:
    return {"client_id": str(uuid.uuid4()), "venue": qr_url(venue), "person_token": token, **fields}


def test_single_scans_through_django(client, shop, token, limits):
    limits(scan="2/m")
    for direction in ("in", "out"):
        assert (
            post(client, "/api/v1/checkins", scan(shop, token, direction=direction)).status_code
            == 201
        )
    stored = Checkin.objects.count()
    assert_limited(post(client, "/api/v1/checkins", scan(shop, token, direction="in")))
    assert Checkin.objects.count() == stored


def test_single_scans_on_the_wsgi_shortcut(shop, token, limits, monkeypatch):
    from kiemdich.checkins import fastpath

    monkeypatch.setattr(fastpath, "close_old_connections", lambda: None)
    limits(scan="2/m")
    assert call(entry(shop, token))[0] == 201
    assert call(entry(shop, token))[0] == 201
    stored = Checkin.objects.count()
    status, body, headers = call(entry(shop, token))
    assert status == 429 and body["code"] == "rate_limited" and int(headers["Retry-After"]) > 0
    assert Checkin.objects.count() == stored


def test_the_shortcut_and_the_view_count_a_scan_once(shop, token, limits, monkeypatch):
    """A replay is counted by the shortcut and answered by Django's view: one hit, not two."""
    from kiemdich.checkins import fastpath

    monkeypatch.setattr(fastpath, "close_old_connections", lambda: None)
    limits(scan="3/m")
    first = entry(shop, token)
    assert call(first)[0] == 201
    assert call(first)[0] == 200  # the replay, answered by Django
    assert call(entry(shop, token))[0] == 201  # third hit: still within 3/m
    assert call(entry(shop, token))[0] == 429


def test_back_dated_scans_have_a_tighter_limit(client, shop, token, limits):
    limits(scan="100/m", scan_backdated="1/m")
    an_hour_ago = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    assert post(client, "/api/v1/checkins", scan(shop, token, at=an_hour_ago)).status_code == 201
    stored = Checkin.objects.count()
    two_hours_ago = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    assert_limited(post(client, "/api/v1/checkins", scan(shop, token, at=two_hours_ago)))
    assert Checkin.objects.count() == stored
    assert post(client, "/api/v1/checkins", scan(shop, token)).status_code == 201  # a live scan


def test_batches(client, shop, token, limits):
    limits(scan_batch="1/h")
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    items = [
        scan(shop, token, direction="in", at=(an_hour_ago + dt.timedelta(minutes=i)).isoformat())
        for i in range(3)
    ]
    assert post(client, "/api/v1/checkins/batch", {"items": items[:1]}).status_code == 200
    stored = Checkin.objects.count()
    assert_limited(post(client, "/api/v1/checkins/batch", {"items": items[1:]}))
    assert Checkin.objects.count() == stored


def test_a_batch_counts_its_back_dated_scans_as_single_ones_would(client, shop, token, limits):
    """Scans beyond the back-dated limit get 429 each and are not stored; the rest are."""
    limits(scan_backdated="3/m")
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    assert post(client, "/api/v1/checkins", scan(shop, token, at=two_hours_ago.isoformat()))
    items = [
        scan(shop, token, direction="in", at=(two_hours_ago + dt.timedelta(minutes=i)).isoformat())
        for i in range(1, 5)
    ] + [scan(shop, token, direction="in")]  # a live one
    body = post(client, "/api/v1/checkins/batch", {"items": items}).json()
    assert [r["status"] for r in body["results"]] == [201, 201, 429, 429, 201]
    assert body["results"][2]["code"] == "rate_limited"
    assert not Checkin.objects.filter(client_id__in=[i["client_id"] for i in items[2:4]]).exists()
    # The next single back-dated scan finds the limit used up by the batch.
    again = scan(shop, token, at=two_hours_ago.isoformat())
    assert_limited(post(client, "/api/v1/checkins", again))


def test_staff_batches_share_the_addresss_back_dated_budget(client, shop, token, limits, personas):
    """A signed-in scanner does not get a second back-dated budget beside its address's."""
    from kiemdich.accounts.tokens import create_token

    limits(scan_backdated="3/m")
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    for n in range(3):
        at = (two_hours_ago + dt.timedelta(minutes=n)).isoformat()
        assert post(client, "/api/v1/checkins", scan(shop, token, at=at)).status_code == 201
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {create_token(personas['commune'])[1]}"}
    item = {"client_id": str(uuid.uuid4()), "venue": qr_url(shop), "at": two_hours_ago.isoformat()}
    body = post(client, "/api/v1/checkins/batch", {"items": [item]}, **bearer).json()
    assert [r["status"] for r in body["results"]] == [429]


def test_batches_of_signed_in_staff_are_counted_per_user(client, shop, token, limits, personas):
    from kiemdich.accounts.tokens import create_token

    limits(scan_batch="1/h")
    assert post(client, "/api/v1/checkins/batch", {"items": [scan(shop, token)]}).status_code == 200
    # The same address, but a staff scanner with its bearer token: a count of its own.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {create_token(personas['commune'])[1]}"}
    item = {"client_id": str(uuid.uuid4()), "venue": qr_url(shop)}
    assert post(client, "/api/v1/checkins/batch", {"items": [item]}, **bearer).status_code == 200
    assert_limited(post(client, "/api/v1/checkins/batch", {"items": [item]}, **bearer))


def test_declarations_api_and_page(client, binh_phuoc, limits):
    limits(declare="1/m")
    assert post(client, "/api/v1/declarations", DECLARATION).status_code == 201
    stored = Declaration.objects.count()
    assert_limited(post(client, "/api/v1/declarations", DECLARATION))
    page = client.post("/declare/", {**DECLARATION, "symptoms": []})
    assert_limited(page, api=False)
    assert "text/html" in page["Content-Type"]
    assert Declaration.objects.count() == stored


def test_declaration_page(client, binh_phuoc, limits):
    limits(declare="1/m")
    client.post("/declare/", {**DECLARATION, "phone": "0912345678"})
    stored = Declaration.objects.count()
    page = client.post("/declare/", {**DECLARATION, "phone": "0912345678"})
    assert_limited(page, api=False)
    assert "Quá nhiều" in page.content.decode()  # Vietnamese first
    assert Declaration.objects.count() == stored


def test_installs(client, binh_phuoc, limits):
    limits(install="1/m")
    body = {"install_id": "a1b2c3d4-0001", "app": "bluezone", "platform": "android",
            "commune_code": "25396"}  # fmt: skip
    assert post(client, "/api/v1/installs", body).status_code == 201
    assert_limited(post(client, "/api/v1/installs", {**body, "install_id": "a1b2c3d4-0002"}))
    assert Install.objects.count() == 1


def test_signup(client, binh_phuoc, limits):
    limits(signup="1/h")
    form = {"full_name": "Trần Thị Bình", "phone": "0987 654 321", "password": "mat-khau-dai-12"}
    assert client.post("/signup/", form).status_code == 302
    client.logout()
    again = client.post("/signup/", {**form, "phone": "0987 654 322"})
    assert_limited(again, api=False)
    assert User.objects.count() == 1


VENUE = {"name": "Quán cơm Bình Dân", "category": "restaurant", "commune_code": "25396",
         "address": "Số 3, đường Trần Hưng Đạo", "contact_phone": "0987 654 321"}  # fmt: skip


def test_checkpoint_registration_api_and_page_per_user(client, binh_phuoc, limits):
    limits(venue_register="1/h")
    make_user("owner", Role.VENUE_OWNER)
    make_user("owner2", Role.VENUE_OWNER)
    client.login(username="owner", password=PASSWORD)
    assert post(client, "/api/v1/venues", VENUE).status_code == 201
    assert_limited(post(client, "/api/v1/venues", VENUE))
    page = {**VENUE, "commune": "25396"}
    assert_limited(client.post("/venues/new/", page), api=False)
    assert Venue.objects.count() == 1
    client.login(username="owner2", password=PASSWORD)  # same address, another user
    assert client.post("/venues/new/", page).status_code == 302
