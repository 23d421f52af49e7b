"""Figures that cannot be right (50,000 installs for 100 smartphone users, ten times yesterday's)
are not accepted as an ordinary report: the sender is warned field by field, may confirm them,
and the district and the province then see them marked. One rule (reports.services.doubts)
behind the service, the page and the API."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kiemdich.geo.models import Unit, UnitStat
from kiemdich.reports.models import DailyReport
from kiemdich.reports.services import (
    Figures,
    ImplausibleFigures,
    doubts,
    figures_key,
    overview,
    submit,
)
from tests.conftest import PASSWORD

TODAY = timezone.localdate
URL = "/api/v1/reports/daily"


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def duc_phong(personas) -> Unit:
    """Đức Phong with 5,000 people, 3,000 of them with a smartphone."""
    UnitStat.objects.create(
        unit_id="25396",
        date=TODAY() - dt.timedelta(days=30),
        population=5000,
        smartphone_users=3000,
    )
    return Unit.objects.get(code="25396")


def yesterday_report(personas, unit: Unit, **figures) -> DailyReport:
    report, _created = submit(
        personas["commune"], unit, TODAY() - dt.timedelta(days=1), Figures(**figures)
    )
    return report


# --- the rule --------------------------------------------------------------------------------


def test_installs_above_the_reports_own_smartphone_users_are_in_doubt(duc_phong):
    found = doubts(duc_phong, TODAY(), Figures(installs=50_000, smartphone_users=100))
    assert [(d.field, d.against, d.limit) for d in found] == [("installs", "smartphone_users", 100)]
    assert found[0].message == (
        "Số lượt cài đặt (50.000) nhiều hơn số người sử dụng điện thoại thông minh (100)."
    )


def test_without_smartphone_users_in_the_report_the_units_own_figure_is_the_ceiling(duc_phong):
    found = doubts(duc_phong, TODAY(), Figures(installs=3_001))
    assert [(d.field, d.against, d.limit) for d in found] == [
        ("installs", "smartphone_users", 3000)
    ]
    assert doubts(duc_phong, TODAY(), Figures(installs=3_000)) == []


def test_smartphone_users_above_the_population_are_in_doubt(duc_phong):
    found = doubts(duc_phong, TODAY(), Figures(installs=10, smartphone_users=9_000))
    assert [(d.field, d.against, d.limit) for d in found] == [
        ("smartphone_users", "population", 5000)
    ]
    assert found[0].message == (
        "Số người sử dụng điện thoại thông minh (9.000) nhiều hơn số người sống trên địa bàn "
        "(5.000)."
    )


def test_a_district_without_its_own_figures_is_held_to_the_sum_of_all_its_communes(personas):
    district = Unit.objects.get(code="696")
    communes = list(district.children.values_list("code", flat=True))
    day = TODAY() - dt.timedelta(days=3)
    for code in communes[1:]:
        UnitStat.objects.create(unit_id=code, date=day, population=1000, smartphone_users=500)
    # One commune without figures: a partial sum is no ceiling.
    assert doubts(district, TODAY(), Figures(installs=99_999)) == []
    UnitStat.objects.create(unit_id=communes[0], date=day, population=1000, smartphone_users=500)
    found = doubts(district, TODAY(), Figures(installs=99_999))
    assert [(d.field, d.limit) for d in found] == [("installs", 500 * len(communes))]


def test_a_jump_against_the_previous_report_is_in_doubt(personas, duc_phong, settings):
    yesterday_report(personas, duc_phong, installs=1_200, scans=40)
    found = doubts(duc_phong, TODAY(), Figures(installs=1_300, scans=400))
    assert [(d.field, d.against, d.limit) for d in found] == [("scans", "previous", 40)]
    day = f"{TODAY() - dt.timedelta(days=1):%d/%m/%Y}"
    assert found[0].message == f"400 gấp hơn 3 lần con số 40 của báo cáo ngày {day}."

    # Installs are cumulative: a tenth of yesterday's is as doubtful as ten times it.
    fall = doubts(duc_phong, TODAY(), Figures(installs=120, scans=40))
    assert [(d.field, d.limit) for d in fall] == [("installs", 1_200)]
    assert fall[0].message == f"120 chưa bằng 1/3 con số 1.200 của báo cáo ngày {day}."
    # Scans may fall (a Sunday): no doubt.
    assert doubts(duc_phong, TODAY(), Figures(installs=1_200, scans=2)) == []


def test_the_jump_factor_is_a_setting_and_small_bases_do_not_count(personas, duc_phong, settings):
    yesterday_report(personas, duc_phong, installs=1_000, venues=3)
    # 3 checkpoints to 9 is no jump: below JUMP_BASE a ratio says nothing.
    assert doubts(duc_phong, TODAY(), Figures(installs=2_000, venues=9)) == []
    settings.REPORT_JUMP_FACTOR = 1.5
    found = doubts(duc_phong, TODAY(), Figures(installs=2_000))
    assert [(d.field, d.factor) for d in found] == [("installs", 1.5)]
    assert "gấp hơn 1,5 lần" in found[0].message
    settings.REPORT_JUMP_FACTOR = 0  # the check is off
    assert doubts(duc_phong, TODAY(), Figures(installs=2_999)) == []


# --- the service -----------------------------------------------------------------------------


def test_the_service_refuses_doubtful_figures_until_confirmed_then_flags_them(personas, duc_phong):
    figures = Figures(installs=50_000, smartphone_users=100)
    with pytest.raises(ImplausibleFigures) as refused:
        submit(personas["commune"], duc_phong, TODAY(), figures)
    assert refused.value.status == 422 and refused.value.code == "implausible"
    assert [e["loc"] for e in refused.value.detail] == [["body", "installs"]]
    assert not DailyReport.objects.exists()

    report, _ = submit(personas["commune"], duc_phong, TODAY(), figures, confirm_implausible=True)
    assert report.implausible and report.installs == 50_000
    assert report.doubts == [
        {
            "field": "installs",
            "value": 50_000,
            "against": "smartphone_users",
            "limit": 100,
            "since": None,
            "factor": None,
        }
    ]

    # Corrected to plausible figures, the flag goes.
    report, _ = submit(
        personas["commune"], duc_phong, TODAY(), Figures(installs=80, smartphone_users=100)
    )
    assert not report.implausible and report.doubts == []


def test_a_draft_is_not_checked(personas, duc_phong):
    report, _ = submit(
        personas["commune"], duc_phong, TODAY(), Figures(installs=50_000), send=False
    )
    assert report.status == "draft" and not report.implausible


def test_the_district_and_the_province_see_the_confirmed_doubts(personas, duc_phong):
    submit(
        personas["commune"],
        duc_phong,
        TODAY(),
        Figures(installs=50_000, smartphone_users=100),
        confirm_implausible=True,
    )
    district = overview(Unit.objects.get(code="696"), TODAY())
    row = next(r for r in district.rows if r.unit.code == "25396")
    assert [d.field for d in row.doubts] == ["installs"]
    assert [r.unit.code for r in district.implausible] == ["25396"]
    province = overview(Unit.objects.get(code="70"), TODAY())
    bu_dang = next(r for r in province.rows if r.unit.code == "696")
    assert bu_dang.implausible_below == 1
    assert all(r.implausible_below == 0 for r in province.rows if r.unit.code != "696")


# --- the page --------------------------------------------------------------------------------


def test_the_page_warns_next_to_the_field_keeps_the_figures_and_asks_to_confirm(
    personas, duc_phong, client
):
    login(client, personas["commune"])
    typed = {"installs": "50000", "smartphone_users": "100", "scans": "7", "note": "đã kiểm"}
    response = client.post("/reports/", {**typed, "action": "send"})

    assert response.status_code == 200
    html = response.content.decode()
    field = re.search(r'<div class="field doubtful" id="field-installs">(.*?)</div>', html, re.S)
    assert field, "no warning at the installs field"
    assert "nhiều hơn số người sử dụng điện thoại thông minh (100)" in field.group(1)
    assert 'value="50000"' in field.group(1)
    assert 'value="7"' in html and "đã kiểm" in html
    assert 'id="confirm-implausible"' in html and "Tôi xác nhận các số liệu này" in html
    assert not DailyReport.objects.exists()

    # Ticking the box without the warned figures (another tab, a stale form) is not a
    # confirmation: the warning comes back.
    response = client.post("/reports/", {**typed, "confirm_implausible": "on", "action": "send"})
    assert response.status_code == 200 and not DailyReport.objects.exists()

    key = figures_key(Figures(installs=50000, smartphone_users=100, scans=7))
    assert f'name="confirmed_figures" value="{key}"' in response.content.decode()
    # Confirming figures other than the ones warned about (the installs changed meanwhile)
    # needs a new confirmation.
    other = {**typed, "installs": "60000", "confirm_implausible": "on", "confirmed_figures": key}
    assert client.post("/reports/", {**other, "action": "send"}).status_code == 200
    assert not DailyReport.objects.exists()

    confirmed = {**typed, "confirm_implausible": "on", "confirmed_figures": key, "action": "send"}
    response = client.post("/reports/", confirmed, follow=True)
    assert response.redirect_chain and DailyReport.objects.get().implausible
    assert "được đánh dấu là bất thường" in response.content.decode()

    client.logout()
    login(client, personas["district"])
    html = client.get("/reports/").content.decode()
    row = re.search(r'<tr data-unit="25396".*?</tr>', html, re.S).group(0)
    assert "data-implausible" in row and "số liệu bất thường" in row
    doubts_box = re.search(r'id="doubts">(.*?)</div>', html, re.S).group(1)
    assert "Thị trấn Đức Phong" in doubts_box and "50.000" in doubts_box

    client.logout()
    login(client, personas["province"])
    html = client.get("/reports/").content.decode()
    row = re.search(r'<tr data-unit="696".*?</tr>', html, re.S).group(0)
    assert 'data-implausible-below="1"' in row and "1 báo cáo của xã có số liệu bất thường" in row
    # Above the table too: on a phone the table scrolls sideways and its last column is hidden.
    box = re.search(r'id="doubts">(.*?)</div>', html, re.S).group(1)
    assert "Huyện Bù Đăng" in box and "1 báo cáo của xã có số liệu bất thường" in box
    assert html.index('id="doubts"') < html.index('<table class="data stats reports">')


def test_the_page_says_it_in_english_too(personas, duc_phong, client):
    login(client, personas["commune"])
    client.cookies["django_language"] = "en"
    html = client.post(
        "/reports/", {"installs": "50000", "smartphone_users": "100", "action": "send"}
    ).content.decode()
    assert "More installs (50,000) than smartphone users (100)." in html
    assert "I confirm these figures" in html


def test_plausible_figures_show_no_confirmation(personas, duc_phong, client):
    login(client, personas["commune"])
    html = client.get("/reports/").content.decode()
    assert 'id="confirm-implausible"' not in html and "doubtful" not in html
    response = client.post(
        "/reports/", {"installs": "300", "smartphone_users": "1000", "action": "send"}
    )
    assert response.status_code == 302 and not DailyReport.objects.get().implausible


# --- the API ---------------------------------------------------------------------------------


def test_the_api_refuses_with_422_naming_the_field_unless_confirmed(personas, duc_phong, client):
    login(client, personas["commune"])
    body = {"unit": "25396", "installs": 50_000, "smartphone_users": 100}
    refused = client.post(URL, body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "implausible"
    assert [(e["loc"], "50.000" in e["msg"]) for e in refused.json()["detail"]] == [
        (["body", "installs"], True)
    ]
    assert not DailyReport.objects.exists()

    sent = client.post(URL, {**body, "confirm_implausible": True}, content_type="application/json")
    assert sent.status_code == 201
    assert sent.json()["implausible"] is True
    assert [(d["field"], d["against"], d["limit"]) for d in sent.json()["doubts"]] == [
        ("installs", "smartphone_users", 100)
    ]

    client.logout()
    login(client, personas["district"])
    read = client.get(URL, {"unit": "696"}).json()
    row = next(r for r in read["rows"] if r["code"] == "25396")
    assert row["report"]["implausible"] is True and row["report"]["doubts"][0]["value"] == 50_000
    client.logout()
    login(client, personas["province"])
    read = client.get(URL, {"unit": "70"}).json()
    assert next(r for r in read["rows"] if r["code"] == "696")["implausible_below"] == 1
