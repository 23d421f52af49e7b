"""`/c/<payload>` with a plain HTTP client: declare once, then one tap in, one tap out."""

import pytest
from django.utils import timezone

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.declarations.cookies import PERSON_COOKIE
from kiemdich.declarations.models import Declaration, Person
from kiemdich.venues.models import Status
from kiemdich.venues.services import qr_url
from tests.venues.conftest import make_venue

FORM = {
    "full_name": "Trần Thị Bình",
    "birth_year": "1985",
    "gender": "female",
    "phone": "0987 654 321",
    "commune_code": "25396",
    "nationality": "VN",
    "contact_with_case": "no",  # Có/Không, none chosen at first: required
    "travel_outbreak_area": "no",
}


@pytest.fixture
def shop(binh_phuoc):
    return make_venue(name="Nhà thuốc Tâm An", category="shop")


def path_of(venue) -> str:
    return "/c/" + qr_url(venue).rsplit("/c/", 1)[1]


def client_id(response) -> str:
    html = response.content.decode()
    return html.split('name="client_id" value="', 1)[1].split('"', 1)[0]


def test_first_visit_declares_and_checks_in_then_one_tap_out(client, shop):
    first = client.get(path_of(shop))
    assert first.status_code == 200
    assert "Khai báo y tế" in first.content.decode()
    assert len(first.content) < 100_000
    posted = client.post(path_of(shop), {**FORM, "client_id": client_id(first)}, follow=True)
    assert "Đã ghi nhận vào lúc" in posted.content.decode()
    assert PERSON_COOKIE in client.cookies
    assert Declaration.objects.count() == 1
    visit = Checkin.objects.get()
    assert visit.method == "self" and visit.person.full_name == "Trần Thị Bình"
    # Scanning the poster again: the page offers the exit.
    again = client.get(path_of(shop))
    assert 'id="scan-out"' in again.content.decode()
    out = client.post(
        path_of(shop), {"direction": "out", "client_id": client_id(again)}, follow=True
    )
    assert "Đã ghi nhận ra lúc" in out.content.decode()
    visit.refresh_from_db()
    assert visit.t_out_auto is False
    assert ScanDaily.objects.get(date=timezone.localdate()).scans == 1


def test_a_resent_form_is_not_a_second_visit(client, shop):
    page = client.get(path_of(shop))
    body = {**FORM, "client_id": client_id(page)}
    client.post(path_of(shop), body)
    client.post(path_of(shop), {"direction": "in", "client_id": body["client_id"]})
    assert Checkin.objects.count() == 1 and Person.objects.count() == 1


def test_a_bad_declaration_shows_messages_and_stores_nothing(client, shop):
    page = client.get(path_of(shop))
    bad = {**FORM, "phone": "123", "id_number": "12345", "client_id": client_id(page)}
    response = client.post(path_of(shop), bad)
    html = response.content.decode()
    assert response.status_code == 200
    assert "không phải số điện thoại" in html and "9 chữ số" in html
    assert 'value="Trần Thị Bình"' in html  # nothing typed is lost
    assert not Person.objects.exists() and not Checkin.objects.exists()


def test_refused_posters(client, shop):
    path = path_of(shop)
    assert client.get(path[:-2] + "xx").status_code == 400
    shop.status = Status.CLOSED
    shop.save()
    response = client.get(path)
    assert response.status_code == 410 and "đã đóng" in response.content.decode()


def test_my_page_shows_my_qr_declarations_and_visits(client, shop):
    page = client.get(path_of(shop))
    client.post(path_of(shop), {**FORM, "client_id": client_id(page)})
    mine = client.get("/me/")
    html = mine.content.decode()
    assert "<svg" in html and "Trần Thị Bình" in html and "Nhà thuốc Tâm An" in html
    # The entry was just now: its estimated exit is still ahead, so no exit time is shown yet.
    assert "<td>chưa ra</td>" in html and "(ước tính)" not in html
    export = client.get("/me/export.xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    declaration = Declaration.objects.get()
    fixed = client.post(
        f"/me/declarations/{declaration.pk}/",
        {**FORM, "birth_year": "1986", "purpose": "visit"},  # the full form asks the purpose
        follow=True,
    )
    assert "đã được sửa" in fixed.content.decode()
    declaration.refresh_from_db()
    assert declaration.birth_year == 1986


def test_without_a_cookie_my_page_asks_to_declare(client, binh_phuoc):
    assert client.get("/me/").url == "/declare/"


def test_a_known_client_id_on_the_scan_page_does_not_hand_over_its_person(client, shop):
    """The /c/ page's declaration form with someone else's client id (and other details) must
    not set that person's cookie on the sender's phone."""
    import uuid

    from tests.declarations.conftest import DECLARATION

    victim = str(uuid.uuid4())
    made = client.post(
        "/api/v1/declarations",
        {**DECLARATION, "client_id": victim},
        content_type="application/json",
    )
    assert made.status_code == 201
    client.cookies.clear()
    client.post(path_of(shop), {**FORM, "full_name": "Kẻ Gian", "client_id": victim})
    assert PERSON_COOKIE not in client.cookies or client.cookies[PERSON_COOKIE].value == ""
    assert DECLARATION["full_name"] not in client.get("/me/", follow=True).content.decode()
