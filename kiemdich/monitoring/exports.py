"""The monitoring dashboard as the Excel file a unit attaches to its report (Vietnamese)."""

from __future__ import annotations

from kiemdich import report_files
from kiemdich.official_docs import Letterhead
from kiemdich.report_files import ReportTable

from .stats import Dashboard

HEADER = [
    "STT",
    "Đơn vị",
    "Đang theo dõi",
    "Đã báo cáo hôm nay",
    "Không báo cáo",
    "Có triệu chứng",
    "Kết thúc hôm nay",
]


def dashboard_table(board: Dashboard) -> ReportTable:
    rows = [[child.full_name, *figures.as_list()] for child, figures in board.rows]
    if not rows:  # a commune: its own line
        rows = [[board.unit.full_name, *board.total.as_list()]]
    regimes = "; ".join(
        f"{label}: {report_files.grouped(n)}" for _value, label, n in board.by_regime
    )
    places = "; ".join(
        f"{f.name}: {report_files.grouped(f.occupancy)}/{report_files.grouped(f.capacity)}"
        for f in board.facilities
    )
    notes = [f"Theo hình thức: {regimes}."]
    if places:
        notes.append(f"Cơ sở cách ly tập trung (đang ở/sức chứa): {places}.")
    return ReportTable(
        title=f"TÌNH HÌNH THEO DÕI CÁCH LY, {board.unit.full_name.upper()}",
        subtitle=f"(Ngày {board.today:%d/%m/%Y})",
        header=HEADER,
        rows=rows,
        total=board.total.as_list(),
        widths=[1.2, 6, 2.6, 2.6, 2.6, 2.6, 2.6],
        sheet_name="Theo dõi cách ly",
        notes=notes,
        wide=True,
    )


def dashboard_xlsx(board: Dashboard, head: Letterhead) -> bytes:
    return report_files.to_xlsx(dashboard_table(board), head)
