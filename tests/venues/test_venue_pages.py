"""Checkpoint pages: sign-up, register, print, approve, with messages next to the fields."""

import uuid

from kiemdich.accounts.models import Role, User
from kiemdich.checkins.models import Checkin
from kiemdich.venues import signing
from kiemdich.venues.models import Status, Venue
from tests.conftest import PASSWORD, make_user

from .conftest import make_venue

FORM = {
    "name": "Quán cơm Bình Dân",
    "category": "restaurant",
    "commune": "25396",
    "address": "Số 3, đường Trần Hưng Đạo",
    "contact_phone": "0987 654 321",
}


def test_anonymous_registration_goes_through_signup(binh_phuoc, client):
    response = client.get("/venues/new/")
    assert response.status_code == 302 and response["Location"].startswith("/signup/")
    signup = client.post(
        "/signup/",
        {"full_name": "Trần Thị Bình", "phone": "0987 654 321", "password": "mat-khau-dai-12",
         "next": "/venues/new/"},
    )  # fmt: skip
    assert signup.status_code == 302 and signup["Location"] == "/venues/new/"
    user = User.objects.get(username="+84987654321")
    assert user.role == Role.VENUE_OWNER and user.get_full_name() == "Trần Thị Bình"
    created = client.post("/venues/new/", FORM)
    venue = Venue.objects.get()
    assert created["Location"] == f"/venues/{venue.pk}/"
    page = client.get(created["Location"]).content.decode()
    assert "Quán cơm Bình Dân" in page and "<svg" in page and "poster.pdf" in page


def test_signup_errors_are_next_to_the_fields(binh_phuoc, client):
    make_user("+84987654321", Role.VENUE_OWNER)
    response = client.post("/signup/", {"full_name": "", "phone": "0987654321", "password": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="field-phone"' in html and "đã có tài khoản" in html
    assert User.objects.count() == 1


def test_registration_errors_keep_what_was_typed(binh_phuoc, client):
    make_user("owner", Role.VENUE_OWNER)
    client.login(username="owner", password=PASSWORD)
    response = client.post("/venues/new/", {**FORM, "contact_phone": "999"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "không phải số điện thoại Việt Nam hợp lệ" in html
    assert 'value="Quán cơm Bình Dân"' in html
    assert not Venue.objects.exists()


def test_officer_approves_from_the_page(personas, approval_required, client):
    venue = make_venue(status=Status.PENDING)
    client.login(username="xa_ducphong", password=PASSWORD)
    listing = client.get("/venues/").content.decode()
    assert "chờ bạn duyệt" in listing and venue.name in listing
    detail = client.get(f"/venues/{venue.pk}/").content.decode()
    assert "Duyệt" in detail and "<svg" not in detail
    client.post(f"/venues/{venue.pk}/approve/")
    venue.refresh_from_db()
    assert venue.status == Status.ACTIVE and venue.decided_by == personas["commune"]


def test_owner_cannot_see_others_venues(personas, client):
    other = make_venue()
    make_user("owner", Role.VENUE_OWNER)
    client.login(username="owner", password=PASSWORD)
    assert client.get(f"/venues/{other.pk}/").status_code == 404
    assert other.name not in client.get("/venues/").content.decode()


def test_scan_landing_for_a_paused_venue(binh_phuoc, client):
    """The poster is genuine, but the page says no entry is recorded, offers no form, and a
    form sent from a page opened before the pause records nothing."""
    venue = make_venue(status=Status.PAUSED)
    path = f"/c/{signing.sign(venue.pk)}"
    html = client.get(path).content.decode()
    assert venue.name in html and "tạm dừng" in html
    assert "✓" not in html and '<form method="post" class="scan-action"' not in html
    assert 'id="declare-form"' not in html
    response = client.post(path, {"direction": "in", "client_id": str(uuid.uuid4())})
    assert response.status_code == 409 and not Checkin.objects.exists()
