"""Declaring through the API: validation, tokens, the personal QR, corrections and exports."""

import io
import uuid

import openpyxl
import pytest
from django.core.signing import Signer, base64_hmac

from kiemdich.declarations.models import Declaration, Person
from kiemdich.declarations.services import _TOKEN_SALT, person_id_from_token
from kiemdich.venues import signing
from kiemdich.venues.signing import InvalidPayload


def messages(response) -> dict[str, str]:
    return {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("id_number", "0010900123", "9 digits (CMND) or 12 digits (CCCD)"),
        ("phone", "12345", "not a valid Vietnamese phone number"),
        ("birth_year", 1850, "between 1900 and"),
        ("commune_code", "696", "not a commune"),
        ("commune_code", "99999", "no commune with code 99999"),
        ("nationality", "XX", "not a country code"),
        ("full_name", "Nguyễn 2", "no digits"),
        ("full_name", "::", "Enter the full name"),
    ],
)
def test_bad_fields_get_a_message_next_to_the_field_and_store_nothing(
    binh_phuoc, declare, client, field, value, text
):
    client.cookies["django_language"] = "en"
    response = declare(**{field: value})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert text in messages(response)[field]
    assert not Person.objects.exists() and not Declaration.objects.exists()


def test_messages_are_vietnamese_by_default(binh_phuoc, declare):
    response = declare(id_number="123")
    assert "9 chữ số" in messages(response)["id_number"]


def test_a_declaration_returns_a_token_and_a_signed_personal_qr(binh_phuoc, declare, client):
    response = declare(symptoms=["fever", "cough"], contact_with_case=True)
    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get()
    assert body["declaration"]["id_number"] == "001090012345"
    assert body["declaration"]["phone"] == "+84912345678"
    assert body["declaration"]["symptoms"] == ["fever", "cough"]
    payload = body["qr_url"].rsplit("/p/", 1)[1]
    assert signing.verify(payload, kind=signing.PERSON).number == person.pk
    # A person QR is never accepted as a checkpoint, nor the other way round.
    with pytest.raises(signing.InvalidPayload):
        signing.verify(payload)
    mine = client.get("/api/v1/declarations/mine", HTTP_X_PERSON_TOKEN=body["person_token"])
    assert [d["id"] for d in mine.json()["items"]] == [body["declaration"]["id"]]


def test_the_same_client_id_twice_stores_one_declaration(binh_phuoc, declare):
    client_id = str(uuid.uuid4())
    first = declare(client_id=client_id)
    again = declare(client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = declare(client_id=client_id, full_name="Someone Else")
    assert other.status_code == 409 and other.json()["code"] == "client_id_conflict"
    assert Declaration.objects.count() == 1


def test_a_declaration_made_with_a_token_is_not_replayed_without_it(binh_phuoc, declare):
    """The replay holds the token: knowing the client id and the details must not give it."""
    token = declare().json()["person_token"]
    client_id = str(uuid.uuid4())
    assert declare(client_id=client_id, person_token=token).status_code == 201
    assert declare(client_id=client_id, person_token=token).status_code == 200
    stolen = declare(client_id=client_id)
    assert stolen.status_code == 409 and "person_token" not in stolen.json()
    assert Declaration.objects.count() == 2


def test_a_later_declaration_with_the_token_updates_the_same_person(binh_phuoc, declare):
    token = declare().json()["person_token"]
    second = declare(person_token=token, address="Thôn 3", symptoms=["fever"])
    assert second.status_code == 201
    person = Person.objects.get()
    assert person.address == "Thôn 3" and person.declarations.count() == 2


def test_the_same_phone_without_a_token_never_reaches_someone_elses_data(
    binh_phuoc, declare, client
):
    """Knowing someone's phone number must not give their declarations."""
    mine = declare().json()
    theirs = declare(full_name="Kẻ Giả Mạo").json()
    assert theirs["person_token"] != mine["person_token"]
    listed = client.get("/api/v1/declarations/mine", HTTP_X_PERSON_TOKEN=theirs["person_token"])
    assert [d["full_name"] for d in listed.json()["items"]] == ["Kẻ Giả Mạo"]


def test_a_person_corrects_and_exports_their_own_declarations(binh_phuoc, declare, client):
    body = declare().json()
    token, declaration_id = body["person_token"], body["declaration"]["id"]
    from tests.declarations.conftest import DECLARATION

    fixed = client.put(
        f"/api/v1/declarations/mine/{declaration_id}",
        {**DECLARATION, "birth_year": 1991},
        content_type="application/json",
        HTTP_X_PERSON_TOKEN=token,
    )
    assert fixed.status_code == 200 and fixed.json()["birth_year"] == 1991
    assert Person.objects.get().birth_year == 1991
    export = client.get("/api/v1/declarations/mine.xlsx", HTTP_X_PERSON_TOKEN=token)
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
    assert [c.value for c in sheet[2]][1:3] == ["Nguyễn Văn An", 1991]


def test_nobody_else_reads_or_corrects_a_declaration(binh_phuoc, declare, client):
    first = declare().json()
    other = declare(full_name="Trần Thị Bình").json()
    url = f"/api/v1/declarations/mine/{first['declaration']['id']}"
    from tests.declarations.conftest import DECLARATION

    hijack = client.put(
        url, DECLARATION, content_type="application/json", HTTP_X_PERSON_TOKEN=other["person_token"]
    )
    assert hijack.status_code == 404
    assert client.get("/api/v1/declarations/mine").status_code == 401
    forged = client.get("/api/v1/declarations/mine", HTTP_X_PERSON_TOKEN="1:forged")
    assert forged.status_code == 401


# The token check is written for speed (a batch checks a thousand); it must answer as Django's
# Signer, which made the tokens, would.


def _signer(key="key-now", fallbacks=()):
    return Signer(key=key, fallback_keys=list(fallbacks), salt=_TOKEN_SALT)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "123",
        ":",
        "123:",
        "abc:def",
        "١٢٣:xyz",  # digits Python's int() reads, in another script
        "-5:xyz",
        "12:3:xyz",
        "123:ü",
    ],
)
def test_malformed_tokens_are_refused(settings, token):
    settings.SECRET_KEY = "key-now"
    with pytest.raises(InvalidPayload):
        person_id_from_token(token)


def test_tokens_are_checked_as_djangos_signer_checks_them(settings):
    settings.SECRET_KEY = "key-now"
    settings.SECRET_KEY_FALLBACKS = ["key-before"]
    current = _signer().sign("4711")
    older = _signer("key-before").sign("4711")
    assert person_id_from_token(current) == person_id_from_token(older) == 4711
    assert _signer("key-now", ["key-before"]).unsign(older) == "4711"
    tampered = [
        current.replace("4711", "4712"),
        current[:-1] + ("A" if current[-1] != "A" else "B"),
        current + "=",
        _signer("someone-elses-key").sign("4711"),
    ]
    for token in tampered:
        with pytest.raises(InvalidPayload):
            person_id_from_token(token)
    # An empty fallback stands for SECRET_KEY, as in Signer: it is no key anyone can sign with.
    settings.SECRET_KEY_FALLBACKS = [""]
    with pytest.raises(InvalidPayload):
        person_id_from_token("4711:" + base64_hmac(_TOKEN_SALT + "signer", "4711", "", "sha256"))
    assert person_id_from_token(current) == 4711
    # Retiring the older key refuses its tokens at once.
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidPayload):
        person_id_from_token(older)
    assert person_id_from_token(current) == 4711
