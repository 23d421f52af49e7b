"""Daily report in a real browser on a phone: the commune officer sends today's figures, the
district officer sees the commune as reported."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_login import log_in

SENT = re.compile(r"^(on_time|late)$")  # which one depends on the hour the test runs


def test_commune_sends_todays_report_and_the_district_sees_it(page: Page, demo: str) -> None:
    log_in(page, demo, "xa")
    page.goto(f"{demo}/reports/")
    expect(page.locator("h1")).to_contain_text("Thị trấn Đức Phong")
    form = page.locator("#report-form")
    expect(form.locator("#id_installs")).not_to_have_value("")  # prefilled by the platform
    form.locator("#id_installs").fill("4321")
    form.locator("#id_scans").fill("17")
    with page.expect_navigation():
        form.locator("button[name=action][value=send]").click()

    expect(page.locator("main .messages li")).to_have_count(1)
    expect(page.locator("section#own")).to_have_attribute("data-state", SENT)
    expect(page.locator("#id_installs")).to_have_value("4321")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.context.clear_cookies()
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/reports/")
    expect(page.locator("h1")).to_contain_text("Huyện Bù Đăng")
    row = page.locator('table.reports tr[data-unit="25396"]')
    expect(row).to_have_attribute("data-state", SENT)
    expect(row).to_contain_text("4.321")
    expect(page.locator('table.reports tr[data-unit="25420"]')).to_have_attribute(
        "data-state", re.compile(r"^(waiting|missing)$")
    )
    expect(page.locator("#not-included")).not_to_contain_text("Đức Phong")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
