"""Every Excel and PDF file an official exports is an official document: issuing body, national
motto, place and date, title, and the signature block, like the seeds' own dispatches; and its
table stays readable by a program (the workbook's defined name)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kiemdich import official_docs, report_files
from kiemdich.accounts.models import Role
from kiemdich.geo.models import Unit
from kiemdich.official_docs import Letterhead, letterhead, vietnamese_date
from tests.conftest import PASSWORD, make_user
from tests.official_files import data_table, pdf_text, texts, workbook

MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
#: The signature block in reading order (row by row, left to right).
SIGNERS = ["NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"]


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def today_line(place: str) -> str:
    return f"{place}, {vietnamese_date(timezone.localdate())}"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 12, 3), "ngày 03 tháng 12 năm 2026"),
        (dt.date(2021, 8, 26), "ngày 26 tháng 8 năm 2021"),
        (dt.date(2021, 2, 9), "ngày 09 tháng 02 năm 2021"),
        (dt.date(2021, 1, 15), "ngày 15 tháng 01 năm 2021"),
    ],
)
def test_dates_are_written_as_decree_30_writes_them(day, text):
    assert vietnamese_date(day) == text


def test_the_issuing_body_and_place_are_the_exporting_officials_unit(personas):
    officer = personas["district"]
    officer.first_name, officer.last_name = "Nguyễn Văn", "Lưu"  # as the demo's accounts
    head = letterhead(officer, Unit.objects.get(code="25396"), today=dt.date(2026, 12, 3))
    assert head.issuing_body == ("UBND HUYỆN BÙ ĐĂNG",)
    assert head.place_and_date == "Bù Đăng, ngày 03 tháng 12 năm 2026"
    assert head.preparer == "Nguyễn Văn Lưu"

    commune = letterhead(personas["commune"], None, today=dt.date(2026, 12, 3))
    assert commune.issuing_body == ("UBND THỊ TRẤN ĐỨC PHONG",)
    assert commune.place == "Đức Phong"


def test_without_a_unit_the_area_of_the_table_issues_it(binh_phuoc):
    admin = make_user("quantri", Role.CITIZEN, is_superuser=True)  # no unit of their own
    head = letterhead(admin, Unit.objects.get(code="70"))
    assert head.issuing_body == ("UBND TỈNH BÌNH PHƯỚC",)
    assert head.place == "Bình Phước"


def test_the_issuing_body_setting_wins_line_by_line(personas, settings):
    settings.ISSUING_BODY = "UBND TỈNH BÌNH PHƯỚC | BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19"
    head = letterhead(personas["district"], None)
    assert head.issuing_body == ("UBND TỈNH BÌNH PHƯỚC", "BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19")
    assert head.place == "Bù Đăng"  # the place stays the official's


TABLE = report_files.ReportTable(
    title="THỐNG KÊ TÌNH HÌNH TRIỂN KHAI ĐIỂM KIỂM DỊCH",
    subtitle="(Số liệu thống kê tại thời điểm ngày 24/08/2021)",
    header=["STT", "Phạm vi", "Số điểm kiểm dịch", "Tỷ lệ"],
    rows=[["Xã Đăng Hà", 1, Decimal("40.02")], ["Xã Thống Nhất", 31, None]],
    total=[32, Decimal("33.23")],
    widths=[1.3, 7.7, 3.5, 5],
    notes=["Ghi chú."],
)
HEAD = Letterhead(
    issuing_body=("UBND TỈNH BÌNH PHƯỚC", "BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19"),
    place="Bình Phước",
    date=dt.date(2026, 12, 3),
    preparer="Trần Tuyết Minh",
)


def test_the_excel_file_is_framed_and_its_table_still_reads(db):
    content = report_files.to_xlsx(TABLE, HEAD)
    found = texts(content)
    frame = [
        "UBND TỈNH BÌNH PHƯỚC",
        *MOTTO[:1],
        "BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19",
        MOTTO[1],
        "Bình Phước, ngày 03 tháng 12 năm 2026",
        TABLE.title,
        TABLE.subtitle,
    ]
    assert found[: len(frame)] == frame  # the header above the title, in reading order
    assert found[-5:] == [*SIGNERS, "Trần Tuyết Minh"]  # the signatures at the very end

    header, rows, after = data_table(content)
    assert header == TABLE.header
    assert rows == [[1, "Xã Đăng Hà", 1, 40.02], [2, "Xã Thống Nhất", 31, None]]
    total = [c.value for c in workbook(content).active[after]]
    assert total[0] == "Tổng cộng" and total[2:] == [32, 33.23]


def test_the_pdf_is_framed_the_same_way(db):
    text = " ".join(pdf_text(report_files.to_pdf(TABLE, HEAD)).split())  # lines wrap
    for line in [*HEAD.issuing_body, *MOTTO, "Bình Phước, ngày 03 tháng 12 năm 2026", *SIGNERS]:
        assert line in text, line
    assert "Trần Tuyết Minh" in text
    assert text.index("CỘNG HÒA") < text.index("THỐNG KÊ") < text.index("Tổng cộng")
    assert text.index("Tổng cộng") < text.index("NGƯỜI LẬP BIỂU")


# --- every export, as its users download it --------------------------------------------------


def test_the_checkpoint_table_files_carry_the_districts_frame(personas, client):
    login(client, personas["district"])
    query = {"unit": "696", "date": "2021-08-24"}
    xlsx = client.get("/api/v1/stats/checkpoints.xlsx", query).content
    found = texts(xlsx)
    assert found[:4] == ["UBND HUYỆN BÙ ĐĂNG", *MOTTO, today_line("Bù Đăng")]
    assert set(SIGNERS) <= set(found)
    header, rows, _after = data_table(xlsx)
    assert header[:2] == ["STT", "Phạm vi"] and len(rows) == 16

    text = pdf_text(client.get("/api/v1/stats/checkpoints.pdf", query).content)
    assert "UBND HUYỆN BÙ ĐĂNG" in text and today_line("Bù Đăng") in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text


def test_the_install_rate_files_are_issued_by_whoever_exports_them(personas, client):
    login(client, personas["district"])  # the district's copy of a commune's table
    xlsx = client.get("/adoption/export.xlsx", {"unit": "25396"}).content
    found = texts(xlsx)
    assert found[0] == "UBND HUYỆN BÙ ĐĂNG" and today_line("Bù Đăng") in found
    assert any(t.endswith("TRÊN ĐỊA BÀN THỊ TRẤN ĐỨC PHONG") for t in found)
    assert data_table(xlsx)[0][:2] == ["STT", "Đơn vị"]

    client.logout()
    login(client, personas["province"])
    text = pdf_text(client.get("/adoption/export.pdf", {"unit": "70"}).content)
    assert "UBND TỈNH BÌNH PHƯỚC" in text and today_line("Bình Phước") in text
    assert "NGƯỜI LẬP BIỂU" in text and "Độc lập - Tự do - Hạnh phúc" in text


def test_the_frame_is_built_in_one_place():
    """No exporter writes its own motto or signature: they all go through official_docs."""
    from pathlib import Path

    import kiemdich

    root = Path(kiemdich.__file__).parent
    writers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" in path.read_text() or "NGƯỜI LẬP BIỂU" in path.read_text()
    )
    assert writers == ["official_docs.py"]
    # Every officials' exporter; a citizen's "download my data" (declarations) is no report.
    exporters = [p for p in root.rglob("exports.py") if p.parent.name != "declarations"]
    assert len(exporters) >= 5  # adoption, checkins, hotline, monitoring, tracing
    framed = [
        path
        for path in exporters
        if "official_docs" in path.read_text() or "report_files" in path.read_text()
    ]
    assert framed == exporters
    assert official_docs.DATA_NAME.isidentifier()
