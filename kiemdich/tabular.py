"""Spreadsheets in and out.

Reading officials' spreadsheets (CSV or XLSX) line by line, with errors a person can act on:
every import in kiemdich (unit figures, venue lists, install counts) is all-or-nothing and reports
each bad line with the number a person sees in their spreadsheet, so they share this reader.

Writing: every Excel (or CSV) file kiemdich makes goes through `workbook` and `write_cells`, so a
text someone typed (a checkpoint named `=HYPERLINK(...)`) is never a formula or a link in the
file (OWASP "CSV injection"): `safe_cell` neutralises it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

#: What makes a spreadsheet treat a text as a formula (OWASP CSV injection): = + - @, and a tab or
#: carriage return before them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong format, missing columns)."""


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file: header and (line number, cells).

    Line numbers are the ones a person sees in a spreadsheet: the header is line 1.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("the file is not UTF-8 text")) from exc
        reader = csv.reader(io.StringIO(text))
        rows = [(i, r) for i, r in enumerate(reader, start=1)]
    elif suffix in {".xlsx", ".xlsm"}:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ImportFileError(_("the file is not a readable Excel workbook")) from exc
        ws = wb.worksheets[0]
        rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
        wb.close()
    else:
        raise ImportFileError(
            _("unsupported file type %(suffix)s: use .csv or .xlsx") % {"suffix": suffix or "?"}
        )
    if not rows:
        raise ImportFileError(_("the file is empty"))
    header = [str(c).strip().lower() if c is not None else "" for c in rows[0][1]]
    body = (
        (i, cells)
        for i, cells in rows[1:]
        if any(c not in (None, "") and str(c).strip() for c in cells)
    )
    return header, body


@dataclass(frozen=True)
class Column:
    """A column of an import file: the Vietnamese `header` its template (`template_xlsx`) has
    and its messages name, and the English `key` files made before the templates still use;
    either is accepted when reading, in any case and spacing."""

    key: str
    header: str
    required: bool = True

    def __str__(self) -> str:
        return self.header


def _header_key(text: str) -> str:
    return " ".join(str(text or "").replace("_", " ").split()).casefold()


def column_index(header: list[str], columns: Iterable[Column | str]) -> dict[str, int]:
    """Where each column is in the file's `header` row, by key: a column is found by its
    Vietnamese header or its English key. A missing required column is an ImportFileError
    naming the template's headers; a missing optional one is left out of the result."""
    columns = [c if isinstance(c, Column) else Column(c, c) for c in columns]
    found = {_header_key(h): i for i, h in reversed(list(enumerate(header))) if h}
    index: dict[str, int] = {}
    missing: list[str] = []
    for column in columns:
        at = found.get(_header_key(column.header), found.get(_header_key(column.key)))
        if at is not None:
            index[column.key] = at
        elif column.required:
            missing.append(column.header)
    if missing:
        raise ImportFileError(
            _("missing column(s): %(cols)s (expected header: %(expected)s)")
            % {
                "cols": ", ".join(missing),
                "expected": ", ".join(c.header for c in columns if c.required),
            }
        )
    return index


def template_xlsx(columns: Iterable[Column], examples: Iterable[Iterable] = ()) -> bytes:
    """An empty import file to fill in: the Vietnamese headers on the first row (required ones
    in bold), then the `examples` lines, which a person overwrites. The importers read it as it
    is."""
    buffer = io.BytesIO()
    book = workbook(buffer)
    sheet = book.add_worksheet("Danh sách")
    required = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    optional = book.add_format({"bg_color": "#F2F2F2", "border": 1})
    text = book.add_format({"num_format": "@"})  # codes keep their leading zeros
    columns = list(columns)
    for col, column in enumerate(columns):
        write_cell(sheet, 0, col, column.header, required if column.required else optional)
        sheet.set_column(col, col, max(14, len(column.header) + 4), text)
    for row, values in enumerate(examples, start=1):
        write_cells(sheet, row, 0, [str(v) if v is not None else None for v in values])
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


def parse_count(value) -> int | None:
    """A non-negative whole number; accepts Vietnamese grouping ("8.832") and Excel numbers."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        number = int(value)
    else:
        text = str(value).strip()
        if _GROUPED.match(text):
            text = re.sub(r"[.,\s]", "", text)
        if not text.isdigit():
            raise ValueError
        number = int(text)
    if number < 0:
        raise ValueError
    return number


def parse_date(value) -> dt.date:
    """ISO dates (2021-07-12), Vietnamese dates (12/07/2021) and Excel date cells."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def cell(cells: list, index: int):
    return cells[index] if index < len(cells) else None


# Writing


def safe_cell(value):
    """A cell's value as it may go into a spreadsheet: a text that a spreadsheet would run as a
    formula (it starts with = + - @, a tab or a carriage return) gets a leading apostrophe, the
    way OWASP recommends; anything else (numbers, dates, other texts) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook(buffer: io.BytesIO):
    """An in-memory XlsxWriter workbook that never turns a text into a formula or a link."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )


def write_cells(sheet, row: int, col: int, values: Iterable, cell_format=None) -> None:
    """Write `values` from (row, col) to the right: texts with `write_string` (neutralised by
    `safe_cell`), numbers as numbers, None as a blank cell. The one way exports write a row."""
    for offset, value in enumerate(values):
        if value is None:
            sheet.write_blank(row, col + offset, None, cell_format)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col + offset, value, cell_format)
        elif isinstance(value, int | float):
            sheet.write_number(row, col + offset, value, cell_format)
        else:
            sheet.write_string(row, col + offset, safe_cell(str(value)), cell_format)


def write_cell(sheet, row: int, col: int, value, cell_format=None) -> None:
    write_cells(sheet, row, col, [value], cell_format)


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable]) -> None:
    """A UTF-8 CSV file whose texts are neutralised like a workbook's (`safe_cell`): a CSV is
    opened in a spreadsheet as often as an XLSX is."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([safe_cell(h) for h in header])
        writer.writerows([safe_cell(v) for v in row] for row in rows)
