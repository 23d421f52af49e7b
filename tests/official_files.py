"""Reading the official documents kiemdich exports as a program would: the data table through
the workbook's defined name (whatever the administrative header's height), every text of the
sheet, and a PDF's text."""

from __future__ import annotations

import io

import openpyxl
import pypdfium2
from openpyxl.utils.cell import range_boundaries

from kiemdich.official_docs import DATA_NAME


def workbook(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def data_table(content: bytes) -> tuple[list, list[list], int]:
    """(header, data rows, the sheet's row number after the last data row) of the table that
    `official_docs.DATA_NAME` names."""
    book = workbook(content)
    ((title, ref),) = list(book.defined_names[DATA_NAME].destinations)
    sheet = book[title]
    first_col, first_row, last_col, last_row = range_boundaries(ref.replace("$", ""))
    rows = [
        list(r)
        for r in sheet.iter_rows(
            min_row=first_row,
            max_row=last_row,
            min_col=first_col,
            max_col=last_col,
            values_only=True,
        )
    ]
    return rows[0], rows[1:], last_row + 1


def texts(content: bytes) -> list[str]:
    """Every text cell of the first sheet, top to bottom."""
    sheet = workbook(content).worksheets[0]
    return [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]


def pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)
