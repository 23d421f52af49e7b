"""Printable QR posters for checkpoints: one A4 page per venue or vehicle, and the bare code.

Plain data in, bytes out, no Django: the same code serves a web download, a management command
that prints a whole district's posters in one PDF, and tests that need no database.

The QR is drawn as vector rectangles rather than an embedded image, so it stays sharp at any
printer resolution and a 1,000-page PDF stays a few megabytes. Text uses an embedded Be Vietnam
Pro: the PDF base fonts have no Vietnamese glyphs, and a poster whose diacritics fall back to
boxes is unreadable to the people who must scan it.
"""

from __future__ import annotations

import io
import itertools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import segno
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from kiemdich import pdf_fonts

__all__ = ["PosterInfo", "poster_pdf", "qr_png", "qr_svg", "write_posters"]


@dataclass(frozen=True)
class PosterInfo:
    """What one poster shows; `plate_number` and `route` are set for vehicles only."""

    name: str
    category: str
    address: str
    area: str
    qr_url: str
    plate_number: str = ""
    route: str = ""


FONT_REGULAR = pdf_fonts.REGULAR
FONT_BOLD = pdf_fonts.BOLD

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 36
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN

#: Side of the symbol itself, quiet zone excluded. Hanoi's 2021 rule asks for at least 15 cm;
#: the extra half centimetre absorbs the ~3 % that a print dialog's "fit to page" takes off.
QR_SIDE = 15.5 * cm
#: The blank margin QR readers need around the symbol, in modules (ISO/IEC 18004).
QUIET_MODULES = 4
#: Short URLs give low versions with huge modules, whose 4-module quiet zone would no longer fit
#: across A4 beside a 15.5 cm symbol; from version 5 (37 modules) it does.
MIN_VERSION = 5

HEADER_HEIGHT = 64
ACCENT_COLOR = HexColor("#0D47A1")
TEXT_COLOR = HexColor("#1A1A1A")
MUTED_COLOR = HexColor("#4D4D4D")

INSTRUCTION_VI = "Quét mã QR để khai báo y tế khi vào/ra"
INSTRUCTION_EN = "Scan this QR code to check in and out"
INSTRUCTION_VI_SIZE = 20
INSTRUCTION_EN_SIZE = 12
#: Bottom edge of the QR's quiet zone: just clear of the instructions' accents.
QR_BLOCK_BOTTOM = 74

#: (name, details) font sizes, tried largest first until the venue text fits above the QR. The
#: name shrinks faster than the details: it is what people look for, but a long one must not
#: push the address into unreadably small type. The smallest pair fits every field at its line
#: limit above the usual version-7 symbol.
TEXT_SIZES = ((30, 14), (27, 14), (24, 13), (21, 12), (18, 12), (16, 11), (14, 10))
NAME_MAX_LINES = 3
LEADING = 1.2
ELLIPSIS = "…"


def _qr(url: str) -> segno.QRCode:
    """The symbol for `url`: a full QR (phone cameras do not read Micro QR) at level M.

    Level M (15 % recovery) keeps the ~130-character URLs at version 7, whose modules are
    large enough to read from a metre away on a 15.5 cm symbol; segno raises it to a higher
    level when that fits in the same version.
    """
    qr = segno.make(url, error="m", micro=False)
    if qr.version < MIN_VERSION:
        qr = segno.make(url, error="m", version=MIN_VERSION, micro=False)
    return qr


def qr_png(url: str, scale: int = 10) -> bytes:
    """The code alone as a PNG, quiet zone included, for screens and custom layouts."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()


def qr_svg(url: str, scale: int = 10) -> bytes:
    """The code alone as an SVG, quiet zone included; no XML declaration so it can be inlined."""
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="svg", scale=scale, xmldecl=False)
    return buffer.getvalue()


def poster_pdf(poster: PosterInfo) -> bytes:
    """One poster as a one-page PDF."""
    buffer = io.BytesIO()
    write_posters([poster], buffer)
    return buffer.getvalue()


def write_posters(posters: Iterable[PosterInfo], out: BinaryIO) -> int:
    """Write one A4 page per poster to `out` and return the page count.

    Pages are drawn as the iterable yields them (a queryset iterator works), and reportlab
    keeps only each finished page's compressed content, so a district's thousand posters fit
    in one PDF without holding them all as Python objects. Nothing is written to `out` before
    every page is drawn, so an empty or failing batch leaves it untouched.
    """
    pdf_fonts.register()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, lang="vi")
    pages = 0
    subject = ""
    for poster in posters:
        _draw_poster(canvas, poster)
        canvas.showPage()
        pages += 1
        subject = _clean(poster.name) if pages == 1 else f"{pages} mã QR"
    if not pages:
        raise ValueError("no posters to write")
    canvas.setTitle(f"Điểm kiểm dịch – {subject}")
    canvas.setSubject(INSTRUCTION_VI)
    canvas.setAuthor("kiemdich")
    canvas.setCreator("kiemdich")
    canvas.save()
    return pages


def _clean(text: str) -> str:
    """NFC with whitespace collapsed: decomposed input (some keyboards and spreadsheets send
    it) would draw accents as separate glyphs beside their letters, since reportlab does not
    compose them, and stray newlines would break the wrapping."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _draw_poster(canvas: Canvas, poster: PosterInfo) -> None:
    qr = _qr(poster.qr_url)
    modules = qr.symbol_size(border=0)[0]
    quiet = QUIET_MODULES * QR_SIDE / modules
    qr_x = (PAGE_WIDTH - QR_SIDE) / 2
    qr_y = QR_BLOCK_BOTTOM + quiet

    _draw_header(canvas)
    text_top = PAGE_HEIGHT - HEADER_HEIGHT - 10
    text_bottom = qr_y + QR_SIDE + quiet
    _draw_details(canvas, poster, text_top, text_bottom)
    _draw_qr(canvas, qr, qr_x, qr_y)
    _draw_instructions(canvas)


def _draw_header(canvas: Canvas) -> None:
    canvas.setFillColor(ACCENT_COLOR)
    canvas.rect(0, PAGE_HEIGHT - HEADER_HEIGHT, PAGE_WIDTH, HEADER_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(white)
    canvas.setFont(FONT_BOLD, 28)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 36, "ĐIỂM KIỂM DỊCH")
    canvas.setFont(FONT_REGULAR, 10)
    canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 53, "QR checkpoint")


@dataclass(frozen=True)
class _Line:
    text: str
    font: str
    size: float
    color: Color
    space_before: float = 0

    @property
    def height(self) -> float:
        return self.space_before + self.size * LEADING


def _draw_details(canvas: Canvas, poster: PosterInfo, top: float, bottom: float) -> None:
    """Venue text centred between the header and the QR, in the largest sizes that fit.

    A name too long for three lines even in the smallest sizes is cut with an ellipsis there,
    where most of it still shows. The QR never shrinks for text: its size is the rule the
    poster exists to meet.
    """
    room = top - bottom
    layouts = [_layout(poster, *sizes) for sizes in TEXT_SIZES]
    lines = next(
        (lines for lines, cut in layouts if not cut and _height(lines) <= room), layouts[-1][0]
    )
    y = top - (room - _height(lines)) / 2
    for line in lines:
        y -= line.height
        canvas.setFillColor(line.color)
        canvas.setFont(line.font, line.size)
        # The baseline sits a fifth of the line above its bottom, leaving room for descenders.
        canvas.drawCentredString(PAGE_WIDTH / 2, y + line.size * LEADING * 0.2, line.text)


def _height(lines: list[_Line]) -> float:
    return sum(line.height for line in lines)


def _layout(poster: PosterInfo, name_size: float, detail_size: float) -> tuple[list[_Line], bool]:
    """The poster's text lines in these sizes, and whether the name had to be cut to fit."""
    name, truncated = _wrap(_clean(poster.name), FONT_BOLD, name_size, NAME_MAX_LINES)
    lines = [_Line(text, FONT_BOLD, name_size, TEXT_COLOR) for text in name]

    plate = _clean(poster.plate_number)
    route = _clean(poster.route)
    # Each group starts after a gap; entries are (text, font, size, colour, line limit).
    groups = [
        [(_clean(poster.category), FONT_BOLD, detail_size, ACCENT_COLOR, 1)],
        [
            (_clean(poster.address), FONT_REGULAR, detail_size, MUTED_COLOR, 2),
            (_clean(poster.area), FONT_REGULAR, detail_size, MUTED_COLOR, 2),
        ],
        [
            (f"Biển số: {plate}" if plate else "", FONT_BOLD, detail_size * 1.15, TEXT_COLOR, 1),
            (f"Tuyến: {route}" if route else "", FONT_REGULAR, detail_size, TEXT_COLOR, 2),
        ],
    ]
    for group in groups:
        space_before = detail_size * 0.6
        for text, font, size, color, max_lines in group:
            for part in _wrap(text, font, size, max_lines)[0]:
                lines.append(_Line(part, font, size, color, space_before))
                space_before = 0
    return lines, truncated


def _wrap(text: str, font: str, size: float, max_lines: int) -> tuple[list[str], bool]:
    """Greedy word wrap to `TEXT_WIDTH`, at most `max_lines` lines, the last one ellipsised if
    cut (returned as True). Words wider than a line, such as a name typed without spaces, are
    broken between characters rather than left to run off the page."""

    def fits(candidate: str) -> bool:
        return pdfmetrics.stringWidth(candidate, font, size) <= TEXT_WIDTH

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while not fits(word):
            cut = next(i for i in range(len(word) - 1, 0, -1) if fits(word[:i]))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines, False
    last = lines[max_lines - 1]
    while last and not fits(last + ELLIPSIS):
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS], True


def _draw_qr(canvas: Canvas, qr: segno.QRCode, x: float, y: float) -> None:
    """Draw the symbol with its lower-left corner at (x, y), `QR_SIDE` wide.

    Each row's runs of dark modules become one rectangle, all in a single filled path: half
    the operators of one square per module, and no hairline seams between neighbouring
    modules when a viewer anti-aliases them. Coordinates are whole modules under a scaling
    transform, which keeps them short integers and a thousand-poster PDF 30 % smaller.
    """
    modules = qr.symbol_size(border=0)[0]
    path = canvas.beginPath()
    for row_index, row in enumerate(qr.matrix_iter(border=0)):
        column = 0
        for dark, run in itertools.groupby(row):
            length = sum(1 for _ in run)
            if dark:
                path.rect(column, modules - row_index - 1, length, 1)
            column += length
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(QR_SIDE / modules, QR_SIDE / modules)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _draw_instructions(canvas: Canvas) -> None:
    canvas.setFillColor(TEXT_COLOR)
    canvas.setFont(FONT_BOLD, INSTRUCTION_VI_SIZE)
    canvas.drawCentredString(PAGE_WIDTH / 2, 46, INSTRUCTION_VI)
    canvas.setFillColor(MUTED_COLOR)
    canvas.setFont(FONT_REGULAR, INSTRUCTION_EN_SIZE)
    canvas.drawCentredString(PAGE_WIDTH / 2, 25, INSTRUCTION_EN)
