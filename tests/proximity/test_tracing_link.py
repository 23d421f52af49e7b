"""A Bluetooth contact in tracing: no checkpoint, shown as "Bluetooth" on the case page, in the
commune's list, its Excel file, the API and its warning SMS; tracing again keeps it. And the
phone's public steps are rate-limited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kiemdich.declarations.services import person_token
from kiemdich.tracing import services as tracing
from kiemdich.tracing.models import Contact
from tests.conftest import PASSWORD
from tests.ratelimit.conftest import assert_limited

from .conftest import Phone, bearer, issue, post
from .test_keys import heard, warned_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def bluetooth_contact(client, personas, case) -> Contact:
    phone = Phone(client)
    certificate = phone.certificate(issue(client, personas["tracer"], case).json()["code"])
    assert phone.upload(certificate, consent=True).status_code == 200
    neighbour = warned_person()
    body = {"personToken": person_token(neighbour), "exposures": heard(phone)}
    assert post(client, "exposures", body).status_code == 202
    return Contact.objects.get(case=case)


def test_tracers_see_the_bluetooth_contact_everywhere(client, personas, case, bluetooth_contact):
    assert client.login(username="truyvet_budang", password=PASSWORD)
    with_lang = {"HTTP_ACCEPT_LANGUAGE": "vi"}
    page = client.get(f"/tracing/{case.pk}/", **with_lang).content.decode()
    assert 'id="count-bluetooth">1<' in page
    listed = client.get(f"/tracing/{case.pk}/communes/25396/", **with_lang).content.decode()
    assert "Trần Thị Hàng" in listed and "Bluetooth" in listed
    sheet = client.get(f"/tracing/{case.pk}/communes/25396/export.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any("Trần Thị Hàng" in row and "Bluetooth" in row for row in rows)
    preview = client.get(f"/tracing/{case.pk}/communes/25396/notify/").content.decode()
    assert "Điện thoại của bạn đã ở gần điện thoại của một ca COVID-19" in preview
    contacts = client.get(f"/api/v1/cases/{case.pk}/contacts", **bearer(personas["tracer"]))
    evidence = contacts.json()["items"][0]["evidence"]
    assert evidence["kind"] == "bluetooth" and evidence["venue_id"] is None


def test_tracing_again_keeps_the_bluetooth_contact(case, bluetooth_contact):
    tracing.trace_case(case, degree=2)
    kept = Contact.objects.get(pk=bluetooth_contact.pk)
    assert kept.evidence == "bluetooth" and kept.degree == 1


def test_claiming_codes_is_rate_limited(client, db, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "proximity-verify": "3/h"}
    for _ in range(3):
        assert post(client, "verify", {"code": "00000000"}).status_code == 400
    assert_limited(post(client, "verify", {"code": "00000000"}))


def test_the_upload_steps_are_rate_limited(client, db, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "proximity-upload": "2/h"}
    for _ in range(2):
        assert post(client, "certificate", {"token": "x", "ekeyhmac": "y"}).status_code == 400
    assert_limited(
        post(
            client,
            "keys",
            {"temporaryExposureKeys": [], "verificationPayload": "x", "hmacKey": "y"},
        )
    )
