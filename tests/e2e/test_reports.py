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
    # A plausible count: half the commune's smartphone users (more would need a confirmation,
    # see the next test).
    installs = int(form.locator("#id_smartphone_users").input_value()) // 2
    form.locator("#id_installs").fill(str(installs))
    form.locator("#id_scans").fill("17")
    with page.expect_navigation():
        form.locator("button[name=action][value=send]").click()

    expect(page.locator("main .messages li")).to_have_count(1)
    expect(page.locator("section#own")).to_have_attribute("data-state", SENT)
    expect(page.locator("#id_installs")).to_have_value(str(installs))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.context.clear_cookies()
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/reports/")
    expect(page.locator("h1")).to_contain_text("Huyện Bù Đăng")
    row = page.locator('table.reports tr[data-unit="25396"]')
    expect(row).to_have_attribute("data-state", SENT)
    expect(row).to_contain_text(f"{installs:,}".replace(",", "."))
    expect(row.locator("[data-implausible]")).to_have_count(0)
    expect(page.locator('table.reports tr[data-unit="25420"]')).to_have_attribute(
        "data-state", re.compile(r"^(waiting|missing)$")
    )
    expect(page.locator("#not-included")).not_to_contain_text("Đức Phong")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_implausible_figures_are_confirmed_then_marked_for_the_district(
    page: Page, demo: str
) -> None:
    """50.000 installs for 100 smartphone users: warned at the field with the figures kept,
    sent only once confirmed, and then marked on the district's page."""
    log_in(page, demo, "xa")
    page.goto(f"{demo}/reports/")
    form = page.locator("#report-form")
    form.locator("#id_installs").fill("50000")
    form.locator("#id_smartphone_users").fill("100")
    form.locator("#id_scans").fill("17")
    with page.expect_navigation():
        form.locator("button[name=action][value=send]").click()

    field = page.locator("#field-installs")
    expect(field.locator(".warning")).to_contain_text("50.000")
    expect(field.locator(".warning")).to_contain_text("(100)")
    expect(page.locator("#id_installs")).to_have_value("50000")
    expect(page.locator("#id_scans")).to_have_value("17")
    expect(page.locator("section#own")).not_to_have_attribute("data-state", SENT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("Tôi xác nhận các số liệu này").check()
    with page.expect_navigation():
        page.locator("#report-form button[name=action][value=send]").click()
    expect(page.locator("main .messages li")).to_contain_text("bất thường")
    expect(page.locator("section#own")).to_have_attribute("data-state", SENT)
    expect(page.locator("#own-doubts")).to_contain_text("50.000")

    page.context.clear_cookies()
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/reports/")
    row = page.locator('table.reports tr[data-unit="25396"]')
    expect(row.locator("[data-implausible]")).to_have_text("⚠ số liệu bất thường")
    row.locator("[data-implausible]").click()
    expect(page.locator("#doubts-25396")).to_contain_text("Thị trấn Đức Phong")
    expect(page.locator("#doubts-25396")).to_contain_text("50.000")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
