"""`/api/v1/reports/daily`: sending is idempotent and refused with a clear 4xx when it must be;
reading lists the units under one, inside the caller's area only."""

import datetime as dt

import pytest
from django.utils import timezone

from kiemdich.reports.models import DailyReport
from tests.conftest import PASSWORD

URL = "/api/v1/reports/daily"


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def post(client, body: dict):
    return client.post(URL, body, content_type="application/json")


def test_sending_twice_updates_the_same_report(personas, client):
    login(client, personas["commune"])
    first = post(client, {"unit": "25396", "installs": 100, "note": "first"})
    assert first.status_code == 201
    body = first.json()
    assert body["unit"] == "25396" and body["date"] == timezone.localdate().isoformat()
    assert body["status"] == "sent" and body["installs"] == 100
    sent_at = body["submitted_at"]

    again = post(client, {"unit": "25396", "installs": 105, "scans": 9})
    assert again.status_code == 200
    assert again.json()["installs"] == 105 and again.json()["scans"] == 9
    assert again.json()["submitted_at"] == sent_at
    assert DailyReport.objects.count() == 1


def test_a_report_for_a_past_day_is_accepted_and_late(personas, client):
    login(client, personas["commune"])
    day = timezone.localdate() - dt.timedelta(days=3)
    response = post(client, {"unit": "25396", "date": day.isoformat(), "installs": 1})
    assert response.status_code == 201 and response.json()["late"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"unit": "25396"}, 422),  # installs missing
        ({"unit": "25396", "installs": -1}, 422),
        ({"unit": "25396", "installs": "many"}, 422),
        ({"unit": "25396", "installs": 3_000_000_000}, 422),
        ({"unit": "25396", "installs": 1, "scans": -2}, 422),
        ({"unit": "25396", "installs": 1, "date": "2021-13-40"}, 422),
        ({"unit": "25396", "installs": 1, "status": "lost"}, 422),
        ({"unit": "99999", "installs": 1}, 404),
        ({"unit": "25420", "installs": 1}, 403),  # another commune
        ({"unit": "696", "installs": 1}, 403),  # the district above
        ({"unit": "70", "installs": 1}, 403),
    ],
)
def test_bad_reports_are_refused(personas, client, body, status):
    login(client, personas["commune"])
    response = post(client, body)
    assert response.status_code == status
    assert set(response.json()) == {"detail", "code"}
    assert not DailyReport.objects.exists()


def test_a_future_date_is_refused(personas, client):
    login(client, personas["commune"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post(client, {"unit": "25396", "date": tomorrow.isoformat(), "installs": 1})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert response.json()["detail"][0]["loc"] == ["body", "date"]
    assert not DailyReport.objects.exists()


def test_callers_without_an_account_or_a_role_are_refused(personas, client):
    assert post(client, {"unit": "25396", "installs": 1}).status_code == 401
    login(client, personas["citizen"])
    assert post(client, {"unit": "25396", "installs": 1}).status_code == 403
    assert client.get(URL, {"unit": "696"}).status_code == 403


def test_the_district_reads_its_communes_states_and_total(personas, client):
    login(client, personas["commune"])
    post(client, {"unit": "25396", "installs": 100, "smartphone_users": 400})
    client.logout()
    login(client, personas["district"])
    post(client, {"unit": "696", "installs": 100, "status": "draft"})

    response = client.get(URL, {"unit": "696"})

    assert response.status_code == 200
    data = response.json()
    rows = {r["code"]: r for r in data["rows"]}
    assert len(rows) == 16
    assert (
        rows["25396"]["state"] in ("on_time", "late") and rows["25396"]["report"]["installs"] == 100
    )
    assert rows["25420"]["expected"] and rows["25420"]["state"] in ("waiting", "missing")
    assert not rows["25411"]["expected"] and rows["25411"]["report"] is None
    assert data["total"] == {
        "installs": 100,
        "smartphone_users": 400,
        "venues": None,
        "scans": None,
    }
    assert data["state"] == "draft" and data["report"]["status"] == "draft"


@pytest.mark.parametrize(
    ("persona", "unit", "status"),
    [
        ("district", "692", 403),
        ("commune", "25420", 403),
        ("province", "70", 200),
        ("commune", "25396", 200),
        ("district", "nope", 404),
    ],
)
def test_reading_is_limited_to_the_callers_area(personas, client, persona, unit, status):
    login(client, personas[persona])
    assert client.get(URL, {"unit": unit}).status_code == status


def test_reading_a_future_day_or_a_bad_date_is_a_422(personas, client):
    login(client, personas["district"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.get(URL, {"unit": "696", "date": tomorrow.isoformat()}).status_code == 422
    assert client.get(URL, {"unit": "696", "date": "soon"}).status_code == 422
    assert client.get(URL).status_code == 422
