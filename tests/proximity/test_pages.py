"""The tracer's page: asked first, then the code shown once, large, with its expiry."""

from __future__ import annotations

import pytest

from kiemdich.accounts.models import AuditLog
from kiemdich.proximity.models import VerificationCode
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_case_page_offers_the_code_and_asks_before_issuing(client, personas, case):
    signed_in(client, personas["tracer"])
    page = client.get(f"/tracing/{case.pk}/").content.decode()
    assert f"/proximity/cases/{case.pk}/code/" in page
    ask = client.get(f"/proximity/cases/{case.pk}/code/")
    assert ask.status_code == 200
    assert "Nguyễn Văn Ca" in ask.content.decode()
    assert not VerificationCode.objects.exists()
    issued = client.post(f"/proximity/cases/{case.pk}/code/", {"symptom_onset": ""})
    assert issued.status_code == 201
    row = VerificationCode.objects.get()
    assert row.case == case
    assert "no-store" in issued["Cache-Control"] or "no-cache" in issued["Cache-Control"]
    assert AuditLog.objects.filter(action="issue", subjects__contains=[case.person_id]).exists()


def test_officials_outside_the_case_area_get_no_code(client, personas, case):
    signed_in(client, personas["other_district"])
    assert client.get(f"/proximity/cases/{case.pk}/code/").status_code == 404
    client.logout()
    signed_in(client, personas["citizen"])
    assert client.post("/proximity/codes/new/").status_code == 403
    assert not VerificationCode.objects.exists()


def test_a_future_onset_is_shown_next_to_its_field_and_kept(client, personas):
    signed_in(client, personas["tracer"])
    answer = client.post("/proximity/codes/new/", {"symptom_onset": "2099-01-01"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'value="2099-01-01"' in html
    assert not VerificationCode.objects.exists()


def test_the_hand_code_button_shows_only_to_those_who_may_issue(client, personas, admin_user):
    """A code by hand counts against the issuer's area: a tracer of an area sees the button; the
    site's administrator, who has no area, does not, and the page refuses them too."""
    signed_in(client, personas["tracer"])
    assert "/proximity/codes/new/" in client.get("/tracing/").content.decode()
    client.force_login(admin_user)
    cases = client.get("/tracing/")
    assert cases.status_code == 200 and "/proximity/codes/new/" not in cases.content.decode()
    assert client.get("/proximity/codes/new/").status_code == 403
