"""Logging in and out in a real browser, on a phone-sized screen, in Vietnamese."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kiemdich.demo.province import PASSWORD


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The header has submit buttons of its own (language switch), so aim at the page's form.
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_district_officer_logs_in_sees_communes_and_logs_out(page: Page, demo: str) -> None:
    page.goto(f"{demo}/")
    login_link = page.locator("header").get_by_role("link", name="Đăng nhập", exact=True)
    expect(login_link).to_be_visible()
    login_link.click()
    expect(page).to_have_url(f"{demo}/login/")

    log_in(page, demo, "huyen")

    expect(page).to_have_url(f"{demo}/")
    expect(page.locator("h1")).to_contain_text("Hôm nay")  # the Today page (tests/e2e/test_today)
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Huyện Bù Đăng", exact=True).click()
    expect(page).to_have_url(f"{demo}/units/696/")
    expect(page.locator("h1")).to_have_text("Huyện Bù Đăng")
    table = page.locator("table.data")
    expect(table.locator("tbody tr")).to_have_count(16)
    expect(table.locator("thead th", has_text="Dân số")).to_have_count(1)
    expect(table.locator("tbody tr", has_text="Thị trấn Đức Phong")).to_have_count(1)
    # Only the table may scroll sideways (inside its own container), never the whole page.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"page is {scroll_width}px wide on a 360px screen"

    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Đăng xuất", exact=True).click()

    expect(page).to_have_url(f"{demo}/")
    expect(page.locator("header").get_by_role("link", name="Đăng nhập", exact=True)).to_be_visible()
    expect(page.locator("table.data")).to_have_count(0)


def test_wrong_password_shows_error_and_stays_on_login(page: Page, demo: str) -> None:
    log_in(page, demo, "huyen", "not-the-password")

    expect(page).to_have_url(f"{demo}/login/")
    error = page.locator("main [role=alert]")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("huyen")


def test_commune_officer_cannot_open_another_commune(page: Page, demo: str) -> None:
    log_in(page, demo, "xa")
    expect(page.locator("main .crumbs")).to_have_text("Thị trấn Đức Phong")  # Today's area

    response = page.goto(f"{demo}/units/25420/")

    assert response is not None
    assert response.status == 403
    expect(page.locator("table.data")).to_have_count(0)
