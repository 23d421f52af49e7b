"""An organization's admin reports installs by group in a real browser, on a phone screen."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from kiemdich.adoption.models import Target
from kiemdich.orgs.models import Headcount, Organization

from .test_login import log_in


def test_school_admin_enters_installed_counts(page: Page, demo: str) -> None:
    school = Organization.objects.get(code="BP-THCS-DUCPHONG")
    # The school's headcounts (the demo creates the school only): 45 teachers, 620 pupils.
    for group, headcount, installed in (("teachers", 45, 38), ("lower_secondary", 620, 150)):
        Headcount.objects.update_or_create(
            organization=school,
            group=group,
            defaults={"headcount": headcount, "installed": installed},
        )
    deadline = dt.date.today() + dt.timedelta(days=20)
    Target.objects.create(name="e2e teachers", group="teachers", threshold=100, deadline=deadline)
    Target.objects.create(
        name="e2e pupils", group="lower_secondary", threshold=30, deadline=deadline
    )

    log_in(page, demo, "donvi")
    page.locator('header a[href="/orgs/"]').click()
    expect(page).to_have_url(f"{demo}/orgs/")
    expect(page.locator("h1")).to_have_text("Trường THCS Đức Phong")

    teachers = page.locator("#group-teachers")
    pupils = page.locator("#group-lower_secondary")
    expect(teachers.locator(".rate")).to_have_text("84,44%")
    expect(teachers.locator(".gap")).to_have_text("7")
    expect(teachers.locator(".status.rejected")).to_be_visible()
    expect(pupils.locator(".rate")).to_have_text("24,19%")
    expect(pupils.locator(".gap")).to_have_text("36")

    # More teachers than the school has: refused next to the field, nothing saved.
    page.fill("#id_teachers", "50")
    page.fill("#id_lower_secondary", "190")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    error = page.locator("#field-teachers [role=alert]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("45")
    expect(page.locator("#field-lower_secondary [role=alert]")).to_have_count(0)
    expect(teachers.locator(".installed")).to_have_text("38")
    assert Headcount.objects.get(organization=school, group="lower_secondary").installed == 150

    page.fill("#id_teachers", "45")
    page.fill("#id_lower_secondary", "190")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{demo}/orgs/")
    expect(page.locator(".messages li.success")).to_be_visible()
    expect(teachers.locator(".rate")).to_have_text("100,00%")
    expect(teachers.locator(".gap")).to_have_text("0")
    expect(teachers.locator(".status.active")).to_be_visible()
    expect(pupils.locator(".rate")).to_have_text("30,65%")
    expect(pupils.locator(".status.active")).to_be_visible()
    expect(page.locator(".status.rejected")).to_have_count(0)
    expect(page.locator("#id_teachers")).to_have_value("45")
    saved = {h.group: h.installed for h in Headcount.objects.filter(organization=school)}
    assert (saved["teachers"], saved["lower_secondary"]) == (45, 190)

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"page is {scroll_width}px wide on a 360px screen"
