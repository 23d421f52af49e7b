"""The hotline 1022 in a real browser on a phone: a citizen reports on the public form, the
report is routed to the district health centre, its member resolves it, the province's
statistics count it; the citizen's status lookup shows nothing personal."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from kiemdich.hotline.models import Status, Ticket
from tests.conftest import PASSWORD
from tests.e2e.test_login import log_in
from tests.hotline.conftest import hotline  # noqa: F401 (the fixture)


@pytest.fixture
def site(transactional_db, live_server, hotline):  # noqa: F811
    return live_server.url, hotline


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def tickets_counted(page: Page, base: str) -> str:
    page.goto(f"{base}/hotline/stats/?unit=70")
    return page.locator("#hotline-figures div").first.locator("dd").inner_text()


def test_a_citizens_report_is_routed_resolved_and_counted(page: Page, site) -> None:
    base, people = site
    log_in(page, base, people["province"].username, PASSWORD)
    assert tickets_counted(page, base) == "0"
    page.context.clear_cookies()

    page.goto(f"{base}/1022/")
    fits(page)
    page.select_option("#id_category", "suspected_case")
    page.select_option("#pick-province-commune_code", "70")
    page.select_option("#pick-district-commune_code", "696")
    page.select_option("#pick-commune-commune_code", "25396")
    page.fill("#id_location", "Chợ Đức Phong, sạp 12")
    page.fill("#id_description", "Người bán hàng ho sốt nhiều ngày")
    page.fill("#id_phone", "0912 345 678")
    page.get_by_role("radio", name="Không", exact=True).check()
    question = page.locator("#field-answer label").inner_text()
    a, b = map(int, re.search(r"(\d+) \+ (\d+)", question).groups())
    page.fill("#id_answer", str(a + b))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    ticket = Ticket.objects.get()
    expect(page.locator("main")).to_contain_text(ticket.number)
    expect(page.locator("#public-status")).to_contain_text("TTYT Bù Đăng")  # routed
    fits(page)

    log_in(page, base, people["health_member"].username, PASSWORD)
    page.goto(f"{base}/hotline/inbox/")
    with page.expect_navigation():
        page.get_by_role("link", name=ticket.number).click()
    expect(page.locator("main")).to_contain_text("+84912345678")
    with page.expect_navigation():
        page.locator("button[formaction$='/acknowledge/']").click()
    page.fill("#id_note", "Đã đến lấy mẫu, cách ly tại nhà")
    with page.expect_navigation():
        page.locator("button[formaction$='/resolve/']").click()
    fits(page)
    page.context.clear_cookies()

    log_in(page, base, people["province"].username, PASSWORD)
    assert tickets_counted(page, base) == "1"
    expect(page.locator("#per-agency")).to_contain_text("TTYT Bù Đăng")
    fits(page)
    page.context.clear_cookies()

    page.goto(f"{base}/1022/status/")
    page.fill("#number", ticket.number.lower())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    status = page.locator("main").inner_text()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    with translation.override("vi"):
        assert str(Status.RESOLVED.label) in status
    for personal in ("0912", "+8491", "ho sốt", "sạp 12", "lấy mẫu"):
        assert personal not in status
