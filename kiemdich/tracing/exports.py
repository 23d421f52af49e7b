"""One commune's contact list of a case as the Excel file its officers call from and fill in.

Vietnamese whatever the screen's language (like checkins/exports.py): the file goes to the
commune's health station and People's Committee, in the administrative frame of
kiemdich.official_docs (issuing body, motto, place and date; signatures at the end). Times are
Vietnam time, written as text so every viewer shows them the same way.
"""

from __future__ import annotations

import io

from django.utils import timezone, translation

from kiemdich import official_docs
from kiemdich.official_docs import Letterhead
from kiemdich.phones import display_phone
from kiemdich.tabular import safe_cell, workbook, write_cell, write_cells

TITLE = "DANH SÁCH F{degrees} CỦA CA BỆNH F0 #{case} TRÊN ĐỊA BÀN {area}"
SUBTITLE = (
    "(Thời gian có khả năng lây nhiễm từ {start:%H:%M %d/%m/%Y} đến {end:%H:%M %d/%m/%Y};"
    " lập lúc {now:%H:%M %d/%m/%Y})"
)
HEADER = (
    "STT",
    "Họ và tên",
    "Năm sinh",
    "Số điện thoại",
    "Địa chỉ",
    "F",
    "Tiếp xúc tại",
    "Từ",
    "Đến",
    "Tình trạng",
    "Đã báo tin",
    "Ghi chú",
)
WIDTHS = (5, 24, 8, 14, 30, 4, 26, 16, 16, 16, 16, 30)


def local(moment) -> str:
    return f"{timezone.localtime(moment):%H:%M %d/%m/%Y}" if moment else ""


def contacts_xlsx(case, commune, contacts, head: Letterhead) -> bytes:
    """One A4 landscape sheet: the frame's header, title, window, header row, one row per
    contact (the workbook's `official_docs.DATA_NAME`), the signatures."""
    buffer = io.BytesIO()
    book = workbook(buffer)
    degrees = "/F".join(str(d) for d in sorted({c.degree for c in contacts})) or "1"
    title = TITLE.format(degrees=degrees, case=case.pk, area=commune.full_name.upper())
    book.set_properties({"title": title, "author": "kiemdich"})
    sheet = book.add_worksheet("Danh sách")

    font = {"font_name": "Times New Roman", "font_size": 12}
    cell = {**font, "border": 1, "valign": "vcenter", "text_wrap": True}
    title_fmt = book.add_format(
        {**font, "bold": True, "font_size": 13, "align": "center", "valign": "vcenter"}
    )
    title_fmt.set_text_wrap()
    subtitle_fmt = book.add_format({**font, "italic": True, "align": "center"})
    header_fmt = book.add_format({**cell, "bold": True, "align": "center", "bg_color": "#EEF1F4"})
    center_fmt = book.add_format({**cell, "align": "center"})
    text_fmt = book.add_format(cell)

    last_col = len(HEADER) - 1
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    title_row = official_docs.write_xlsx_header(book, sheet, head, WIDTHS, font)
    sheet.set_row(title_row, 36)
    sheet.merge_range(title_row, 0, title_row, last_col, safe_cell(title), title_fmt)
    subtitle = SUBTITLE.format(
        start=timezone.localtime(case.infectious_from),
        end=timezone.localtime(case.infectious_to),
        now=timezone.localtime(),
    )
    sheet.merge_range(title_row + 1, 0, title_row + 1, last_col, safe_cell(subtitle), subtitle_fmt)
    header_row = title_row + 3
    write_cells(sheet, header_row, 0, HEADER, header_fmt)
    row = header_row
    with translation.override("vi"):
        for number, c in enumerate(contacts, start=1):
            row += 1
            person = c.person
            sheet.write_number(row, 0, number, center_fmt)
            write_cell(sheet, row, 1, person.full_name, text_fmt)
            if person.birth_year:
                sheet.write_number(row, 2, person.birth_year, center_fmt)
            else:
                sheet.write_blank(row, 2, None, center_fmt)
            write_cell(sheet, row, 3, display_phone(person.phone) if person.phone else "", text_fmt)
            write_cell(sheet, row, 4, person.address, text_fmt)
            write_cell(sheet, row, 5, f"F{c.degree}", center_fmt)
            write_cell(sheet, row, 6, c.met_at, text_fmt)
            write_cell(sheet, row, 7, local(c.overlap_from), text_fmt)
            write_cell(sheet, row, 8, local(c.overlap_to), text_fmt)
            write_cell(sheet, row, 9, str(c.get_status_display()), text_fmt)
            write_cell(sheet, row, 10, local(c.notified_at), text_fmt)
            write_cell(sheet, row, 11, c.notes, text_fmt)

    official_docs.define_data(book, sheet.name, header_row, row, last_col)
    row = official_docs.write_xlsx_signature(book, sheet, head, row + 2, WIDTHS, font)

    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.print_area(0, 0, row, last_col)
    sheet.freeze_panes(header_row + 1, 2)
    book.close()
    return buffer.getvalue()
