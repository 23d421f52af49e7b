"""Who may record scans of other people, what a scan answer reveals, and what a reused client id
gets back (accounts.access; DESIGN.md §4). Each test is an attack that once worked."""

import uuid

import pytest

from kiemdich.accounts.models import AuditLog, Role
from kiemdich.accounts.tokens import create_token
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.venues import services as venue_services
from kiemdich.venues.models import Status
from kiemdich.venues.services import qr_url
from tests.conftest import make_user
from tests.declarations.conftest import DECLARATION, make_person
from tests.venues.conftest import make_venue

CCCD = "079190001234|123456789|Phạm Văn Đức|15081990|Nam|12 Lê Lợi, Đồng Xoài|01012021"
TYPED = {"full_name": "Lê Thị Cúc", "phone": "0987654321"}


@pytest.fixture
def shop(personas):
    return make_venue(name="Tạp hóa Minh Phương", owner=personas["venue_owner"])


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def post(client, body: dict, url="/api/v1/checkins", **headers):
    return client.post(url, body, content_type="application/json", **headers)


def scan(venue, **fields) -> dict:
    return {"client_id": str(uuid.uuid4()), "venue": qr_url(venue), "direction": "in", **fields}


@pytest.mark.parametrize("kind", ["person", "person_qr"])
def test_another_venues_owner_cannot_plant_scans_or_look_people_up(client, shop, kind):
    """A fresh sign-up owns a checkpoint of their own; that does not let them record staff
    scans at someone else's: 403, and no visit, no person is stored."""
    stranger = make_user("0900000001", Role.VENUE_OWNER)
    make_venue(name="Quán của người lạ", owner=stranger)
    body = scan(shop, **({"person": TYPED} if kind == "person" else {"person_qr": CCCD}))
    single = post(client, body, **bearer(stranger))
    assert single.status_code == 403 and single.json()["code"] == "forbidden"
    batch = post(client, {"items": [scan(shop, person=TYPED)]}, "/api/v1/checkins/batch")
    assert batch.json()["results"][0]["status"] == 401
    batch = post(
        client,
        {"items": [scan(shop, person_qr=CCCD)]},
        "/api/v1/checkins/batch",
        **bearer(stranger),
    )
    assert batch.json()["results"][0]["status"] == 403
    assert not Checkin.objects.exists() and not Person.objects.exists()


def test_staff_the_owner_adds_may_scan_until_removed(client, shop, personas):
    guard = make_user("+84900000002", Role.VENUE_OWNER)
    assert post(client, scan(shop, person=TYPED), **bearer(guard)).status_code == 403
    staff = venue_services.add_staff(personas["venue_owner"], shop, "0900000002")
    assert post(client, scan(shop, person=TYPED), **bearer(guard)).status_code == 201
    venue_services.remove_staff(personas["venue_owner"], shop, staff.pk)
    assert post(client, scan(shop, person=TYPED), **bearer(guard)).status_code == 403
    # A staff member cannot add others: only the owner and officials choose the staff.
    with pytest.raises(venue_services.PermissionDenied):
        venue_services.add_staff(guard, shop, "0900000002")


def test_a_staff_place_goes_to_an_account_never_to_a_phone_number(client, shop, personas):
    """Sign-up does not prove a phone is one's own: a number with no account is refused (a
    place kept for it would go to whoever signs up with it first), the page shows the login
    only, and deleting the account removes the place. Closed checkpoints take no staff."""
    owner = personas["venue_owner"]
    with pytest.raises(venue_services.StaffError):
        venue_services.add_staff(owner, shop, "0900000003")
    late = make_user("+84900000003", Role.VENUE_OWNER, first_name="Người Lạ")
    assert post(client, scan(shop, person=TYPED), **bearer(late)).status_code == 403
    client.force_login(owner)
    page = client.post(f"/venues/{shop.pk}/staff/", {"login": "0900 000 003"}, follow=True)
    assert "+84900000003" in page.content.decode() and "Người Lạ" not in page.content.decode()
    assert post(client, scan(shop, person=TYPED), **bearer(late)).status_code == 201
    late.delete()
    assert not shop.staff.exists()
    shop.status = Status.CLOSED
    shop.save()
    with pytest.raises(venue_services.StaffError):
        venue_services.add_staff(owner, shop, "0900000002")


def test_a_replay_presents_the_stored_person_and_needs_scan_rights_still(client, shop, personas):
    """A replay answers what its request presents: the same client id with another person's
    QR must not read that QR, and a guard removed from the staff gets no answer either."""
    guard = make_user("+84900000002", Role.VENUE_OWNER)
    staff = venue_services.add_staff(personas["venue_owner"], shop, "0900000002")
    first = scan(shop, person_qr=CCCD, at="2026-12-01T08:00:00+07:00")
    assert post(client, first, **bearer(guard)).status_code == 201
    assert post(client, first, **bearer(guard)).status_code == 200
    other = "079190009999|987654321|Trần Thị Mai|01011955|Nữ|Đồng Xoài|01012021"
    swapped = post(client, {**first, "person_qr": other}, **bearer(guard))
    assert swapped.status_code == 409 and "person" not in swapped.json()
    typed = post(client, {**first, "person_qr": "", "person": TYPED}, **bearer(guard))
    assert typed.status_code == 409
    venue_services.remove_staff(personas["venue_owner"], shop, staff.pk)
    removed = post(client, first, **bearer(guard))
    assert removed.status_code == 409 and "person" not in removed.json()


@pytest.mark.parametrize(
    ("who", "status"),
    [("commune", 201), ("district", 201), ("other_commune", 403), ("tracer", 403)],
)
def test_officers_scan_at_their_areas_checkpoints_only(client, shop, personas, who, status):
    assert post(client, scan(shop, person=TYPED), **bearer(personas[who])).status_code == status


def test_an_id_card_scan_shows_the_card_not_what_is_stored(client, shop, personas):
    """The answer shows the presented card's name, masked: never the name stored for that ID
    number (which turned the scanner into an ID-number lookup)."""
    Person.objects.create(
        full_name="Trần Thị Bí Mật", birth_year=1970, gender="female", id_number="079190001234"
    )
    response = post(client, scan(shop, person_qr=CCCD), **bearer(personas["venue_owner"]))
    assert response.status_code == 201
    assert response.json()["person"] == {
        "name": "P*** V** Đ**",
        "birth_year": 1990,
        "gender": "male",
    }
    assert Checkin.objects.get().person.full_name == "Trần Thị Bí Mật"  # linked for tracing


def test_staff_scans_are_audited_with_the_person_and_unit(client, shop, personas):
    officer = personas["commune"]
    post(client, scan(shop, person=TYPED), **bearer(officer))
    batch = [scan(shop, person_qr=CCCD), scan(shop, person=TYPED)]
    post(client, {"items": batch}, "/api/v1/checkins/batch", **bearer(officer))
    logged = AuditLog.objects.filter(actor=officer, action="scan")
    people = set(Checkin.objects.values_list("person_id", flat=True))
    assert logged.count() == 3
    assert {pk for row in logged for pk in row.subjects} == people
    assert set(logged.values_list("unit_code", flat=True)) == {shop.commune_id}


def test_a_client_id_is_not_a_credential(client, shop, personas):
    """The same request from the same caller gets the stored answer; anyone else a 409 that
    holds nothing of it."""
    owner = bearer(personas["venue_owner"])
    body = scan(shop, person=TYPED, at="2026-12-01T08:00:00+07:00")
    assert post(client, body, **owner).status_code == 201
    assert post(client, body, **owner).status_code == 200
    for headers in ({}, bearer(personas["commune"]), bearer(make_user("x1", Role.VENUE_OWNER))):
        response = post(client, body, **headers)
        assert response.status_code == 409, headers
        assert response.json() == {
            "detail": response.json()["detail"],
            "code": "client_id_conflict",
        }
    other_time = body | {"at": "2026-12-01T09:00:00+07:00"}
    assert post(client, other_time, **owner).status_code == 409
    in_batch = post(client, {"items": [body]}, "/api/v1/checkins/batch").json()["results"][0]
    assert in_batch["status"] == 409 and in_batch["checkin"] is None
    assert Checkin.objects.count() == 1


def test_a_token_scan_replays_only_with_the_same_token(client, shop):
    declared = post(client, DECLARATION, "/api/v1/declarations").json()
    body = scan(shop, person_token=declared["person_token"])
    assert post(client, body).status_code == 201
    assert post(client, body).status_code == 200
    other = post(client, DECLARATION | {"phone": "0987000111"}, "/api/v1/declarations").json()
    stolen = post(client, body | {"person_token": other["person_token"]})
    assert stolen.status_code == 409 and "checkin" not in stolen.json()


def test_a_declaration_client_id_returns_its_token_only_to_the_same_declaration(client, binh_phuoc):
    body = DECLARATION | {"client_id": str(uuid.uuid4())}
    first = post(client, body, "/api/v1/declarations")
    assert first.status_code == 201
    again = post(client, body, "/api/v1/declarations")
    assert again.status_code == 200
    assert again.json()["person_token"] == first.json()["person_token"]
    hijack = post(
        client, body | {"full_name": "Kẻ Gian", "phone": "0987000222"}, "/api/v1/declarations"
    )
    assert hijack.status_code == 409 and "person_token" not in hijack.json()
    # The page says so next to the form, keeps what was typed, and sets no cookie.
    page = client.post(
        "/declare/",
        {**body, "full_name": "Kẻ Gian", "symptoms": [], "phone": "0987000222"},
    )
    assert page.status_code == 200 and "Kẻ Gian" in page.content.decode()
    assert "kd_person" not in page.cookies or not page.cookies["kd_person"].value
    assert Person.objects.count() == 1


def test_a_personal_qr_opened_by_staff_is_audited(client, shop, personas):
    person = make_person()
    from kiemdich.declarations.services import personal_qr_url

    client.force_login(personas["venue_owner"])
    path = personal_qr_url(person).split("://", 1)[1].split("/", 1)[1]
    response = client.get(f"/{path}")
    assert response.status_code == 200
    assert AuditLog.objects.filter(actor=personas["venue_owner"], subjects=[person.pk]).exists()
    client.force_login(make_user("0900000003", Role.VENUE_OWNER))  # runs no checkpoint
    assert "N***" not in client.get(f"/{path}").content.decode()
