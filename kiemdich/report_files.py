"""Tables laid out like an official report, as the XLSX and PDF files officials attach to theirs.

Every table kiemdich exports for a People's Committee (checkpoint statistics, install rates) has
the same shape: the administrative frame of `kiemdich.official_docs` (issuing body, national
motto, place and date), a bold centred title, the date line in italics, a header row, numbered
rows, a bold total, and the signature block. Both writers take one `ReportTable` and one
`Letterhead`, so the Excel file and the PDF can never differ.
The wording is Vietnamese whatever the reader's screen language: the file is a report, not a
page. Totals are written as numbers, not formulas, so viewers that never recalculate (phones,
mail previews) still show them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiemdich import official_docs, pdf_fonts
from kiemdich.official_docs import Letterhead
from kiemdich.tabular import safe_cell, workbook, write_cells

Cell = str | int | Decimal | None

TOTAL = "Tổng cộng"
HEADER_BACKGROUND = "#EEF1F4"


@dataclass
class ReportTable:
    title: str
    subtitle: str
    header: list[str]  # "STT" and the name column first, then the figures
    rows: list[list[Cell]]  # each: name, then figures (STT is added)
    total: list[Cell]  # figures of the total row (its label is TOTAL)
    widths: list[float]  # column widths in cm, STT and name included
    sheet_name: str = "Thống kê"
    notes: list[str] = field(default_factory=list)  # lines under the table
    wide: bool = False  # landscape A4

    @property
    def columns(self) -> int:
        return len(self.header)


def grouped(number: int) -> str:
    """8832 as "8.832", the way Vietnamese reports write counts."""
    return f"{number:,}".replace(",", ".")


def text(value: Cell) -> str:
    """A cell as Vietnamese reports print it: 8.832 and 40,02."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if isinstance(value, int):
        return grouped(value)
    return value


def to_xlsx(table: ReportTable, head: Letterhead) -> bytes:
    """One A4 sheet: the frame's header, title, date, the header row, one row per unit, the bold
    total, the notes and the signatures. The header row and the units' rows are the workbook's
    `official_docs.DATA_NAME`, for programs reading the figures."""
    buffer = io.BytesIO()
    book = workbook(buffer)
    book.set_properties({"title": table.title, "author": "kiemdich"})
    sheet = book.add_worksheet(table.sheet_name)

    font = {"font_name": "Times New Roman", "font_size": 12}
    cell = {**font, "border": 1, "valign": "vcenter"}
    title_fmt = book.add_format(
        {**font, "bold": True, "font_size": 13, "align": "center", "valign": "vcenter"}
    )
    title_fmt.set_text_wrap()
    subtitle_fmt = book.add_format({**font, "italic": True, "align": "center"})
    header_fmt = book.add_format(
        {**cell, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_BACKGROUND}
    )
    index_fmt = book.add_format({**cell, "align": "center"})
    formats = {
        False: {
            str: book.add_format(cell),
            int: book.add_format({**cell, "num_format": "#,##0"}),
            Decimal: book.add_format({**cell, "num_format": "0.00"}),
        },
        True: {
            str: book.add_format({**cell, "bold": True}),
            int: book.add_format({**cell, "bold": True, "num_format": "#,##0"}),
            Decimal: book.add_format({**cell, "bold": True, "num_format": "0.00"}),
        },
    }
    total_label_fmt = book.add_format({**cell, "bold": True, "align": "center"})

    def write(row: int, col: int, value: Cell, bold: bool) -> None:
        if value is None:
            sheet.write_blank(row, col, None, formats[bold][str])
        elif isinstance(value, Decimal):
            sheet.write_number(row, col, float(value), formats[bold][Decimal])
        elif isinstance(value, int):
            sheet.write_number(row, col, value, formats[bold][int])
        else:
            write_cells(sheet, row, col, [value], formats[bold][str])

    last_col = table.columns - 1
    for col, width in enumerate(table.widths):
        sheet.set_column(col, col, width * 4.4)  # cm to Excel character widths
    title_row = official_docs.write_xlsx_header(book, sheet, head, table.widths, font)
    sheet.set_row(title_row, 48)
    sheet.merge_range(title_row, 0, title_row, last_col, safe_cell(table.title), title_fmt)
    sheet.merge_range(
        title_row + 1, 0, title_row + 1, last_col, safe_cell(table.subtitle), subtitle_fmt
    )
    header_row = title_row + 3
    sheet.set_row(header_row, 36 if table.columns <= 4 else 52)
    write_cells(sheet, header_row, 0, table.header, header_fmt)
    row = header_row
    for number, line in enumerate(table.rows, start=1):
        row += 1
        sheet.write_number(row, 0, number, index_fmt)
        for col, value in enumerate(line, start=1):
            write(row, col, value, bold=False)
    official_docs.define_data(book, table.sheet_name, header_row, row, last_col)
    row += 1
    sheet.merge_range(row, 0, row, 1, TOTAL, total_label_fmt)
    for col, value in enumerate(table.total, start=2):
        write(row, col, value, bold=True)
    for note in table.notes:
        row += 1
        write_cells(sheet, row, 0, [note], book.add_format({**font, "italic": True}))
    row = official_docs.write_xlsx_signature(book, sheet, head, row + 2, table.widths, font)

    sheet.set_paper(9)  # A4
    if table.wide:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(left=0.7, right=0.5, top=0.75, bottom=0.75)
    sheet.center_horizontally()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.print_area(0, 0, row, last_col)
    book.close()
    return buffer.getvalue()


def to_pdf(table: ReportTable, head: Letterhead) -> bytes:
    """The same table as an A4 PDF, in its frame, with an embedded font that has the Vietnamese
    glyphs."""
    pdf_fonts.register()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if table.wide else A4,
        leftMargin=2 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=table.title,
        author="kiemdich",
        lang="vi",
    )
    style = {
        "title": ParagraphStyle(
            "title", fontName=pdf_fonts.BOLD, fontSize=12, leading=16, alignment=TA_CENTER
        ),
        "subtitle": ParagraphStyle(
            "subtitle", fontName=pdf_fonts.REGULAR, fontSize=10, leading=14, alignment=TA_CENTER
        ),
        "header": ParagraphStyle(
            "header", fontName=pdf_fonts.BOLD, fontSize=10, leading=13, alignment=TA_CENTER
        ),
        "note": ParagraphStyle("note", fontName=pdf_fonts.REGULAR, fontSize=9, leading=12),
    }
    data: list[list] = [[Paragraph(t, style["header"]) for t in table.header]]
    for number, line in enumerate(table.rows, start=1):
        data.append([str(number), *(text(v) for v in line)])
    data.append([TOTAL, "", *(text(v) for v in table.total)])
    last = len(data) - 1
    grid = Table(data, colWidths=[w * cm for w in table.widths], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), pdf_fonts.REGULAR, 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(HEADER_BACKGROUND)),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("SPAN", (0, last), (1, last)),
                ("FONT", (0, last), (-1, last), pdf_fonts.BOLD, 10),
            ]
        )
    )
    story = [
        *official_docs.pdf_header(head, doc.width),
        Paragraph(table.title, style["title"]),
        Paragraph(table.subtitle, style["subtitle"]),
        Spacer(1, 0.5 * cm),
        grid,
    ]
    story += [Paragraph(note, style["note"]) for note in table.notes]
    story.append(official_docs.pdf_signature(head, doc.width))
    doc.build(story)
    return buffer.getvalue()
