"""The checkpoint table as files: the XLSX and PDF a district attaches to its report (seed 004)."""

import datetime as dt
import io

import openpyxl
import pypdfium2
import pytest
from django.utils import timezone

from kiemdich.checkins.exports import checkpoint_table_pdf
from kiemdich.checkins.stats import checkpoint_table
from kiemdich.geo.models import Unit
from kiemdich.official_docs import letterhead, vietnamese_date
from tests.checkins.test_stats import SEED_004, build_seed_004, login
from tests.official_files import data_table, pdf_text, texts

QUERY = {"unit": "696", "date": "2021-08-24"}
URL = "/api/v1/stats/checkpoints"


@pytest.fixture
def seed_004(personas) -> None:
    build_seed_004()


def test_xlsx_holds_the_numbers_of_seed_004(seed_004, client):
    login(client, "huyen_budang")
    response = client.get(f"{URL}.xlsx", QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == (
        'attachment; filename="diem-kiem-dich-bu-dang-696-2021-08-24.xlsx"'
    )
    title = (
        "THỐNG KÊ TÌNH HÌNH TRIỂN KHAI ĐIỂM KIỂM DỊCH VÀ KIỂM SOÁT VÀO RA "
        "TRÊN ĐỊA BÀN HUYỆN BÙ ĐĂNG"
    )
    found = texts(response.content)
    # The annex's frame (the district issues it, today), then its title and date line.
    today = vietnamese_date(timezone.localdate())
    assert found[:6] == [
        "UBND HUYỆN BÙ ĐĂNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Bù Đăng, {today}",
        title,
        "(Số liệu thống kê tại thời điểm ngày 24/08/2021)",
    ]
    header, rows, after = data_table(response.content)
    assert header == ["STT", "Phạm vi", "Số điểm kiểm dịch", "Số lượt ghi nhận vào ra từ đầu năm"]
    assert rows == [
        [i, name, checkpoints, scans]
        for i, (_code, (name, checkpoints, scans)) in enumerate(sorted(SEED_004.items()), 1)
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    total = sheet[after]
    assert [total[0].value, total[2].value, total[3].value] == ["Tổng cộng", 189, 8832]
    assert total[3].font.b and total[3].number_format == "#,##0"
    assert sheet.cell(after - 1, 4).number_format == "#,##0"
    assert found[-5:] == [
        "NGƯỜI LẬP BIỂU",
        "THỦ TRƯỞNG ĐƠN VỊ",
        "(Ký, ghi rõ họ tên)",
        "(Ký tên, đóng dấu)",
        "huyen_budang",  # no name on the account: its login
    ]
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"


def test_pdf_is_a_readable_a4_table(seed_004, client):
    login(client, "huyen_budang")
    response = client.get(f"{URL}.pdf", QUERY)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('2021-08-24.pdf"')
    assert response.content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(response.content)
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdf_text(response.content)
    assert "Tổng cộng" in text and "8.832" in text and "2.436" in text
    assert "HUYỆN BÙ ĐĂNG" in text and "Thị trấn Đức Phong" in text


def test_files_need_the_same_permission(seed_004, client):
    assert client.get(f"{URL}.pdf", QUERY).status_code == 401
    login(client, "xa_thongnhat")
    assert client.get(f"{URL}.pdf", QUERY).status_code == 403
    assert client.get(f"{URL}.xlsx", {**QUERY, "date": "2021-02-30"}).status_code == 422


def test_empty_table_still_exports(binh_phuoc):
    unit = Unit.objects.get(code="25396")
    table = checkpoint_table(unit, dt.date(2021, 8, 24))
    text = pdf_text(checkpoint_table_pdf(table, letterhead(None, unit)))
    assert "Thị trấn Đức Phong" in text and "Tổng cộng" in text
