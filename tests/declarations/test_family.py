"""Declaring for family members from one's own phone (a child, an elderly parent without a
smartphone): each gets a person and a personal QR of their own, a later declaration replaces the
last one, and only the declaring phone (and officials of the area) sees them."""

from __future__ import annotations

import io
import re
import uuid

import openpyxl
import pytest

from kiemdich.accounts.access import family_q
from kiemdich.checkins.services import Scan, record_scans
from kiemdich.declarations import services
from kiemdich.declarations.cookies import PERSON_COOKIE
from kiemdich.declarations.forms import FamilyDeclarationForm
from kiemdich.declarations.models import Declaration, Person
from kiemdich.venues import signing
from kiemdich.venues.services import qr_url
from tests.conftest import make_user
from tests.venues.conftest import make_venue

from .conftest import DECLARATION

CHILD = {
    **DECLARATION,
    "full_name": "Nguyễn Thị Bé",
    "birth_year": 2017,
    "gender": "female",
    "id_number": "",
    "phone": "",
}
GRANDMOTHER = {
    **DECLARATION,
    "full_name": "Trần Thị Ngoại",
    "birth_year": 1948,
    "gender": "female",
    "id_number": "",
    "phone": "0987 111 222",
}


@pytest.fixture
def parent(binh_phuoc, declare) -> tuple[Person, str]:
    """The parent, declared through the API: their person and their phone's token."""
    response = declare()
    assert response.status_code == 201
    token = response.json()["person_token"]
    return services.person_for_token(token), token


def cleaned(values: dict) -> dict:
    form = FamilyDeclarationForm(data=values)
    assert form.is_valid(), form.errors
    return form.cleaned_data


# Services


def test_a_member_is_a_person_of_their_own_with_the_parents_phone_if_they_have_none(parent):
    person, _token = parent
    declaration, created = services.declare_for_member(person, cleaned(CHILD))
    child = declaration.person
    assert created and child.pk != person.pk
    assert child.full_name == "Nguyễn Thị Bé" and child.birth_year == 2017
    assert child.phone == person.phone  # the number to call about the child
    assert declaration.declared_by == person and declaration.with_token
    assert list(services.family(person)) == [child]
    # The child's QR names the child, not the parent.
    payload = services.personal_qr_url(child).rsplit("/p/", 1)[1]
    assert signing.verify(payload, kind=signing.PERSON).number == child.pk


def test_a_later_declaration_for_the_member_replaces_the_last(parent):
    person, _token = parent
    first, _ = services.declare_for_member(person, cleaned(GRANDMOTHER))
    grandmother = first.person
    later, created = services.declare_for_member(
        person,
        cleaned({**GRANDMOTHER, "address": "Số 9, ấp 3", "symptoms": ["cough"]}),
        member_id=grandmother.pk,
    )
    assert created and later.person_id == grandmother.pk
    grandmother.refresh_from_db()
    assert grandmother.address == "Số 9, ấp 3" and grandmother.phone == "+84987111222"
    assert list(grandmother.declarations.all()) == [later, first]  # both kept, newest first
    assert Person.objects.family_of(person).count() == 1  # still one member


def test_only_the_declaring_phone_reaches_its_members(parent, declare):
    person, _token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    other = services.person_for_token(
        declare(phone="0912 000 333", id_number="").json()["person_token"]
    )
    assert not Person.objects.family_of(other).exists()
    assert services.member_of(person, child.pk) == child
    assert not Person.objects.filter(family_q(child)).exists()  # a member is no declarer
    with pytest.raises(services.NotFamily):
        services.declare_for_member(other, cleaned(CHILD), member_id=child.pk)
    with pytest.raises(services.NotFamily):
        services.declare_for_member(person, cleaned(CHILD), member_id=person.pk)  # oneself


def test_a_resent_family_declaration_is_stored_once_and_only_for_its_phone(parent, declare):
    person, _token = parent
    client_id = uuid.uuid4()
    first, created = services.declare_for_member(person, cleaned(CHILD), client_id=client_id)
    again, created_again = services.declare_for_member(person, cleaned(CHILD), client_id=client_id)
    assert created and not created_again and again == first
    assert Person.objects.family_of(person).count() == 1
    other = services.person_for_token(
        declare(phone="0912 000 333", id_number="").json()["person_token"]
    )
    with pytest.raises(services.ReusedClientId):
        services.declare_for_member(other, cleaned(CHILD), client_id=client_id)
    # Nor does one's own declaration form answer it (its answer holds the person's token).
    with pytest.raises(services.ReusedClientId):
        services.declare(cleaned(CHILD) | {"phone": person.phone}, client_id=client_id)


def test_my_data_holds_the_family_members_declarations_and_visits(client, parent):
    """ "Download my data" on the parent's phone: their own rows, then the child's."""
    person, token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    venue = make_venue(name="Nhà văn hóa Đức Phong")
    record_scans(
        [Scan(uuid.uuid4(), qr_url(venue), "in", person_token=services.person_token(child))]
    )
    export = client.get("/api/v1/declarations/mine.xlsx", HTTP_X_PERSON_TOKEN=token)
    declarations, visits = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets
    names = [row[1] for row in declarations.iter_rows(min_row=2, values_only=True)]
    assert names == [person.full_name, "Nguyễn Thị Bé"]
    rows = list(visits.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4]) for r in rows] == [("Nhà văn hóa Đức Phong", "Nguyễn Thị Bé")]


def test_a_phone_declares_for_a_household_not_a_crowd(parent):
    person, _token = parent
    names = ["An", "Bình", "Cúc", "Dung", "Em", "Giang", "Hà", "Khánh", "Lan", "Mai", "Ngọc"]
    for name in names[: services.MAX_FAMILY]:
        services.declare_for_member(person, cleaned({**CHILD, "full_name": f"Nguyễn Thị {name}"}))
    with pytest.raises(services.FamilyFull) as refused:
        services.declare_for_member(person, cleaned(CHILD))
    assert refused.value.status == 409
    assert Person.objects.family_of(person).count() == services.MAX_FAMILY


def test_officials_of_the_area_see_members_as_anyone(parent, personas):
    person, _token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    assert Person.objects.visible_to(personas["commune"]).filter(pk=child.pk).exists()
    assert not Person.objects.visible_to(personas["other_commune"]).filter(pk=child.pk).exists()
    assert not Person.objects.visible_to(personas["citizen"]).filter(pk=child.pk).exists()


# Pages


def test_a_parent_declares_for_a_child_and_sees_the_childs_qr(client, parent):
    person, token = parent
    client.cookies[PERSON_COOKIE] = token
    mine = client.get("/me/").content.decode()
    assert 'href="/me/family/new/"' in mine and 'id="family"' not in mine
    form = client.get("/me/family/new/")
    html = form.content.decode()
    assert form.status_code == 200
    assert 'value="25396"' in html  # where the parent lives, to change if not
    assert 'name="contact_with_case" checked' not in html

    bad = client.post(
        "/me/family/new/", {**CHILD, "birth_year": "1800", "client_id": str(uuid.uuid4())}
    )
    assert bad.status_code == 422
    assert 'class="field invalid" id="field-birth_year"' in bad.content.decode()
    assert 'value="Nguyễn Thị Bé"' in bad.content.decode()  # what was typed stays
    assert not Person.objects.family_of(person).exists()

    sent = client.post("/me/family/new/", {**CHILD, "client_id": str(uuid.uuid4())})
    child = Person.objects.family_of(person).get()
    assert sent.status_code == 302 and sent["Location"] == f"/me/family/{child.pk}/"
    page = client.get(sent["Location"]).content.decode()
    assert "Nguyễn Thị Bé" in page and 'id="member-qr"' in page and "<svg" in page
    assert f'href="/me/family/{child.pk}/declare/"' in page
    listed = client.get("/me/").content.decode()
    assert 'id="family"' in listed and f'href="/me/family/{child.pk}/"' in listed

    again = client.get(f"/me/family/{child.pk}/declare/").content.decode()
    assert 'value="Nguyễn Thị Bé"' in again
    # The phone was left empty (the parent's is kept): it stays empty, not the parent's number.
    phone_input = re.search(r'<input[^>]*name="phone"[^>]*>', again).group(0)
    assert "value=" not in phone_input
    client.post(
        f"/me/family/{child.pk}/declare/",
        {**CHILD, "symptoms": ["fever"], "client_id": str(uuid.uuid4())},
    )
    assert child.declarations.count() == 2 and child.declarations.first().symptoms == ["fever"]
    assert Person.objects.family_of(person).count() == 1


def test_another_phone_gets_a_404_for_someone_elses_member(client, parent, declare):
    person, _token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    other_token = declare(phone="0912 000 333", id_number="").json()["person_token"]
    client.cookies[PERSON_COOKIE] = other_token
    assert client.get(f"/me/family/{child.pk}/").status_code == 404
    response = client.post(
        f"/me/family/{child.pk}/declare/", {**CHILD, "client_id": str(uuid.uuid4())}
    )
    assert response.status_code == 404 and child.declarations.count() == 1
    client.cookies.pop(PERSON_COOKIE)
    assert client.get(f"/me/family/{child.pk}/")["Location"] == "/declare/"


def test_an_account_alone_does_not_reach_members(client, parent):
    person, _token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    officer = make_user("xa_ducphong_x", "commune_officer", "25396")
    client.force_login(officer)
    assert client.get(f"/me/family/{child.pk}/").status_code == 302  # no person cookie


# API


def test_the_app_declares_for_a_member_and_lists_the_family(client, parent):
    _person, token = parent
    headers = {"HTTP_X_PERSON_TOKEN": token}
    client_id = str(uuid.uuid4())
    body = {**CHILD, "client_id": client_id}
    created = client.post(
        "/api/v1/declarations/family", body, content_type="application/json", **headers
    )
    assert created.status_code == 201, created.json()
    member = created.json()["member"]
    assert member["full_name"] == "Nguyễn Thị Bé" and "/p/" in member["qr_url"]
    assert "person_token" not in created.content.decode()  # a member's token is never handed out
    again = client.post(
        "/api/v1/declarations/family", body, content_type="application/json", **headers
    )
    assert again.status_code == 200 and again.json()["member"]["id"] == member["id"]

    renewed = client.post(
        "/api/v1/declarations/family",
        {**CHILD, "member_id": member["id"], "travel_outbreak_area": True},
        content_type="application/json",
        **headers,
    )
    assert renewed.status_code == 201 and renewed.json()["member"]["id"] == member["id"]
    listed = client.get("/api/v1/declarations/family", **headers).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == member["id"]
    latest = Declaration.objects.filter(person_id=member["id"]).first()
    assert listed["items"][0]["declared_at"].startswith(latest.created_at.date().isoformat())
    assert latest.travel_outbreak_area


def test_the_api_refuses_without_the_token_and_for_strangers(client, parent, declare):
    person, token = parent
    child = services.declare_for_member(person, cleaned(CHILD))[0].person
    assert client.get("/api/v1/declarations/family").status_code == 401
    anonymous = client.post("/api/v1/declarations/family", CHILD, content_type="application/json")
    assert anonymous.status_code == 401
    other = declare(phone="0912 000 333", id_number="").json()["person_token"]
    headers = {"HTTP_X_PERSON_TOKEN": other}
    assert client.get("/api/v1/declarations/family", **headers).json()["count"] == 0
    stranger = client.post(
        "/api/v1/declarations/family",
        {**CHILD, "member_id": child.pk},
        content_type="application/json",
        **headers,
    )
    assert stranger.status_code == 404 and stranger.json()["code"] == "not_found"
    bad = client.post(
        "/api/v1/declarations/family",
        {**CHILD, "phone": "12"},
        content_type="application/json",
        HTTP_X_PERSON_TOKEN=token,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "phone"]
    assert child.declarations.count() == 1
