"""Seed 000 (Bình Phước, 13/7/2021): the per-district figures behind its rates, loaded with the
commands an official would run, give the same rates on the page, in the Excel file and the API."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
from django.core.management import call_command

import kiemdich.adoption
from kiemdich.adoption.models import Target
from tests.checkins.test_stats import login
from tests.official_files import data_table, texts

DATA = Path(kiemdich.adoption.__file__).parent / "data"
QUERY = {"unit": "70", "date": "2021-07-12"}

#: The rates as the dispatch lists them (in the province's order of districts).
SEED_000 = {
    "Đồng Xoài": "40.02",
    "Bình Long": "36.97",
    "Phước Long": "30.98",
    "Bù Gia Mập": "25.85",
    "Bù Đăng": "36.09",
    "Bù Đốp": "27.61",
    "Chơn Thành": "32.23",
    "Hớn Quản": "31.49",
    "Lộc Ninh": "32.94",
    "Phú Riềng": "32.27",
    "Đồng Phú": "29.57",
}
PROVINCE_RATE = "33.23"


@pytest.fixture
def seed_000(personas) -> None:
    out = io.StringIO()
    call_command("geo", "import-stats", str(DATA / "seed-000-smartphones.csv"), stdout=out)
    call_command("adoption", "import", str(DATA / "seed-000-installs.csv"), stdout=out)
    assert "Install figures: 11 created, 0 updated." in out.getvalue()
    Target.objects.create(name="60%", unit_id="70", threshold=60, deadline="2021-07-30")


def test_api_reproduces_the_rates_of_seed_000(seed_000, client):
    login(client, "tinh_binhphuoc")
    body = client.get("/api/v1/adoption", QUERY).json()
    rates = {r["name"]: f"{r['rate']:.2f}" for r in body["rows"]}
    assert rates == SEED_000
    assert f"{body['total']['rate']:.2f}" == PROVINCE_RATE
    assert body["total"]["installs"] == sum(r["installs"] for r in body["rows"]) == 212_522
    assert body["total"]["smartphone_users"] == 639_642
    assert body["target"] == {"name": "60%", "threshold": 60.0, "deadline": "2021-07-30"}
    assert set(body["rows"][0]) >= {"code", "name", "smartphone_users", "installs", "rate"}
    assert all(r["imported"] for r in body["rows"])


def test_page_excel_pdf_and_api_agree(seed_000, client):
    login(client, "tinh_binhphuoc")
    body = client.get("/api/v1/adoption", QUERY).json()
    api = {r["name"]: (r["smartphone_users"], r["installs"], r["rate"]) for r in body["rows"]}

    page = client.get("/adoption/", QUERY).content.decode()
    for name, (phones, installs, rate) in api.items():
        shown = f"{phones:,}".replace(",", "."), f"{installs:,}".replace(",", ".")
        cells = re.search(rf">{name}</a></td>\s*(.*?)</tr>", page, re.S).group(1)
        assert shown[0] in cells and shown[1] in cells
        assert f"{rate:.2f}%".replace(".", ",") in cells
    assert 'id="total-rate">33,23%<' in page

    xlsx = client.get("/adoption/export.xlsx", QUERY)
    assert xlsx["Content-Disposition"] == (
        'attachment; filename="ty-le-cai-dat-binh-phuoc-70-2021-07-12.xlsx"'
    )
    found = texts(xlsx.content)
    assert found[0] == "UBND TỈNH BÌNH PHƯỚC"
    title = found.index("(Số liệu đến ngày 12/07/2021)") - 1
    assert found[title].endswith("TRÊN ĐỊA BÀN TỈNH BÌNH PHƯỚC")
    header, table, after = data_table(xlsx.content)
    assert header[5] == "Còn thiếu so với chỉ tiêu"
    assert {r[1]: (r[2], r[3], r[4]) for r in table} == api
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    total = [c.value for c in sheet[after]]
    assert total[0] == "Tổng cộng" and total[4] == 33.23 and total[3] == 212_522
    assert sheet.cell(after - 1, 5).number_format == "0.00"
    note = sheet.cell(after + 1, 1).value
    assert "60% người sử dụng điện thoại thông minh, trước ngày 30/07/2021" in note

    pdf = client.get("/adoption/export.pdf", QUERY)
    text = "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.content))
    assert "Đồng Xoài" in text and "40,02" in text and "33,23" in text and "212.522" in text


def test_the_dashboard_opens_on_the_newest_figures(seed_000, client):
    login(client, "tinh_binhphuoc")
    assert client.get("/api/v1/adoption").json()["date"] == "2021-07-12"
    assert 'value="2021-07-12"' in client.get("/adoption/").content.decode()


@pytest.mark.parametrize(
    "language, short, not_reported",
    [("vi", "Còn thiếu so với chỉ tiêu", "Chưa báo cáo"), ("en", "Short of target", "Missing")],
)
def test_the_shortfall_column_is_not_called_not_reported(
    seed_000, client, language, short, not_reported
):
    """The dashboard's gap column is the installs still missing against the target; the daily
    reports page's counter is the units that have not reported. Each says its own thing."""
    login(client, "tinh_binhphuoc")
    client.cookies["django_language"] = language
    page = client.get("/adoption/", QUERY).content.decode()
    header = re.search(r'<th class="num" id="col-gap">(.*?)</th>', page).group(1)
    assert header == short
    assert not_reported not in page
    reports = client.get("/reports/", {"unit": "70"}).content.decode()
    assert f"<dt>{not_reported}</dt>" in reports and short not in reports
