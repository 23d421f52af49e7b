"""The hotline's statistics as the files officials attach to their reports (XLSX and PDF),
through kiemdich.report_files in the frame of kiemdich.official_docs: one line per agency,
the total, and the handling times under the table."""

from __future__ import annotations

from decimal import Decimal

from kiemdich import report_files
from kiemdich.official_docs import Letterhead

TITLE = "THỐNG KÊ XỬ LÝ PHẢN ÁNH QUA ĐƯỜNG DÂY NÓNG 1022 TRÊN ĐỊA BÀN {area}"
SUBTITLE = "(Từ ngày {start} đến ngày {end})"
HEADER = [
    "STT",
    "Cơ quan tiếp nhận",
    "Số phản ánh",
    "Đã xử lý",
    "Xử lý trong hạn",
    "Tỷ lệ trong hạn (%)",
]


def _share(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def report_table(figures: dict, area: str) -> report_files.ReportTable:
    start = "/".join(reversed(figures["from"].split("-")))
    end = "/".join(reversed(figures["to"].split("-")))
    unrouted = figures["tickets"] - sum(row["tickets"] for row in figures["per_agency"])
    rows = [
        [row["agency"], row["tickets"], row["resolved"], row["met"], _share(row["met_share"])]
        for row in figures["per_agency"]
    ]
    if unrouted:
        rows.append(["Chờ đường dây nóng phân công", unrouted, None, None, None])
    notes = [
        f"Thời gian xử lý: trung vị {figures['median_minutes'] or 0:.0f} phút, "
        f"90% trong {figures['p90_minutes'] or 0:.0f} phút.",
        f"Mở lại: {figures['reopened']}; chuyển cơ quan khác: {figures['moved']}.",
    ]
    return report_files.ReportTable(
        title=TITLE.format(area=area.upper()),
        subtitle=SUBTITLE.format(start=start, end=end),
        header=HEADER,
        rows=rows,
        total=[
            figures["tickets"],
            figures["resolved"],
            figures["met"],
            _share(figures["met_share"]),
        ],
        widths=[1.2, 6.3, 2.4, 2.4, 2.6, 2.6],
        notes=notes,
    )


def statistics_xlsx(figures: dict, area: str, head: Letterhead) -> bytes:
    return report_files.to_xlsx(report_table(figures, area), head)


def statistics_pdf(figures: dict, area: str, head: Letterhead) -> bytes:
    return report_files.to_pdf(report_table(figures, area), head)
