"""Verification: a tracer issues a one-time code for a case; the phone trades it for a token,
then a certificate bound to its keys; only those keys upload, once."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.proximity import client, verification
from kiemdich.proximity.models import DiagnosisKey, VerificationCode

from .conftest import Phone, issue, post

pytestmark = pytest.mark.django_db


def codes(api_client, personas, case):
    response = issue(api_client, personas["tracer"], case)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_tracer_issues_a_short_and_a_long_code_for_their_case(client, personas, case):
    before = timezone.now()
    body = codes(client, personas, case)
    assert body["code"].isdigit() and len(body["code"]) == 8
    assert len(body["long_code"]) == 16
    row = VerificationCode.objects.get()
    assert before <= row.created_at <= timezone.now()
    assert row.expires_at - row.created_at == dt.timedelta(minutes=15)
    assert row.long_expires_at - row.created_at == dt.timedelta(hours=24)
    shown = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(shown - row.expires_at) < dt.timedelta(milliseconds=1)
    assert (body["issued_today"], body["daily_quota"]) == (1, 200)
    # Only HMACs are kept: the table holds neither code.
    assert body["code"] not in (row.code_hash, row.long_code_hash)
    assert row.code_hash == verification.code_hash(body["code"])
    assert row.symptom_onset == timezone.localtime(case.onset_at).date()
    assert AuditLog.objects.filter(action="issue", subjects__contains=[case.person_id]).exists()


def test_only_the_cases_own_area_issues_its_codes(client, personas, case):
    assert issue(client, personas["other_district"], case).status_code == 404
    assert issue(client, personas["venue_owner"], case).status_code == 403
    # A commune of the case's district sees it but does not work it: only its area does.
    answer = issue(client, personas["other_commune"], case)
    assert answer.status_code == 404
    assert issue(client, personas["citizen"]).status_code == 403
    assert post(client, "codes", {"case_id": case.pk}).status_code == 401
    assert not VerificationCode.objects.exists()


def test_a_code_by_hand_counts_in_the_tracers_area(client, personas):
    response = issue(client, personas["tracer"], symptom_onset=str(timezone.localdate()))
    assert response.status_code == 201
    assert VerificationCode.objects.get().unit_id == "696"
    future = str(timezone.localdate() + dt.timedelta(days=2))
    refused = issue(client, personas["tracer"], symptom_onset=future)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "symptom_onset"]


def test_the_daily_quota_per_area(client, personas, case, settings):
    settings.PROXIMITY_DAILY_CODES = 2
    assert issue(client, personas["tracer"], case).status_code == 201
    assert issue(client, personas["district"], case).status_code == 201
    refused = issue(client, personas["tracer"], case)
    assert refused.status_code == 429
    assert refused.json()["code"] == "quota_exceeded"
    assert VerificationCode.objects.count() == 2
    # Another area (the tracer's district, for a code by hand) has its own quota.
    assert issue(client, personas["tracer"]).status_code == 201
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        assert issue(client, personas["tracer"], case).status_code == 201
        assert issue(client, personas["tracer"], case).status_code == 201


def test_a_replayed_code_is_refused(client, personas, case):
    code = codes(client, personas, case)["code"]
    assert post(client, "verify", {"code": code}).status_code == 200
    again = post(client, "verify", {"code": code})
    assert again.status_code == 409
    assert again.json()["code"] == "code_used"
    # Claiming the short code claims the long one too.
    long = VerificationCode.objects.get()
    assert long.claimed_at is not None


def test_codes_expire_short_after_15_minutes_long_after_24_hours(client, personas, case):
    first = codes(client, personas, case)
    later = timezone.now() + dt.timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expired = post(client, "verify", {"code": first["code"]})
        assert (expired.status_code, expired.json()["code"]) == (400, "code_expired")
        assert post(client, "verify", {"code": first["long_code"]}).status_code == 200
    second = codes(client, personas, case)
    with mock.patch("django.utils.timezone.now", return_value=later + dt.timedelta(days=1)):
        expired = post(client, "verify", {"code": second["long_code"].lower()})
        assert expired.json()["code"] == "code_expired"


def test_an_unknown_code_is_invalid(client, db):
    answer = post(client, "verify", {"code": "12345678"})
    assert (answer.status_code, answer.json()["code"]) == (400, "code_invalid")


def test_a_token_gives_one_certificate(client, personas, case):
    phone = Phone(client)
    token = phone.token(codes(client, personas, case)["code"])
    body = {"token": token, "ekeyhmac": "A" * 43 + "="}
    assert post(client, "certificate", body).status_code == 200
    again = post(client, "certificate", body)
    assert (again.status_code, again.json()["code"]) == (409, "token_used")
    bad = post(client, "certificate", {"token": token + "x", "ekeyhmac": body["ekeyhmac"]})
    assert bad.json()["code"] == "token_invalid"


def test_a_certificate_needs_an_hmac(client, personas, case):
    token = Phone(client).token(codes(client, personas, case)["code"])
    answer = post(client, "certificate", {"token": token, "ekeyhmac": "not base64!"})
    assert (answer.status_code, answer.json()["code"]) == (400, "hmac_invalid")


def test_the_phone_uploads_its_14_keys(client, personas, case):
    phone = Phone(client)
    answer = phone.upload(phone.certificate(codes(client, personas, case)["code"]))
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"insertedExposures": 14, "linkedToCase": 0, "retried": False}
    stored = {bytes(k.key_data): k for k in DiagnosisKey.objects.all()}
    assert set(stored) == {k.key for k in phone.keys}
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    assert {k.received_hour for k in stored.values()} == {hour}
    # The onset (the case's, 2 days ago, a local date) came with the certificate: days since
    # onset per key, counted in UTC days as the keys are.
    onset = VerificationCode.objects.get().symptom_onset
    since = (timezone.now().astimezone(dt.UTC).date() - onset).days
    assert since in (1, 2)  # 1 in the evening UTC, when Vietnam is a day ahead
    assert stored[phone.keys[0].key].days_since_onset == since
    assert stored[phone.keys[13].key].days_since_onset == since - 13


def test_a_retry_of_the_same_upload_stores_nothing_more(client, personas, case):
    phone = Phone(client)
    certificate = phone.certificate(codes(client, personas, case)["code"])
    assert phone.upload(certificate).status_code == 200
    again = phone.upload(certificate)
    assert again.status_code == 200
    assert again.json() == {"insertedExposures": 0, "linkedToCase": 0, "retried": True}
    assert DiagnosisKey.objects.count() == 14


def test_another_phones_certificate_cannot_upload(client, personas, case):
    """A certificate stolen from one phone is bound to that phone's keys and secret."""
    owner, thief = Phone(client), Phone(client)
    certificate = owner.certificate(codes(client, personas, case)["code"])
    answer = thief.upload(certificate)
    assert (answer.status_code, answer.json()["code"]) == (400, "hmac_mismatch")
    # Not with the owner's secret either, if the keys are the thief's.
    answer = thief.upload(certificate, secret=owner.secret)
    assert answer.json()["code"] == "hmac_mismatch"
    assert not DiagnosisKey.objects.exists()


def test_keys_that_do_not_match_the_tekmac_cannot_upload(client, personas, case):
    phone = Phone(client)
    certificate = phone.certificate(codes(client, personas, case)["code"])
    fewer = phone.upload(certificate, keys=phone.keys[:13])
    assert fewer.json()["code"] == "hmac_mismatch"
    other = Phone(client).keys[0]
    swapped = phone.upload(certificate, keys=[other, *phone.keys[1:]])
    assert swapped.json()["code"] == "hmac_mismatch"
    assert not DiagnosisKey.objects.exists()
    # The right keys still go through: the refusals used nothing up.
    assert phone.upload(certificate).status_code == 200


def test_a_forged_or_expired_certificate_is_refused(client, personas, case):
    phone = Phone(client)
    certificate = phone.certificate(codes(client, personas, case)["code"])
    header, payload, mac = certificate.split(".")
    forged = phone.upload(f"{header}.{payload}.{mac[::-1]}")
    assert (forged.status_code, forged.json()["code"]) == (400, "certificate_invalid")
    later = timezone.now() + dt.timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        expired = phone.upload(certificate)
    assert expired.json()["code"] == "certificate_expired"
    assert not DiagnosisKey.objects.exists()


def test_the_client_computes_the_reference_tekmac_cleartext():
    """The exposure-notifications-server's format: key.start.period, sorted, comma-joined."""
    from kiemdich.proximity.tekmac import KeyRef, cleartext

    keys = [KeyRef("z9==", 2650000, 144), KeyRef("AAA=", 2649856, 100)]
    assert cleartext(keys) == "AAA=.2649856.100,z9==.2650000.144"
    assert client.API == "/api/v1/proximity"


def test_a_huge_body_is_a_400_in_the_apis_shape(client, db, settings):
    """Phones' calls are public: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before it is
    read, with the API's JSON error, not Django's HTML page."""
    body = '{"code": "' + "1" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    answer = client.post("/api/v1/proximity/verify", body, content_type="application/json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "bad_request"
