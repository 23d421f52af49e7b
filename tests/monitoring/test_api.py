"""`/api/v1/monitoring`: enrol, list, report (person and team), transfer, accept, close; and the
refusals, each a clear 4xx."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.accounts.tokens import create_token
from kiemdich.declarations.services import person_token
from kiemdich.monitoring import services
from kiemdich.monitoring.links import report_token
from kiemdich.monitoring.models import DailyReport, Monitoring, Reporter
from kiemdich.tracing.models import Case

from .conftest import enrol

API = "/api/v1/monitoring"


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def post(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", **headers)


def test_enrol_list_and_read_one(client, personas, people):
    auth = bearer(personas["commune"])
    body = {
        "phone": "0912000001",
        "regime": "home_quarantine",
        "exposure_at": (timezone.now() - dt.timedelta(days=3)).isoformat(),
    }
    created = post(client, API, body, **auth)
    assert created.status_code == 201, created.json()
    assert created.json()["period_days"] == 14 and created.json()["commune_code"] == "25396"
    assert post(client, API, body, **auth).status_code == 200  # already under monitoring
    listed = client.get(API, **auth).json()
    assert listed["count"] == 1 and listed["items"][0]["full_name"] == "Trần Thị An"
    assert AuditLog.objects.filter(subject="monitoring list", subjects=[people["an"].pk]).exists()
    one = client.get(f"{API}/{created.json()['id']}", **auth)
    assert one.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "0912000001", "regime": "centralized"}, "facility"),
        ({"phone": "0912000001", "regime": "house_arrest"}, "regime"),
        (
            {
                "phone": "0912000001",
                "regime": "home_quarantine",
                "exposure_at": "2999-01-01T00:00Z",
            },
            "exposure_at",
        ),
        (
            {
                "phone": "0912000001",
                "regime": "home_quarantine",
                "exposure_at": "0001-01-01T00:00Z",
            },
            "exposure_at",
        ),
        ({"phone": "0999999999", "regime": "home_quarantine"}, "phone"),
    ],
)
def test_bad_enrolments_are_refused_next_to_the_field(client, personas, people, body, field):
    body = {"exposure_at": (timezone.now() - dt.timedelta(days=3)).isoformat(), **body}
    response = post(client, API, body, **bearer(personas["commune"]))
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Monitoring.objects.exists()


def test_an_exposure_whose_monitoring_would_have_ended_is_refused_with_the_end(
    client, personas, people
):
    """Fourteen days of home quarantine from an exposure 15 days ago ended yesterday: the
    clock would close it at once. The refusal says when it ended; one day later is fine."""
    exposure = timezone.now() - dt.timedelta(days=15)
    body = {"phone": "0912000001", "regime": "home_quarantine"}
    auth = bearer(personas["commune"])
    refused = post(client, API, {**body, "exposure_at": exposure.isoformat()}, **auth)
    assert refused.status_code == 422
    ended = timezone.localtime(exposure + dt.timedelta(days=14))
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "exposure_at"]
    assert f"theo dõi 14 ngày tính từ đó đã kết thúc vào ngày {ended:%d/%m/%Y}." in error["msg"]
    assert not Monitoring.objects.exists()
    recent = (exposure + dt.timedelta(days=2)).isoformat()
    assert post(client, API, {**body, "exposure_at": recent}, **auth).status_code == 201


def test_a_replaced_link_no_longer_reports_in_the_api(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    old = {"HTTP_X_REPORT_TOKEN": report_token(an)}
    services.send_new_link(personas["commune"], an)
    an.refresh_from_db()
    report = {"client_id": str(uuid.uuid4()), "temperature": "36.5"}
    assert post(client, f"{API}/{an.pk}/reports", report, **old).status_code == 401
    new = {"HTTP_X_REPORT_TOKEN": report_token(an)}
    assert post(client, f"{API}/{an.pk}/reports", report, **new).status_code == 201


def test_the_person_reports_with_the_sms_link_once(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    body = {"symptoms": ["cough"], "temperature": "37.2", "client_id": str(uuid.uuid4())}
    link = {"HTTP_X_REPORT_TOKEN": report_token(an)}
    first = post(client, f"{API}/{an.pk}/reports", body, **link)
    assert first.status_code == 201 and first.json()["symptomatic"] is True
    assert post(client, f"{API}/{an.pk}/reports", body, **link).status_code == 200
    assert DailyReport.objects.get().reporter == Reporter.SELF
    # The link of one monitoring does not report for another.
    other = enrol(personas["district"], people["binh"])
    assert post(client, f"{API}/{other.pk}/reports", body, **link).status_code == 401


def test_a_phone_reports_for_itself_and_nobody_else(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    binh = enrol(personas["district"], people["binh"])
    phone = {"HTTP_X_PERSON_TOKEN": person_token(people["an"])}
    assert (
        post(client, f"{API}/{an.pk}/reports", {"temperature": "36.5"}, **phone).status_code == 201
    )
    assert (
        post(client, f"{API}/{binh.pk}/reports", {"temperature": "36.5"}, **phone).status_code
        == 404
    )


def test_a_team_call_needs_its_outcome(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    auth = bearer(personas["commune"])
    missing = post(client, f"{API}/{an.pk}/reports", {"reporter": "team_call"}, **auth)
    assert missing.status_code == 422 and "outcome" in str(missing.json()["detail"])
    done = post(
        client, f"{API}/{an.pk}/reports", {"reporter": "team_call", "outcome": "seen_well"}, **auth
    )
    assert done.status_code == 201
    anonymous = post(client, f"{API}/{an.pk}/reports", {"temperature": "36.5"})
    assert anonymous.status_code in (401, 403)


def test_transfer_accept_and_close(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    sender, receiver = bearer(personas["commune"]), bearer(personas["other_commune"])
    assert (
        post(client, f"{API}/{an.pk}/transfer", {"to_commune": "25396"}, **sender).status_code
        == 422
    )
    sent = post(client, f"{API}/{an.pk}/transfer", {"to_commune": "25420"}, **sender)
    assert sent.status_code == 201
    again = post(client, f"{API}/{an.pk}/transfer", {"to_commune": "25420"}, **sender)
    assert again.status_code == 409 and again.json()["code"] == "transfer_pending"
    transfer_id = sent.json()["id"]
    assert post(client, f"{API}/transfers/{transfer_id}/accept", {}, **sender).status_code == 422
    assert post(client, f"{API}/transfers/{transfer_id}/accept", {}, **receiver).status_code == 200
    # An still lives in Đức Phong: Thống Nhất cannot record the case there, the district can.
    refused = post(client, f"{API}/{an.pk}/close", {"reason": "became_case"}, **receiver)
    assert refused.status_code == 422 and Monitoring.objects.get().state == "active"
    district = bearer(personas["district"])
    closed = post(client, f"{API}/{an.pk}/close", {"reason": "became_case"}, **district)
    assert closed.status_code == 200
    assert closed.json()["case_id"] == Case.objects.get(person=people["an"]).pk
    late = post(client, f"{API}/{an.pk}/close", {"reason": "lost"}, **receiver)
    assert late.status_code == 409 and late.json()["code"] == "closed"


def test_outsiders_get_nothing(client, personas, people):
    an = enrol(personas["commune"], people["an"])
    assert client.get(f"{API}/{an.pk}", **bearer(personas["other_commune"])).status_code == 404
    assert client.get(API, **bearer(personas["citizen"])).status_code == 403
    assert client.get(API).status_code == 401


def test_dashboard(client, personas, people):
    enrol(personas["commune"], people["an"])
    body = client.get(f"{API}/dashboard?unit=696", **bearer(personas["district"])).json()
    assert body["total"]["under"] == 1 and body["by_regime"]["home_quarantine"] == 1
    assert (
        client.get(f"{API}/dashboard?unit=692", **bearer(personas["district"])).status_code == 404
    )
