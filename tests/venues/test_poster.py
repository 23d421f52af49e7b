"""QR posters, checked the way they are used: a phone decodes the printed page, a ruler
measures the code, and copied or searched text keeps its Vietnamese diacritics.

No database and nothing from Django: the poster module takes plain data.
"""

import base64
import hashlib
import io
import math
import subprocess
import sys
import unicodedata
from dataclasses import replace

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from kiemdich.venues.poster import PosterInfo, poster_pdf, qr_png, qr_svg, write_posters

#: Render scale: 72 dpi x 2.5 = 180 dpi, about what a phone camera resolves at arm's length.
SCALE = 2.5
DPI = 72 * SCALE


def checkpoint_url(venue_id: str) -> str:
    """A URL shaped like the real ones: an Ed25519 signature is 64 bytes, 86 base64url chars."""
    signature = base64.urlsafe_b64encode(hashlib.sha512(venue_id.encode()).digest()).rstrip(b"=")
    return f"http://127.0.0.1:8000/c/{venue_id}.k1.{signature.decode()}"


SHOP = PosterInfo(
    name="Tạp hóa Minh Phương",
    category="Cửa hàng, siêu thị",
    address="Số 12, đường Lê Lợi",
    area="Thị trấn Đức Phong, Huyện Bù Đăng, Tỉnh Bình Phước",
    qr_url=checkpoint_url("1a2"),
)
BUS = PosterInfo(
    name="Nhà xe Phương Trang",
    category="Xe khách liên tỉnh",
    address="Bến xe Bù Đăng, Quốc lộ 14",
    area="Thị trấn Đức Phong, Huyện Bù Đăng, Tỉnh Bình Phước",
    qr_url=checkpoint_url("1a3"),
    plate_number="93B-012.34",
    route="Bù Đăng - TP. Hồ Chí Minh",
)


def pages(pdf: bytes) -> list[pdfium.PdfPage]:
    return list(pdfium.PdfDocument(pdf))


def decode(page: pdfium.PdfPage) -> zxingcpp.Barcode:
    """The one QR code a camera finds on the rendered page."""
    barcodes = zxingcpp.read_barcodes(page.render(scale=SCALE).to_pil())
    assert [b.format for b in barcodes] == [zxingcpp.BarcodeFormat.QRCode]
    return barcodes[0]


def text(page: pdfium.PdfPage) -> str:
    return unicodedata.normalize("NFC", page.get_textpage().get_text_range())


def test_checkpoint_poster_is_one_a4_page_whose_qr_decodes_to_the_url() -> None:
    [page] = pages(poster_pdf(SHOP))

    width, height = page.get_size()
    assert width == pytest.approx(595, abs=1)
    assert height == pytest.approx(842, abs=1)
    assert decode(page).text == SHOP.qr_url


def test_qr_is_at_least_15_cm_on_the_printed_page() -> None:
    """Hanoi's 2021 rule for venue QR codes, measured on the render as a ruler would."""
    [page] = pages(poster_pdf(SHOP))
    corners = decode(page).position

    def cm(a: zxingcpp.Point, b: zxingcpp.Point) -> float:
        return math.dist((a.x, a.y), (b.x, b.y)) / DPI * 2.54

    assert cm(corners.top_left, corners.top_right) >= 15
    assert cm(corners.top_left, corners.bottom_left) >= 15


def test_text_is_vietnamese_in_an_embedded_font() -> None:
    pdf = poster_pdf(SHOP)
    [page] = pages(pdf)

    assert b"BeVietnamPro" in pdf
    content = text(page)
    assert "ĐIỂM KIỂM DỊCH" in content
    assert "Tạp hóa Minh Phương" in content
    assert "Quét mã QR để khai báo y tế khi vào/ra" in content
    assert "Scan this QR code to check in and out" in content
    assert "Thị trấn Đức Phong, Huyện Bù Đăng, Tỉnh Bình Phước" in content
    assert pdfium.PdfDocument(pdf).get_metadata_dict()["Title"] == (
        "Điểm kiểm dịch – Tạp hóa Minh Phương"
    )


def test_decomposed_input_prints_composed_letters() -> None:
    """Names typed as letter + combining accent must not print the accents as loose glyphs."""
    decomposed = replace(SHOP, name=unicodedata.normalize("NFD", SHOP.name))
    [page] = pages(poster_pdf(decomposed))

    assert "Tạp hóa Minh Phương" in page.get_textpage().get_text_range()


def test_vehicle_poster_shows_plate_and_route() -> None:
    [page] = pages(poster_pdf(BUS))

    content = text(page)
    assert "Biển số: 93B-012.34" in content
    assert "Tuyến: Bù Đăng - TP. Hồ Chí Minh" in content
    assert decode(page).text == BUS.qr_url


def test_shop_poster_has_no_vehicle_lines() -> None:
    [page] = pages(poster_pdf(SHOP))

    assert "Biển số" not in text(page)
    assert "Tuyến" not in text(page)


def test_write_posters_puts_each_poster_on_its_own_page() -> None:
    posters = [replace(SHOP, qr_url=checkpoint_url(venue_id)) for venue_id in ("1b0", "1b1", "1b2")]
    out = io.BytesIO()

    assert write_posters(iter(posters), out) == 3
    assert [decode(page).text for page in pages(out.getvalue())] == [p.qr_url for p in posters]


def test_write_posters_refuses_an_empty_batch_and_writes_nothing() -> None:
    out = io.BytesIO()

    with pytest.raises(ValueError, match="no posters"):
        write_posters([], out)
    assert out.getvalue() == b""


def test_very_long_name_shrinks_to_three_lines_and_leaves_the_qr_intact() -> None:
    long_name = " ".join(["Cơ sở kinh doanh dịch vụ ăn uống Nguyễn Thị Hồng Nhung"] * 5)[:200]
    [page] = pages(poster_pdf(replace(SHOP, name=long_name)))

    lines = text(page).splitlines()
    name_lines = lines[lines.index("QR checkpoint") + 1 : lines.index(SHOP.category)]
    assert len(name_lines) <= 3
    assert " ".join(name_lines) == long_name.strip()
    assert decode(page).text == SHOP.qr_url


def test_name_too_long_even_when_shrunk_is_cut_within_the_page() -> None:
    """200 characters without a space: broken between letters, then cut with an ellipsis."""
    [page] = pages(poster_pdf(replace(SHOP, name="X" * 200)))
    textpage = page.get_textpage()

    assert "X…" in text(page)
    for index in range(textpage.count_chars()):
        left, _, right, _ = textpage.get_charbox(index)
        assert left >= 0
        assert right <= page.get_width()
    assert decode(page).text == SHOP.qr_url


def test_short_url_still_gets_a_full_size_code() -> None:
    [page] = pages(poster_pdf(replace(SHOP, qr_url="http://x.vn/c/1")))
    barcode = decode(page)

    assert barcode.text == "http://x.vn/c/1"
    corners = barcode.position
    assert (corners.top_right.x - corners.top_left.x) / DPI * 2.54 >= 15


def test_qr_png_decodes_to_the_url() -> None:
    image = Image.open(io.BytesIO(qr_png(SHOP.qr_url)))

    assert image.format == "PNG"
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [SHOP.qr_url]


def test_qr_svg_is_an_inlineable_path() -> None:
    svg = qr_svg(SHOP.qr_url)

    assert svg.startswith(b"<svg")
    assert b"<path" in svg


def test_poster_module_does_not_import_django() -> None:
    """It must stay usable from scripts and workers that never configure Django settings."""
    check = "import sys, kiemdich.venues.poster; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", check], check=True)  # noqa: S603
