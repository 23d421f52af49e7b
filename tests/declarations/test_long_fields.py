"""Over-long fields in an ID-card (CCCD) or Decision 1405 QR, or in a typed-in visitor, are
refused with a 4xx that names the field, and nothing is stored: on PostgreSQL they were a 500
(the column is too short), on SQLite they were stored longer than the model allows."""

import uuid

import pytest
from django.utils import timezone

from kiemdich.accounts.tokens import create_token
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_from_details, person_from_qr
from kiemdich.tracing.models import Case
from kiemdich.venues.services import qr_url
from kiemdich.venues.signing import InvalidPayload
from tests.venues.conftest import make_venue

LONG_NAME = "Nguyễn " + "A" * 120
CCCD_LONG_NAME = f"079190001234|123456789|{LONG_NAME}|15081990|Nam|12 Lê Lợi|01012021"
QR_1405_LONG_NAME = f"079190001234|{LONG_NAME}|1990-08-15|0|QID|EXT"
QR_1405_LONG_ID = f"{'1' * 25}|PHAM VAN DUC|1990-08-15|0|QID|EXT"
GOOD_CCCD = "079190001234|123456789|Phạm Văn Đức|15081990|Nam|12 Lê Lợi, Đồng Xoài|01012021"

BAD_QRS = [
    pytest.param(CCCD_LONG_NAME, "full_name", 100, id="cccd-name"),
    pytest.param(QR_1405_LONG_NAME, "full_name", 100, id="1405-name"),
    pytest.param(QR_1405_LONG_ID, "id_number", 20, id="1405-id"),
]


@pytest.fixture
def shop(personas):
    # Run by the staff below (a checkpoint with no owner lets nobody scan others in: 403).
    return make_venue(name="Tạp hóa Minh Phương", category="shop", owner=personas["venue_owner"])


@pytest.fixture
def staff(personas) -> dict:
    _, token = create_token(personas["venue_owner"])
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def scan(venue, **fields) -> dict:
    return {"client_id": str(uuid.uuid4()), "venue": qr_url(venue), "direction": "in", **fields}


@pytest.mark.parametrize(("qr", "field", "limit"), BAD_QRS)
def test_the_parser_refuses_an_over_long_field_by_name(db, qr, field, limit):
    with pytest.raises(InvalidPayload) as refused:
        person_from_qr(qr)
    assert refused.value.code == "too_long"
    assert field in refused.value.message and str(limit) in refused.value.message
    assert not Person.objects.exists()


@pytest.mark.parametrize(("qr", "field", "limit"), BAD_QRS)
def test_a_single_scan_of_an_over_long_qr_is_a_4xx_naming_the_field(
    client, shop, staff, qr, field, limit
):
    response = client.post(
        "/api/v1/checkins", scan(shop, person_qr=qr), content_type="application/json", **staff
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_long" and field in body["detail"]
    assert not Person.objects.exists() and not Checkin.objects.exists()


@pytest.mark.parametrize(("qr", "field", "limit"), BAD_QRS)
def test_in_a_batch_the_over_long_qr_fails_alone(client, shop, staff, qr, field, limit):
    items = [scan(shop, person_qr=GOOD_CCCD), scan(shop, person_qr=qr), scan(shop)]
    response = client.post(
        "/api/v1/checkins/batch", {"items": items}, content_type="application/json", **staff
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 400, 201]
    assert body["results"][1]["code"] == "too_long" and field in body["results"][1]["detail"]
    assert (body["stored"], body["failed"]) == (2, 1)
    assert Checkin.objects.count() == 2
    assert list(Person.objects.values_list("id_number", flat=True)) == ["079190001234"]


@pytest.mark.parametrize(("qr", "field", "limit"), BAD_QRS)
def test_a_case_from_an_over_long_qr_is_refused(client, binh_phuoc, personas, qr, field, limit):
    _, token = create_token(personas["tracer"])
    response = client.post(
        "/api/v1/cases",
        {"person_qr": qr, "confirmed_at": timezone.now().isoformat()},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert 400 <= response.status_code < 500
    assert field in str(response.json()["detail"])
    assert not Person.objects.exists() and not Case.objects.exists()


def test_a_typed_in_visitor_with_an_over_long_name_is_refused(db):
    with pytest.raises(InvalidPayload) as refused:
        person_from_details("Trần " + "B" * 150, "0912 345 678")
    assert refused.value.code == "too_long" and "full_name" in refused.value.message
    assert not Person.objects.exists()
