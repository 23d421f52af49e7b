"""The /reports/ page: a commune sends, the district compiles, corrects and sends, the province
reads; each persona only where it may."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kiemdich.adoption.models import InstallFigure
from kiemdich.geo.models import Unit
from kiemdich.reports.models import DailyReport
from kiemdich.reports.services import Figures, submit
from tests.conftest import PASSWORD


@pytest.fixture
def clock(monkeypatch):
    """Pins the clock to a local time of day, today: the deadlines are times of day."""

    def set_to(hhmm: str) -> dt.datetime:
        today = timezone.localdate()
        hours, minutes = map(int, hhmm.split(":"))
        value = timezone.make_aware(
            dt.datetime.combine(today, dt.time(hours, minutes)), timezone.get_default_timezone()
        )
        monkeypatch.setattr(timezone, "now", lambda: value)
        return value

    return set_to


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def row_state(html: str, code: str) -> str:
    match = re.search(rf'data-unit="{code}" data-state="([a-z_]*)"', html)
    assert match, f"no row for {code}"
    return match.group(1)


def value_of(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def test_the_commune_form_is_prefilled_with_the_platforms_figures(personas, client, clock):
    clock("10:00")
    InstallFigure.objects.create(unit_id="25396", date=timezone.localdate(), installs=1234)
    login(client, personas["commune"])

    response = client.get("/reports/")

    assert response.status_code == 200
    html = response.content.decode()
    assert value_of(html, "installs") == "1234"
    assert 'id="report-form"' in html


def test_a_commune_sends_on_time_and_the_district_sees_it(personas, client, clock):
    clock("14:00")
    login(client, personas["commune"])
    response = client.post(
        "/reports/?unit=25396", {"installs": 300, "smartphone_users": 1000, "action": "send"}
    )
    assert response.status_code == 302
    report = DailyReport.objects.get(unit_id="25396", date=timezone.localdate())
    assert report.status == "sent" and not report.late and report.installs == 300
    assert report.submitted_by == personas["commune"]

    client.logout()
    login(client, personas["district"])
    html = client.get("/reports/").content.decode()
    assert row_state(html, "25396") == "on_time"
    assert row_state(html, "25420") == "waiting"  # has an officer, not due before 15:00
    assert row_state(html, "25411") == "not_expected"  # nobody runs it here
    assert 'data-count="on_time">1<' in html


def test_a_commune_report_sent_after_15_00_is_marked_late(personas, client, clock):
    clock("15:30")
    login(client, personas["commune"])
    client.post("/reports/", {"installs": 300, "action": "send"})
    assert DailyReport.objects.get(unit_id="25396").late

    clock("15:40")
    login(client, personas["district"])
    assert row_state(client.get("/reports/").content.decode(), "25396") == "late"


def test_invalid_figures_are_refused_with_the_form_shown_again(personas, client, clock):
    clock("10:00")
    login(client, personas["commune"])
    response = client.post("/reports/", {"installs": -5, "action": "send"})
    assert response.status_code == 200
    assert 'class="field invalid" id="field-installs"' in response.content.decode()
    assert not DailyReport.objects.exists()


def test_the_district_report_is_compiled_corrected_as_a_draft_then_sent(personas, client, clock):
    today = timezone.localdate()
    morning = clock("09:00")
    submit(
        personas["commune"],
        Unit.objects.get(code="25396"),
        today,
        Figures(installs=300, smartphone_users=1000, venues=12, scans=40),
        now=morning,
    )
    submit(
        personas["other_commune"],
        Unit.objects.get(code="25420"),
        today,
        Figures(installs=200, smartphone_users=800, venues=3, scans=None),
        now=morning,
    )
    clock("15:45")
    login(client, personas["district"])

    html = client.get("/reports/").content.decode()
    assert value_of(html, "installs") == "500"
    assert value_of(html, "smartphone_users") == "1800"
    assert value_of(html, "venues") == "15"
    assert value_of(html, "scans") == "40"
    not_included = re.search(r'id="not-included">(.*?)</p>', html, re.S).group(1)
    assert "Đức Phong" not in not_included and "Thống Nhất" not in not_included
    assert "Đức Liễu" in not_included  # one of the 14 communes without a report

    response = client.post(
        "/reports/", {"installs": 520, "smartphone_users": 1800, "action": "draft"}
    )
    assert response.status_code == 302
    draft = DailyReport.objects.get(unit_id="696", date=today)
    assert draft.status == "draft" and draft.installs == 520 and draft.submitted_at is None
    html = client.get("/reports/").content.decode()
    assert value_of(html, "installs") == "520"  # the correction is kept, not recompiled

    sent_at = clock("15:55")
    client.post("/reports/", {"installs": 521, "smartphone_users": 1800, "action": "send"})
    report = DailyReport.objects.get(unit_id="696", date=today)
    assert report.status == "sent" and report.installs == 521 and not report.late
    assert report.submitted_at == sent_at and report.submitted_by == personas["district"]

    clock("16:20")  # a correction after the deadline keeps the report on time
    client.post("/reports/", {"installs": 522, "action": "send"})
    report.refresh_from_db()
    assert report.installs == 522 and report.submitted_at == sent_at and not report.late

    client.logout()
    login(client, personas["province"])
    html = client.get("/reports/").content.decode()
    assert row_state(html, "696") == "on_time"
    assert row_state(html, "692") == "missing"  # Lộc Ninh has an officer and sent nothing
    assert 'id="report-form"' not in html  # the province reads, it sends nothing up here


def test_a_district_report_sent_after_16_00_is_late(personas, client, clock):
    clock("16:05")
    login(client, personas["district"])
    client.post("/reports/", {"installs": 10, "action": "send"})
    assert DailyReport.objects.get(unit_id="696").late


def test_history_shows_a_past_day(personas, client, clock):
    clock("10:00")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    submit(personas["commune"], Unit.objects.get(code="25396"), yesterday, Figures(installs=7))
    login(client, personas["district"])
    html = client.get(f"/reports/?date={yesterday.isoformat()}").content.decode()
    assert row_state(html, "25396") == "late"  # sent today, for yesterday
    assert row_state(html, "25420") == "missing"
    assert row_state(client.get("/reports/").content.decode(), "25396") == "waiting"


def test_a_future_date_is_refused_and_today_shown(personas, client, clock):
    clock("10:00")
    login(client, personas["commune"])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.get(f"/reports/?date={tomorrow.isoformat()}")
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert client.post(f"/reports/?date={tomorrow.isoformat()}", {"installs": 1}).status_code == 403
    assert not DailyReport.objects.exists()


@pytest.mark.parametrize(
    ("persona", "unit", "status"),
    [
        ("commune", "25396", 302),
        ("commune_peer", "25396", 302),
        ("district", "25396", 302),  # the district types in for one of its communes
        ("other_commune", "25396", 403),
        ("other_district", "25396", 403),
        ("province", "25396", 403),
        ("province", "696", 403),
        ("tracer", "25396", 403),
        ("commune", "696", 403),
        ("district", "696", 302),
    ],
)
def test_who_may_send_which_report(personas, client, clock, persona, unit, status):
    clock("10:00")
    login(client, personas[persona])
    response = client.post(f"/reports/?unit={unit}", {"installs": 5, "action": "send"})
    assert response.status_code == status
    assert DailyReport.objects.filter(unit_id=unit).exists() == (status == 302)


@pytest.mark.parametrize(
    ("persona", "unit", "status"),
    [
        ("commune", "25396", 200),
        ("commune", "25420", 403),
        ("commune", "696", 403),
        ("district", "696", 200),
        ("district", "692", 403),
        ("province", "70", 200),
        ("tracer", "696", 200),
        ("citizen", "696", 403),
        ("venue_owner", "25396", 403),
    ],
)
def test_who_may_see_which_reports(personas, client, persona, unit, status):
    login(client, personas[persona])
    assert client.get(f"/reports/?unit={unit}").status_code == status


def test_a_tracer_sees_but_gets_no_form(personas, client):
    login(client, personas["tracer"])
    assert 'id="report-form"' not in client.get("/reports/").content.decode()


def test_anonymous_visitors_are_sent_to_the_login(binh_phuoc, client):
    response = client.get("/reports/")
    assert response.status_code == 302 and response.url.startswith("/login/")
