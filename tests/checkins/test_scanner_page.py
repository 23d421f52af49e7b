"""The staff scanner page: who may open it, what it hands to the script, the vendored reader."""

import hashlib
import json
import re
from pathlib import Path

import pytest

from kiemdich.accounts.models import Role
from kiemdich.orgs.models import Organization, OrgKind
from kiemdich.venues import services
from kiemdich.venues.models import Status
from tests.conftest import PASSWORD, make_user
from tests.venues.conftest import make_venue

VENDOR = Path(__file__).resolve().parents[2] / "kiemdich/web/static/vendor/barcode-detector"
SCRIPT = Path(__file__).resolve().parents[2] / "kiemdich/checkins/static/checkins/scanner.js"


def scanner_config(html: str) -> dict:
    match = re.search(r'<script id="scanner-config" type="application/json">(.*?)</script>', html)
    assert match, "the page carries no scanner configuration"
    return json.loads(match.group(1))


def open_as(client, user, venue):
    if user is not None:
        client.login(username=user.username, password=PASSWORD)
    return client.get(f"/venues/{venue.pk}/scanner/")


@pytest.mark.parametrize("who", ["venue_owner", "commune", "district", "province"])
def test_staff_and_officers_of_the_area_open_the_scanner(personas, client, who):
    venue = make_venue(owner=personas["venue_owner"])
    response = open_as(client, personas[who], venue)
    assert response.status_code == 200
    html = response.content.decode()
    config = scanner_config(html)
    # The page's own venue is its signed poster payload, and it verifies.
    assert services.resolve_payload(config["venue"]).pk == venue.pk
    assert config["venueId"] == venue.pk
    assert config["batchUrl"] == "/api/v1/checkins/batch"
    assert config["singleUrl"] == "/api/v1/checkins"
    # The QR reader comes from our own static files, never a CDN.
    assert config["polyfillUrl"].endswith("vendor/barcode-detector/barcode-detector-ponyfill.js")
    assert config["wasmUrl"].endswith("vendor/barcode-detector/zxing_reader.wasm")
    assert config["polyfillUrl"].startswith("/static/") and config["wasmUrl"].startswith("/static/")
    assert "jsdelivr" not in html and "unpkg" not in html
    assert config["repeatMs"] == 5000
    assert {"online", "offline", "waiting", "in", "out"} <= set(config["strings"])
    assert 'id="manual"' in html and 'id="pending"' in html and "checkins/scanner.js" in html
    assert re.search(r'data-csrf="[A-Za-z0-9]{32,}"', html)


def test_organization_admin_scans_for_the_organizations_venue(personas, client):
    school = Organization.objects.create(
        code="BP-THCS-DP", name="Trường THCS Đức Phong", kind=OrgKind.SCHOOL, unit_id="25396"
    )
    admin = make_user("donvi", Role.ORG_ADMIN, organization=school)
    venue = make_venue(organization=school)
    assert open_as(client, admin, venue).status_code == 200


def test_an_organization_member_who_is_not_its_admin_gets_404(personas, client):
    """Belonging to the organization is not running its checkpoints: only its admins do, and
    anyone else gets the answer of a checkpoint that does not exist."""
    school = Organization.objects.create(
        code="BP-THCS-DP", name="Trường THCS Đức Phong", kind=OrgKind.SCHOOL, unit_id="25396"
    )
    member = make_user("hocsinh", Role.CITIZEN, organization=school)
    venue = make_venue(organization=school)
    assert open_as(client, member, venue).status_code == 404


@pytest.mark.parametrize("who", ["other_commune", "other_district", "citizen"])
def test_people_who_cannot_see_the_venue_get_404(personas, client, who):
    venue = make_venue(owner=personas["venue_owner"])
    assert open_as(client, personas[who], venue).status_code == 404


def test_another_owner_gets_the_404_of_a_missing_venue(personas, client):
    venue = make_venue(owner=personas["venue_owner"])
    stranger = make_user("chudiem_khac", Role.VENUE_OWNER)
    client.login(username=stranger.username, password=PASSWORD)
    theirs = client.get(f"/venues/{venue.pk}/scanner/")
    missing = client.get(f"/venues/{venue.pk + 1000}/scanner/")
    assert theirs.status_code == missing.status_code == 404


def test_who_sees_the_area_but_does_not_staff_it_gets_403(personas, client):
    """A health tracer reads the district's checkpoints but records no scans there."""
    venue = make_venue(owner=personas["venue_owner"])
    assert open_as(client, personas["tracer"], venue).status_code == 403


def test_anonymous_is_sent_to_login(personas, client):
    venue = make_venue()
    response = open_as(client, None, venue)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/venues/{venue.pk}/scanner/"


@pytest.mark.parametrize("status", [Status.PENDING, Status.CLOSED, Status.REVOKED])
def test_a_venue_without_a_valid_poster_cannot_scan(personas, client, status):
    venue = make_venue(status=status, owner=personas["venue_owner"])
    response = open_as(client, personas["venue_owner"], venue)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and venue.get_status_display() in html
    assert "scanner-config" not in html and "scanner.js" not in html


def test_a_paused_venue_does_not_scan(personas, client):
    venue = make_venue(status=Status.PAUSED, owner=personas["venue_owner"])
    html = open_as(client, personas["venue_owner"], venue).content.decode()
    assert 'role="alert"' in html and "tạm dừng" in html
    assert "scanner-config" not in html and "scanner.js" not in html


def test_the_detail_page_links_to_the_scanner_for_who_manages(personas, client):
    venue = make_venue(owner=personas["venue_owner"])
    link = f'href="/venues/{venue.pk}/scanner/"'
    client.login(username="chudiem", password=PASSWORD)
    assert link in client.get(f"/venues/{venue.pk}/").content.decode()
    client.login(username="truyvet_budang", password=PASSWORD)
    assert link not in client.get(f"/venues/{venue.pk}/").content.decode()


def test_the_vendored_reader_is_complete_and_consistent():
    """The wasm is the one the polyfill was built for, with the licences, and no CDN is used."""
    names = {p.name for p in VENDOR.iterdir()}
    assert {
        "barcode-detector-ponyfill.js",
        "zxing_reader.wasm",
        "LICENSE-barcode-detector",
        "LICENSE-zxing-wasm",
        "LICENSE-zxing-cpp",
        "README.md",
    } <= names
    ponyfill = (VENDOR / "barcode-detector-ponyfill.js").read_text()
    embedded = re.search(r"[,{ ]x=`([0-9a-f]{64})`", ponyfill).group(1)
    assert hashlib.sha256((VENDOR / "zxing_reader.wasm").read_bytes()).hexdigest() == embedded
    assert embedded in (VENDOR / "README.md").read_text()
    script = SCRIPT.read_text()
    assert "prepareZXingModule" in script and "locateFile" in script
    assert not re.search(r"https?://", script), "the scanner script must not load anything remote"
    assert sum(p.stat().st_size for p in VENDOR.iterdir()) < 1_300_000
