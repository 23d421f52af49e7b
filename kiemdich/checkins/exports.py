"""The checkpoint table as the files officials attach to their reports (XLSX and PDF, A4).

Both copy the layout of the table annexed to seed 004 (Bù Đăng, 1687/UBND-VX) so a district can
send it up unchanged. The wording is the Vietnamese of that official form whatever language the
reader's screen uses: the file is a report to the People's Committee, not a page of the site.
Totals are written as numbers rather than formulas, so viewers that never recalculate (phones,
mail previews, LibreOffice in safe mode) still show them.
"""

from __future__ import annotations

import io

import xlsxwriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiemdich import pdf_fonts

from .stats import CheckpointTable

TITLE = "THỐNG KÊ TÌNH HÌNH TRIỂN KHAI ĐIỂM KIỂM DỊCH VÀ KIỂM SOÁT VÀO RA TRÊN ĐỊA BÀN {area}"
SUBTITLE = "(Số liệu thống kê tại thời điểm ngày {date:%d/%m/%Y})"
HEADER = ("STT", "Phạm vi", "Số điểm kiểm dịch", "Số lượt ghi nhận vào ra từ đầu năm")
TOTAL = "Tổng cộng"

FONT_REGULAR = pdf_fonts.REGULAR
FONT_BOLD = pdf_fonts.BOLD


def title(table: CheckpointTable) -> str:
    return TITLE.format(area=table.unit.full_name.upper())


def subtitle(table: CheckpointTable) -> str:
    return SUBTITLE.format(date=table.date)


def checkpoint_table_xlsx(table: CheckpointTable) -> bytes:
    """One A4 portrait sheet: title, date, header, one row per unit, the bold total."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": title(table), "author": "kiemdich"})
    sheet = book.add_worksheet("Thống kê")

    font = {"font_name": "Times New Roman", "font_size": 12}
    cell = {**font, "border": 1, "valign": "vcenter"}
    title_fmt = book.add_format(
        {**font, "bold": True, "font_size": 13, "align": "center", "valign": "vcenter"}
    )
    title_fmt.set_text_wrap()
    subtitle_fmt = book.add_format({**font, "italic": True, "align": "center"})
    header_fmt = book.add_format(
        {**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#EEF1F4"}
    )
    index_fmt = book.add_format({**cell, "align": "center"})
    text_fmt = book.add_format(cell)
    number_fmt = book.add_format({**cell, "num_format": "#,##0"})
    total_label_fmt = book.add_format({**cell, "bold": True, "align": "center"})
    total_number_fmt = book.add_format({**cell, "bold": True, "num_format": "#,##0"})

    sheet.set_column("A:A", 6)
    sheet.set_column("B:B", 34)
    sheet.set_column("C:C", 16)
    sheet.set_column("D:D", 24)
    sheet.set_row(0, 48)
    sheet.merge_range("A1:D1", title(table), title_fmt)
    sheet.merge_range("A2:D2", subtitle(table), subtitle_fmt)
    header_row = 3
    sheet.set_row(header_row, 36)
    sheet.write_row(header_row, 0, HEADER, header_fmt)
    row = header_row
    for number, line in enumerate(table.rows, start=1):
        row += 1
        sheet.write_number(row, 0, number, index_fmt)
        sheet.write_string(row, 1, line.name, text_fmt)
        sheet.write_number(row, 2, line.checkpoints, number_fmt)
        sheet.write_number(row, 3, line.scans, number_fmt)
    row += 1
    sheet.merge_range(row, 0, row, 1, TOTAL, total_label_fmt)
    sheet.write_number(row, 2, table.total.checkpoints, total_number_fmt)
    sheet.write_number(row, 3, table.total.scans, total_number_fmt)

    sheet.set_paper(9)  # A4
    sheet.set_portrait()
    sheet.set_margins(left=0.7, right=0.5, top=0.75, bottom=0.75)
    sheet.center_horizontally()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.print_area(0, 0, row, 3)
    book.close()
    return buffer.getvalue()


def checkpoint_table_pdf(table: CheckpointTable) -> bytes:
    """The same table as an A4 PDF with an embedded font that has the Vietnamese glyphs."""
    pdf_fonts.register()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=title(table),
        author="kiemdich",
        lang="vi",
    )
    title_style = ParagraphStyle(
        "title", fontName=FONT_BOLD, fontSize=12, leading=16, alignment=TA_CENTER
    )
    subtitle_style = ParagraphStyle(
        "subtitle", fontName=FONT_REGULAR, fontSize=10, leading=14, alignment=TA_CENTER
    )
    header_style = ParagraphStyle(
        "header", fontName=FONT_BOLD, fontSize=10, leading=13, alignment=TA_CENTER
    )
    data: list[list] = [[Paragraph(text, header_style) for text in HEADER]]
    for number, line in enumerate(table.rows, start=1):
        data.append([str(number), line.name, grouped(line.checkpoints), grouped(line.scans)])
    data.append([TOTAL, "", grouped(table.total.checkpoints), grouped(table.total.scans)])
    last = len(data) - 1
    grid = Table(data, colWidths=[1.3 * cm, 7.7 * cm, 3.5 * cm, 5 * cm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT_REGULAR, 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("SPAN", (0, last), (1, last)),
                ("FONT", (0, last), (-1, last), FONT_BOLD, 10),
            ]
        )
    )
    doc.build(
        [
            Paragraph(title(table), title_style),
            Paragraph(subtitle(table), subtitle_style),
            Spacer(1, 0.5 * cm),
            grid,
        ]
    )
    return buffer.getvalue()


def grouped(number: int) -> str:
    """8832 as "8.832", the way Vietnamese reports write counts."""
    return f"{number:,}".replace(",", ".")
