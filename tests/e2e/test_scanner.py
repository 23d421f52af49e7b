"""The staff scanner in a real Chromium whose camera films a checkpoint poster.

Chromium on Linux has no native BarcodeDetector, so these tests also prove the vendored
zxing-wasm polyfill loads from our static files. The camera is a Y4M file (fake_camera.py).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route, expect

from kiemdich.checkins.models import Checkin, Method, ScanDaily
from kiemdich.declarations.services import masked_name
from kiemdich.demo.province import PASSWORD
from kiemdich.venues import services
from kiemdich.venues.models import Status, Venue

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from .fake_camera import camera_args, write_qr_y4m

#: Time for the wasm QR reader to download and compile, and for a scan to reach the server.
SLOW = 30_000


@pytest.fixture
def venue(demo: str) -> Venue:
    """The demo owner's active shop in Thị trấn Đức Phong (commune 25396, district 696)."""
    return Venue.objects.get(owner__username="chudiem", status=Status.ACTIVE)


@pytest.fixture
def camera_showing(browser, tmp_path: Path) -> Iterator[Callable[[str], BrowserContext]]:
    """Contexts of Chromiums of their own whose camera films a QR code of the given text.

    The shared `browser` fixture stays camera-less; these reuse its Playwright (a second
    `sync_playwright()` in the same thread is refused) to launch other Chromiums.
    """
    opened: list = []

    def launch(text: str) -> BrowserContext:
        video = write_qr_y4m(text, tmp_path / f"camera-{len(opened)}.y4m")
        chromium = browser.browser_type.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, *camera_args(video)],
        )
        opened.append(chromium)
        context = chromium.new_context(viewport=PHONE, locale="vi-VN", permissions=["camera"])
        context.set_default_timeout(10_000)
        return context

    try:
        yield launch
    finally:
        for chromium in opened:
            chromium.close()


@pytest.fixture
def camera(camera_showing, venue: Venue) -> BrowserContext:
    """A phone whose camera films the venue's own A4 poster (its QR: `…/c/<payload>`)."""
    return camera_showing(services.qr_url(venue))


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def open_scanner(context: BrowserContext, base: str, venue: Venue) -> tuple[Page, list[str]]:
    """The venue's scanner, reached from its page as its owner; and the page's script errors."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    log_in(page, base, "chudiem")
    page.goto(f"{base}/venues/{venue.pk}/")
    page.locator(f"a[href='/venues/{venue.pk}/scanner/']").click()
    expect(page).to_have_url(f"{base}/venues/{venue.pk}/scanner/")
    scanner = page.locator("#scanner")
    expect(scanner).to_have_attribute("data-ready", "1")
    # No native BarcodeDetector here: "ready" means the polyfill and its wasm are loaded.
    expect(scanner).to_have_attribute("data-detector", "ready", timeout=SLOW)
    assert page.evaluate("'BarcodeDetector' in window") is False
    # The reader and its wasm come from our static files; nothing is asked of any other host.
    assert any(u.endswith("/vendor/barcode-detector/zxing_reader.wasm") for u in requested)
    assert all(u.startswith(base) for u in requested), requested
    return page, errors


def scans_today(commune: str) -> int:
    row = ScanDaily.objects.filter(commune_id=commune, date=timezone.localdate()).first()
    return row.scans if row else 0


def wait_for(check: Callable[[], bool], timeout: float = SLOW / 1000) -> None:
    """The live server writes from another thread: poll the database until `check` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the database")
        time.sleep(0.2)


def stats_scans(context: BrowserContext, base: str, commune_name: str) -> int:
    """Scans since 1 January of a commune on Bù Đăng's statistics page, as the district sees it."""
    page = context.new_page()
    log_in(page, base, "huyen")
    page.goto(f"{base}/stats/checkpoints/?unit=696")
    cell = page.locator("table.stats tbody tr", has_text=commune_name).locator("td.num").nth(2)
    number = int(re.sub(r"\D", "", cell.inner_text()))
    page.close()
    return number


def test_camera_scan_of_a_poster_reaches_the_statistics(
    camera: BrowserContext, demo: str, venue: Venue
) -> None:
    commune = venue.commune_id
    daily_before = scans_today(commune)
    venue_before = Checkin.objects.filter(venue=venue).count()
    stats_context = camera.browser.new_context(viewport=PHONE, locale="vi-VN")
    stats_before = stats_scans(stats_context, demo, "Đức Phong")

    page, errors = open_scanner(camera, demo, venue)
    expect(page.locator("#net")).to_have_class(re.compile(r"\bonline\b"))
    page.click("#camera-toggle")
    expect(page.locator("#preview")).to_be_visible()
    saved = page.locator("#results li.saved")
    expect(saved).to_have_count(1, timeout=SLOW)
    # The poster stays in front of the camera: still one scan a few seconds later.
    page.wait_for_timeout(2_000)
    page.click("#camera-toggle")
    expect(page.locator("#results li")).to_have_count(1)
    expect(page.locator("#pending")).to_have_text("0")
    client_id = saved.get_attribute("data-client-id")

    wait_for(lambda: Checkin.objects.filter(client_id=client_id).exists())
    checkin = Checkin.objects.get(client_id=client_id)
    assert checkin.venue_id == venue.pk
    assert Checkin.objects.filter(venue=venue).count() == venue_before + 1
    assert scans_today(commune) == daily_before + 1
    assert stats_scans(stats_context, demo, "Đức Phong") == stats_before + 1
    stats_context.close()
    assert errors == []


def test_offline_scans_wait_on_the_phone_and_sync_once(
    camera: BrowserContext, demo: str, venue: Venue
) -> None:
    commune = venue.commune_id
    daily_before = scans_today(commune)
    venue_before = Checkin.objects.filter(venue=venue).count()
    page, errors = open_scanner(camera, demo, venue)

    camera.set_offline(True)
    expect(page.locator("#net")).to_have_class(re.compile(r"\boffline\b"))
    page.click("#camera-toggle")
    expect(page.locator("#results li.waiting")).to_have_count(1, timeout=SLOW)
    expect(page.locator("#pending")).to_have_text("1")
    page.click("#camera-toggle")
    # Two visitors without a phone, typed in; a missing phone number is caught on the page.
    page.fill("#m-name", "Trần Thị Bình")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#m-phone-error")).to_be_visible()
    page.fill("#m-phone", "0987 654 321")
    page.locator("#manual button[type=submit]").click()
    page.fill("#m-name", "Lê Văn Tám")
    page.fill("#m-phone", "0903 123 456")
    page.fill("#m-id", "070090001234")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#pending")).to_have_text("3")
    expect(page.locator("#results li.waiting")).to_have_count(3)
    client_ids = page.locator("#results li").evaluate_all("els => els.map(e => e.dataset.clientId)")
    assert len(set(client_ids)) == 3
    page.wait_for_timeout(1_500)
    assert not Checkin.objects.filter(client_id__in=client_ids).exists()
    assert scans_today(commune) == daily_before

    # The queue is in IndexedDB with each scan's own time, not only in the page's memory.
    queued = page.evaluate(
        """() => new Promise((ok, ko) => {
            const open = indexedDB.open("kiemdich-scanner");
            open.onerror = () => ko(open.error);
            open.onsuccess = () => {
                const req = open.result.transaction("queue").objectStore("queue").getAll();
                req.onsuccess = () => ok(req.result.map(i => i.scan));
            };
        })"""
    )
    assert sorted(s["client_id"] for s in queued) == sorted(client_ids)
    assert sum("person" in s for s in queued) == 2
    assert all("/c/" in s["venue"] or "person" in s for s in queued)
    back_online = timezone.now()

    # The first answer after the network is back is lost on the way: the server stored the
    # scans but the page never heard. It must send them again, and nothing may be doubled.
    lost: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)
        route.abort("connectionreset")

    page.route("**/api/v1/checkins/batch", lose_first_answer)
    camera.set_offline(False)
    expect(page.locator("#net")).to_have_class(re.compile(r"\bonline\b"))
    expect(page.locator("#pending")).to_have_text("0", timeout=SLOW)
    expect(page.locator("#results li.saved")).to_have_count(3)
    # Once stored, the list shows the server's masked names, not what was typed.
    results = page.locator("#results").inner_text()
    assert masked_name("Trần Thị Bình") in results and "Trần Thị Bình" not in results
    page.click("#send-now")
    page.click("#send-now")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    assert lost == [200]

    wait_for(lambda: Checkin.objects.filter(client_id__in=client_ids).count() == 3)
    page.wait_for_timeout(1_000)
    assert Checkin.objects.filter(client_id__in=client_ids).count() == 3
    assert Checkin.objects.filter(venue=venue).count() == venue_before + 3
    assert scans_today(commune) == daily_before + 3
    # Each scan keeps the time it was made offline, not the time it reached the server.
    for checkin in Checkin.objects.filter(client_id__in=client_ids):
        assert back_online - dt.timedelta(minutes=5) < checkin.t_in < back_online
    assert errors == []


def test_the_queue_outlives_a_reload_and_a_browser_restart(
    browser, demo: str, venue: Venue, tmp_path: Path
) -> None:
    """A visitor typed in while the server cannot be reached waits on the phone through a
    reload of the page and a restart of the browser, and is stored once when it can."""
    profile = tmp_path / "profile"

    def launch() -> BrowserContext:
        context = browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            locale="vi-VN",
        )
        context.set_default_timeout(10_000)
        return context

    context = launch()
    page, errors = open_scanner(context, demo, venue)
    # Every batch is lost on the way: the phone has signal, the server is out of reach.
    context.route("**/api/v1/checkins/batch", lambda route: route.abort("connectionreset"))
    page.fill("#m-name", "Trần Thị Bình")
    page.fill("#m-phone", "0987 654 321")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#pending")).to_have_text("1")
    client_id = page.locator("#results li").first.get_attribute("data-client-id")
    page.reload()
    expect(page.locator("#pending")).to_have_text("1")
    expect(page.locator(f"#results li[data-client-id='{client_id}']")).to_have_count(1)
    assert errors == []
    context.close()
    assert not Checkin.objects.filter(client_id=client_id).exists()

    context = launch()  # the same profile: its IndexedDB and its session cookie
    try:
        page = context.new_page()
        page.goto(f"{demo}/venues/{venue.pk}/scanner/")
        expect(page.locator("#pending")).to_have_text("0", timeout=SLOW)
        wait_for(lambda: Checkin.objects.filter(client_id=client_id).exists())
        page.reload()
        page.wait_for_timeout(1_000)
        assert Checkin.objects.filter(client_id=client_id).count() == 1
    finally:
        context.close()


def test_a_phone_the_server_refuses_is_kept_to_be_fixed(browser, demo: str, venue: Venue) -> None:
    """Seed 004: a visitor without a device must reach the system complete. A typo the page
    catches keeps what was typed; one only the server catches (typed in offline, the page
    reloaded before the network is back) stays on the phone, marked, until staff correct it,
    and is then stored with its first time (issue 15, done when)."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(10_000)
    page, errors = open_scanner(context, demo, venue)
    page.fill("#m-name", "Trần Thị Bình")
    page.fill("#m-phone", "0123")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#m-phone-error")).to_contain_text("không phải số điện thoại")
    assert page.input_value("#m-name") == "Trần Thị Bình" and page.input_value("#m-phone") == "0123"
    expect(page.locator("#pending")).to_have_text("0")

    # 050 looks like a mobile number but is no network's: only the server knows.
    context.set_offline(True)
    page.fill("#m-phone", "0501 234 567")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#pending")).to_have_text("1")
    first = page.locator("#results li").first.get_attribute("data-client-id")
    typed_at = page.evaluate(
        """id => new Promise(ok => indexedDB.open("kiemdich-scanner").onsuccess = e =>
            e.target.result.transaction("queue").objectStore("queue").get(id).onsuccess =
            r => ok(r.target.result.scan.at))""",
        first,
    )
    page.reload()  # offline: the service worker's copy, the queue and the list come back
    expect(page.locator("#pending")).to_have_text("1")
    expect(page.locator(f"#results li[data-client-id='{first}']")).to_be_visible()
    page.wait_for_timeout(1_500)
    context.set_offline(False)
    refused = page.locator(f"#results li[data-client-id='{first}']")
    expect(refused).to_have_class(re.compile(r"\bfailed\b"), timeout=SLOW)
    expect(page.locator("#to-fix")).to_have_text("1")
    expect(page.locator("#pending")).to_have_text("0")
    page.reload()  # still on the phone after a reload
    expect(page.locator("#to-fix")).to_have_text("1")
    page.locator(f"#results li[data-client-id='{first}'] button.fix").click()
    assert page.input_value("#m-name") == "Trần Thị Bình"
    expect(page.locator("#m-phone-error")).to_be_visible()
    page.fill("#m-phone", "0987 654 321")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#to-fix-bar")).to_be_hidden()
    expect(page.locator("#results li.saved")).to_have_count(1, timeout=SLOW)
    stored = Checkin.objects.select_related("person").get(
        venue=venue, person__phone="+84987654321", method=Method.MANUAL
    )
    assert stored.person.full_name == "Trần Thị Bình"
    at = dt.datetime.fromisoformat(typed_at.replace("Z", "+00:00"))
    assert abs((stored.t_in - at).total_seconds()) < 1  # the time it was first typed in
    assert not Checkin.objects.filter(client_id=first).exists()
    assert errors == []
    context.close()


def test_the_scanner_opens_and_reloads_without_a_network(browser, demo: str, venue: Venue) -> None:
    """Its service worker keeps the page and its files; the latest results are kept too."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(10_000)
    page, errors = open_scanner(context, demo, venue)
    page.fill("#m-name", "Lê Văn Tám")
    page.fill("#m-phone", "0903 123 456")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#results li.saved")).to_have_count(1, timeout=SLOW)
    expect(page.locator("#scanner")).to_have_attribute("data-offline", "ready", timeout=SLOW)
    page.reload()
    expect(page.locator("#results li.saved")).to_contain_text(masked_name("Lê Văn Tám"))

    context.set_offline(True)
    page.reload()
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "1")
    expect(page.locator("#net")).to_have_class(re.compile(r"\boffline\b"))
    expect(page.locator("#results li.saved")).to_contain_text(masked_name("Lê Văn Tám"))
    page.fill("#m-name", "Phạm Thị Đi")
    page.fill("#m-phone", "0912 000 111")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#pending")).to_have_text("1")
    context.set_offline(False)
    expect(page.locator("#pending")).to_have_text("0", timeout=SLOW)
    wait_for(lambda: Checkin.objects.filter(venue=venue, person__phone="+84912000111").count() == 1)
    assert errors == []
    context.close()


#: What the QR on the back of a chip ID card (CCCD) holds.
ID_CARD = (
    "070090001234|285123456|Nguyễn Văn An|15081990|Nam|Đức Phong, Bù Đăng, Bình Phước|10052021"
)


def test_id_card_read_by_camera_and_a_refused_typed_entry(
    camera_showing, demo: str, venue: Venue
) -> None:
    page, errors = open_scanner(camera_showing(ID_CARD), demo, venue)
    page.check("#scanner input[name=direction][value=in]")
    page.click("#camera-toggle")
    saved = page.locator("#results li.saved")
    expect(saved).to_have_count(1, timeout=SLOW)
    page.click("#camera-toggle")
    expect(saved).to_contain_text(masked_name("Nguyễn Văn An"))
    expect(saved).to_contain_text("1990")
    assert "Nguyễn Văn An" not in saved.inner_text()
    checkin = Checkin.objects.select_related("person").get(
        client_id=saved.get_attribute("data-client-id")
    )
    assert checkin.venue_id == venue.pk and checkin.method == Method.STAFF
    assert checkin.person.id_number == "070090001234"

    # A typed phone that cannot be a Vietnamese number is caught on the page, next to the field,
    # with what was typed kept (a refusal only the server can make: the test above).
    page.fill("#m-name", "Phạm Văn Cường")
    page.fill("#m-phone", "12345")
    page.locator("#manual button[type=submit]").click()
    expect(page.locator("#m-phone-error")).to_contain_text("12345")
    assert page.input_value("#m-phone") == "12345"
    expect(page.locator("#results li")).to_have_count(1)  # only the ID card's
    expect(page.locator("#pending")).to_have_text("0")
    assert errors == []


def test_scans_wait_while_signed_out_and_go_after_logging_in_again(
    page: Page, demo: str, venue: Venue
) -> None:
    """A session that ends (here: cookies cleared) must not lose scans: the API answers 401 per
    item, the page keeps them and says so, and sends them once the user has logged in again."""
    context = page.context
    scanner, errors = open_scanner(context, demo, venue)
    context.clear_cookies()
    scanner.fill("#m-name", "Đỗ Thị Hoa")
    scanner.fill("#m-phone", "0912 345 678")
    scanner.locator("#manual button[type=submit]").click()
    expect(scanner.locator("#sync-note")).to_be_visible()
    expect(scanner.locator("#pending")).to_have_text("1")
    client_id = scanner.locator("#results li").get_attribute("data-client-id")
    assert not Checkin.objects.filter(client_id=client_id).exists()

    log_in(context.new_page(), demo, "chudiem")
    scanner.click("#send-now")
    expect(scanner.locator("#pending")).to_have_text("0")
    expect(scanner.locator("#results li.saved")).to_have_count(1)
    expect(scanner.locator("#sync-note")).to_be_hidden()
    wait_for(lambda: Checkin.objects.filter(client_id=client_id).count() == 1)
    assert errors == []
