"""The Today page in a real browser on a phone: a district official signs in and sees the day's
bulletin of Bù Đăng and the communes nobody has scanned in today, by name, with no sideways
scrolling at 360 px."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import Page, expect

from kiemdich.checkins.models import ScanDaily
from kiemdich.geo.models import Unit
from kiemdich.web.today import QUIET_SHOWN
from tests.e2e.test_login import log_in


def test_district_official_sees_the_bulletin_and_the_quiet_communes(page: Page, demo: str) -> None:
    day = timezone.localdate()
    scanned = ScanDaily.objects.filter(commune__parent_id="696", date=day, scans__gt=0)
    quiet = dict(
        Unit.objects.filter(parent_id="696")
        .exclude(code__in=scanned.values("commune_id"))
        .values_list("code", "full_name")
    )
    scans = scanned.aggregate(n=Sum("scans"))["n"] or 0
    assert quiet, "the demo scans every commune of Bù Đăng today: nothing to name"

    log_in(page, demo, "huyen")

    expect(page).to_have_url(f"{demo}/")
    expect(page.locator("h1")).to_have_text(f"Hôm nay, {day:%d/%m/%Y}")
    bulletin = page.locator("#bulletin")
    expect(bulletin.locator("h2")).to_have_text(f"Bản tin ngày {day:%d/%m/%Y}")
    expect(bulletin.locator("#fig-scans dd a")).to_have_text(f"{scans:,}".replace(",", "."))
    expect(bulletin.locator("#fig-checkpoints dd a")).not_to_have_text("0")  # seed 004's 189
    expect(bulletin.locator("#quiet")).to_contain_text(str(len(quiet)))
    named = bulletin.locator("ul.quiet li")
    expect(named).to_have_count(min(len(quiet), QUIET_SHOWN))
    for i in range(named.count()):
        item = named.nth(i)
        expect(item).to_have_text(quiet[item.get_attribute("data-unit")])
    expect(page.locator("#todo-units-reports")).to_contain_text("Xã Thống Nhất")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360, f"page is {scroll_width}px wide on a 360px screen"

    if len(quiet) > QUIET_SHOWN:
        with page.expect_navigation():
            page.locator("#quiet-more").click()
        expect(page.locator("ul.quiet li")).to_have_count(len(quiet))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.expect_navigation():
        page.locator("#fig-scans dd a").click()
    expect(page).to_have_url(f"{demo}/stats/checkpoints/?unit=696&date={day:%Y-%m-%d}")
