"""Done-when of the checkpoints issue: a printed poster decodes to a URL the server accepts."""

import io
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from tests.conftest import PASSWORD

from .conftest import make_venue


def decode_pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [zxingcpp.read_barcodes(page.render(scale=2.5).to_pil())[0].text for page in document]


def test_printed_poster_decodes_to_an_accepted_url(personas, client):
    venue = make_venue()
    client.login(username="xa_ducphong", password=PASSWORD)
    response = client.get(f"/api/v1/venues/{venue.pk}/poster.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    [url] = decode_pages(response.content)
    assert url == client.get(f"/api/v1/venues/{venue.pk}").json()["qr_url"]
    path = urlsplit(url).path
    client.logout()  # a visitor's phone has no session
    accepted = client.get(path)
    assert accepted.status_code == 200 and venue.name in accepted.content.decode()
    for i in (len("/c/"), len(path) // 2, len(path) - 1):
        changed = path[:i] + ("x" if path[i] != "x" else "y") + path[i + 1 :]
        assert client.get(changed).status_code == 400


def test_png_and_svg_decode_too(personas, client):
    venue = make_venue()
    client.login(username="xa_ducphong", password=PASSWORD)
    url = client.get(f"/api/v1/venues/{venue.pk}").json()["qr_url"]
    png = client.get(f"/api/v1/venues/{venue.pk}/qr.png")
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text == url
    svg = client.get(f"/api/v1/venues/{venue.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_area_posters_in_one_pdf(personas, client):
    venues = [make_venue(name=f"Điểm {i}") for i in range(3)]
    make_venue(commune="25420", name="Ngoài xã")
    client.login(username="xa_ducphong", password=PASSWORD)
    response = client.get("/api/v1/venues/posters.pdf?unit=25396")
    urls = decode_pages(response.content)
    expected = {client.get(f"/api/v1/venues/{v.pk}").json()["qr_url"] for v in venues}
    assert set(urls) == expected
    assert client.get("/api/v1/venues/posters.pdf?unit=25420").status_code == 403
    client.login(username="congdan", password=PASSWORD)
    assert client.get("/api/v1/venues/posters.pdf?unit=25396").status_code == 403
