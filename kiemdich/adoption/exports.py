"""The install-rate table of seed 000 as an official report (XLSX and PDF).

Laid out as the province's dispatches quote it: each unit's smartphone users, installs and rate,
then the total; the date and the target with its deadline in the heading.
"""

from __future__ import annotations

from kiemdich.official_docs import Letterhead
from kiemdich.report_files import ReportTable, to_pdf, to_xlsx

from .figures import Dashboard

TITLE = "KẾT QUẢ CÀI ĐẶT ỨNG DỤNG PHÒNG, CHỐNG DỊCH COVID-19 TRÊN ĐỊA BÀN {area}"
SUBTITLE = "(Số liệu đến ngày {date:%d/%m/%Y})"
TARGET = (
    "Chỉ tiêu: {threshold}% người sử dụng điện thoại thông minh, trước ngày {deadline:%d/%m/%Y}."
)
HEADER = [
    "STT",
    "Đơn vị",
    "Số người sử dụng điện thoại thông minh",
    "Số lượt cài đặt",
    "Tỷ lệ cài đặt (%)",
    "Còn thiếu so với chỉ tiêu",
]


def report_table(board: Dashboard) -> ReportTable:
    def figures(row) -> list:
        return [row.smartphone_users, row.installs, row.rate, row.pace.gap if row.pace else None]

    notes = []
    if board.target:
        threshold = f"{board.target.threshold.normalize():f}".replace(".", ",")
        notes.append(TARGET.format(threshold=threshold, deadline=board.target.deadline))
    return ReportTable(
        title=TITLE.format(area=board.total.full_name.upper()),
        subtitle=SUBTITLE.format(date=board.date),
        header=HEADER,
        rows=[[r.name, *figures(r)] for r in board.rows],
        total=figures(board.total),
        widths=[1.2, 5.2, 3.4, 2.8, 2.4, 2.8],
        sheet_name="Tỷ lệ cài đặt",
        notes=notes,
    )


def filename(board: Dashboard, suffix: str) -> str:
    """Named after the unit and date, so a folder of daily reports sorts itself."""
    unit = board.unit
    area = f"{unit.slug}-{unit.code}" if unit else "viet-nam"
    return f"ty-le-cai-dat-{area}-{board.date:%Y-%m-%d}.{suffix}"


def dashboard_xlsx(board: Dashboard, head: Letterhead) -> bytes:
    return to_xlsx(report_table(board), head)


def dashboard_pdf(board: Dashboard, head: Letterhead) -> bytes:
    return to_pdf(report_table(board), head)
