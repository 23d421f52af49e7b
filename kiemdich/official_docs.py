"""The administrative frame of every official document kiemdich exports (Excel and PDF).

A table a district attaches to its report is an official document: like the seeds' own
dispatches and their annex (Nghị định 30/2020/NĐ-CP's layout) it opens with the issuing body at
the top left ("UBND HUYỆN BÙ ĐĂNG"), the national motto at the top right ("CỘNG HÒA XÃ HỘI CHỦ
NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc") with the place and date under it ("Bù Đăng,
ngày 26 tháng 8 năm 2021"), then the title, and closes with the signature block ("NGƯỜI LẬP
BIỂU" / "THỦ TRƯỞNG ĐƠN VỊ", room to sign). Every exporter builds it here, so no file goes out
without it and all say it alike; the wording is Vietnamese whatever the screen's language.

The issuing body is `settings.ISSUING_BODY` when set ("|" between its lines: "UBND TỈNH BÌNH
PHƯỚC|BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19"), else the People's Committee of the exporting
official's unit; the place is that unit's name. Imports no app: a unit is anything with `name`
and `full_name`, a user anything with `unit` and `get_full_name()`.

The data stays machine-readable: the frame sits above and below the table, never inside it,
and the table (its header row and data rows) is the workbook's defined name `DATA_NAME`, so a
program finds it whatever the header's height: `openpyxl`'s `book.defined_names[DATA_NAME]`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from xlsxwriter.utility import xl_rowcol_to_cell

from kiemdich import pdf_fonts
from kiemdich.tabular import safe_cell

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
SLOGAN = "Độc lập - Tự do - Hạnh phúc"
#: The two who sign a statistical table: who made it, and the head of the unit who issues it.
SIGNERS = (
    ("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
    ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)"),
)
#: Empty rows left for the signatures (and the seal) in a spreadsheet.
SIGNING_ROWS = 4
#: The workbook name of the data table (header row and data rows, no total).
DATA_NAME = "Bang_so_lieu"


def vietnamese_date(day: dt.date) -> str:
    """ "ngày 03 tháng 12 năm 2026", as Nghị định 30/2020 writes a document's date: a zero before
    days under 10 and before months 1 and 2 (so no one can add a digit), none before 3-9."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass(frozen=True)
class Letterhead:
    """What frames one document: who issues it, where and when, and who made it."""

    issuing_body: tuple[str, ...]  # its lines, top left (the last one in bold)
    place: str  # "Bù Đăng"
    date: dt.date  # the day the document is made, not the day its figures describe
    preparer: str = ""  # written under NGƯỜI LẬP BIỂU

    @property
    def place_and_date(self) -> str:
        """ "Bù Đăng, ngày 26 tháng 8 năm 2021"."""
        when = vietnamese_date(self.date)
        return f"{self.place}, {when}" if self.place else when[0].upper() + when[1:]

    @property
    def left_column(self) -> list[str]:
        return list(self.issuing_body)

    @property
    def right_column(self) -> list[str]:
        return [MOTTO, SLOGAN, self.place_and_date]


def issuing_body_of(unit) -> tuple[str, ...]:
    """The configured issuing body, else the People's Committee of `unit` ("UBND HUYỆN BÙ
    ĐĂNG"); nothing for no unit (a superuser's country-wide table)."""
    configured = tuple(line.strip() for line in settings.ISSUING_BODY.split("|") if line.strip())
    if configured:
        return configured
    return (f"UBND {unit.full_name.upper()}",) if unit is not None else ()


def letterhead(user=None, unit=None, today: dt.date | None = None) -> Letterhead:
    """The frame of a document `user` exports: issued by their own unit (a district officer's
    copy of a commune's table is the district's document), else by `unit`, the area the table
    describes (a superuser without a unit)."""
    issuer = getattr(user, "unit", None) or unit
    name = user.get_full_name().strip() if user is not None and user.get_full_name() else ""
    return Letterhead(
        issuing_body=issuing_body_of(issuer),
        place=issuer.name if issuer is not None else "",
        date=today or timezone.localdate(),
        preparer=name or (getattr(user, "username", "") or ""),
    )


# --- Excel -----------------------------------------------------------------------------------


def split_columns(widths: Sequence[float]) -> int:
    """The first column of the right half: where the widths' running sum is nearest to half, so
    the issuing body and the motto each get about half the page (at least one column each)."""
    total = sum(widths)
    best, best_gap, running = 1, total, 0.0
    for index, width in enumerate(widths[:-1], start=1):
        running += width
        if abs(total / 2 - running) < best_gap:
            best, best_gap = index, abs(total / 2 - running)
    return best


def _span(sheet, row: int, first: int, last: int, value: str, cell_format) -> None:
    if last > first:
        sheet.merge_range(row, first, row, last, safe_cell(value), cell_format)
    else:
        sheet.write_string(row, first, safe_cell(value), cell_format)


def write_xlsx_header(book, sheet, head: Letterhead, widths: Sequence[float], font: dict) -> int:
    """The issuing body and the motto with the place and date, from the sheet's first row;
    returns the row for the title (one blank row after the frame)."""
    last = len(widths) - 1
    middle = split_columns(widths)
    centred = {**font, "align": "center", "valign": "vcenter"}
    plain = book.add_format(centred)
    bold = book.add_format({**centred, "bold": True})
    slogan = book.add_format({**centred, "bold": True, "underline": 1})
    italic = book.add_format({**centred, "italic": True})
    left = head.left_column
    right = head.right_column
    rows = max(len(left), len(right))
    for row in range(rows):
        if row < len(left):
            _span(sheet, row, 0, middle - 1, left[row], bold if row == len(left) - 1 else plain)
        if row < len(right):
            style = (bold, slogan, italic)[row]
            _span(sheet, row, middle, last, right[row], style)
    return rows + 1


def write_xlsx_signature(
    book, sheet, head: Letterhead, row: int, widths: Sequence[float], font: dict
) -> int:
    """The two signers from `row` on (leave a blank row before it), the room to sign, and the
    preparer's name; returns the last row written."""
    last = len(widths) - 1
    middle = split_columns(widths)
    centred = {**font, "align": "center", "valign": "vcenter"}
    bold = book.add_format({**centred, "bold": True})
    italic = book.add_format({**centred, "italic": True})
    halves = ((0, middle - 1), (middle, last))
    for (first, end), (title, hint) in zip(halves, SIGNERS, strict=True):
        _span(sheet, row, first, end, title, bold)
        _span(sheet, row + 1, first, end, hint, italic)
    row += 2 + SIGNING_ROWS
    if head.preparer:
        _span(sheet, row, 0, middle - 1, head.preparer, bold)
    return row


def define_data(book, sheet_name: str, header_row: int, last_row: int, last_col: int) -> None:
    """Name the table (header row to its last data row) `DATA_NAME` in the workbook."""
    first = xl_rowcol_to_cell(header_row, 0, row_abs=True, col_abs=True)
    end = xl_rowcol_to_cell(max(last_row, header_row), last_col, row_abs=True, col_abs=True)
    quoted = sheet_name.replace("'", "''")
    book.define_name(DATA_NAME, f"='{quoted}'!{first}:{end}")


# --- PDF -------------------------------------------------------------------------------------


def _styles(size: float = 10) -> dict[str, ParagraphStyle]:
    pdf_fonts.register()
    base = {"fontSize": size, "leading": size * 1.35, "alignment": TA_CENTER}
    return {
        "plain": ParagraphStyle("head-plain", fontName=pdf_fonts.REGULAR, **base),
        "bold": ParagraphStyle("head-bold", fontName=pdf_fonts.BOLD, **base),
        "italic": ParagraphStyle("head-italic", fontName=pdf_fonts.ITALIC, **base),
    }


def _frame_table(columns: list[list[Flowable]], width: float, split: float) -> Table:
    table = Table([columns], colWidths=[width * split, width * (1 - split)])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def pdf_header(head: Letterhead, width: float) -> list[Flowable]:
    """The issuing body (left) and the motto, place and date (right), across `width` points."""
    style = _styles()
    left = [
        Paragraph(escape(line), style["bold" if i == len(head.left_column) - 1 else "plain"])
        for i, line in enumerate(head.left_column)
    ]
    right = [
        Paragraph(escape(MOTTO), style["bold"]),
        Paragraph(f"<u>{escape(SLOGAN)}</u>", style["bold"]),
        Spacer(1, 0.2 * cm),
        Paragraph(escape(head.place_and_date), style["italic"]),
    ]
    return [_frame_table([left, right], width, 0.42), Spacer(1, 0.6 * cm)]


def pdf_signature(head: Letterhead, width: float) -> Flowable:
    """The signers side by side with room to sign, kept on one page with its last lines."""
    style = _styles()
    columns = []
    for index, (title, hint) in enumerate(SIGNERS):
        cell: list[Flowable] = [
            Paragraph(escape(title), style["bold"]),
            Paragraph(escape(hint), style["italic"]),
            Spacer(1, 2.2 * cm),
        ]
        if index == 0 and head.preparer:
            cell.append(Paragraph(escape(head.preparer), style["bold"]))
        columns.append(cell)
    return KeepTogether([Spacer(1, 0.6 * cm), _frame_table(columns, width, 0.5)])
