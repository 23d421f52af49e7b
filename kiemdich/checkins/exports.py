"""The checkpoint table as the files officials attach to their reports (XLSX and PDF, A4).

Both copy the layout of the table annexed to seed 004 (Bù Đăng, 1687/UBND-VX) so a district can
send it up unchanged; kiemdich.report_files writes them in the frame of kiemdich.official_docs.
"""

from __future__ import annotations

from kiemdich import report_files
from kiemdich.official_docs import Letterhead

from .stats import CheckpointTable

TITLE = "THỐNG KÊ TÌNH HÌNH TRIỂN KHAI ĐIỂM KIỂM DỊCH VÀ KIỂM SOÁT VÀO RA TRÊN ĐỊA BÀN {area}"
SUBTITLE = "(Số liệu thống kê tại thời điểm ngày {date:%d/%m/%Y})"
HEADER = ["STT", "Phạm vi", "Số điểm kiểm dịch", "Số lượt ghi nhận vào ra từ đầu năm"]


def report_table(table: CheckpointTable) -> report_files.ReportTable:
    return report_files.ReportTable(
        title=TITLE.format(area=table.unit.full_name.upper()),
        subtitle=SUBTITLE.format(date=table.date),
        header=HEADER,
        rows=[[line.name, line.checkpoints, line.scans] for line in table.rows],
        total=[table.total.checkpoints, table.total.scans],
        widths=[1.3, 7.7, 3.5, 5],
    )


def checkpoint_table_xlsx(table: CheckpointTable, head: Letterhead) -> bytes:
    return report_files.to_xlsx(report_table(table), head)


def checkpoint_table_pdf(table: CheckpointTable, head: Letterhead) -> bytes:
    return report_files.to_pdf(report_table(table), head)
