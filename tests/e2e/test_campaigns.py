"""The district officer of Bù Đăng sends an install reminder to Đức Phong on a phone (the form,
its preview with the recipients and the cost before anything is queued, the confirmation), long
names wrap at 360 px, and the campaign's page follows a campaign that a worker runs while the
page is open."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kiemdich.accounts.models import User
from kiemdich.declarations.models import Person
from kiemdich.messaging.models import Campaign, Message
from kiemdich.messaging.tasks import send_campaign
from kiemdich.orgs.models import Organization

from .test_login import log_in


def residents() -> None:
    """Three people of Đức Phong on two phones (a mother and her son share one), and one of
    Thống Nhất, who must not get Đức Phong's reminder."""
    for name, phone, commune in [
        ("Nguyễn Văn An", "+84912111001", "25396"),
        ("Trần Thị Bình", "+84912111002", "25396"),
        ("Trần Văn Bé", "+84912111002", "25396"),
        ("Lê Văn Cường", "+84912111003", "25420"),
    ]:
        Person.objects.create(full_name=name, phone=phone, commune_id=commune)


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def test_district_officer_previews_then_sends_an_install_reminder_to_a_commune(
    page: Page, demo: str
) -> None:
    residents()
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/")
    page.locator("nav a[href='/campaigns/']").click()  # campaigns are in the navigation
    page.locator("main a.button[href='/campaigns/new/']").click()
    expect(page).to_have_url(f"{demo}/campaigns/new/")
    fits(page)

    text = page.locator("textarea[name=text]")
    expect(page.locator("input[name=kind][value=install]")).to_be_checked()
    expect(text).to_have_value(re.compile("Bluezone"))
    count = page.locator("#text-count")
    expect(count).to_contain_text(re.compile(r"\d+/320"))
    # Switching the reminder swaps in its standard text while the official has not edited it.
    page.locator("input[name=kind][value=declaration]").check()
    expect(text).to_have_value(re.compile("/declare/"))
    page.locator("input[name=kind][value=install]").check()
    expect(text).to_have_value(re.compile("Bluezone"))
    install_text = text.input_value()

    # A one-letter slip is refused next to the field, and kept.
    text.fill("x")
    page.select_option("select[name=unit]", "25396")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#field-text .error")).to_be_visible()
    expect(text).to_have_value("x")
    text.fill(install_text)

    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # The preview: two phones (a mother and her son share one), the text as it arrives, its
    # cost; nothing queued yet.
    expect(page.locator("#preview-recipients")).to_have_text("2")
    expect(page.locator("#preview-text")).to_have_text(install_text)
    expect(page.locator("#preview-cost")).to_contain_text("UCS-2")
    expect(page.locator("#preview-cost")).to_contain_text(re.compile(r"\d+ SMS"))
    expect(page.locator(".samples li")).to_have_count(2)
    expect(page.locator(".samples")).to_contain_text("+849*****001")
    assert not Message.objects.exists() and not Campaign.objects.exists()
    fits(page)

    # Back to edit keeps the text; preview again.
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Quay lại|Back to edit")).click()
    expect(text).to_have_value(install_text)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert not Message.objects.exists()

    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("2")
    with page.expect_navigation():
        confirm.dblclick()  # a double tap

    campaign = Campaign.objects.get()
    expect(page).to_have_url(f"{demo}/campaigns/{campaign.pk}/")
    box = page.locator(".campaign-progress")
    expect(box.locator("[data-field=total]")).to_have_text("2")
    expect(box.locator("[data-field=sent]")).to_have_text("2")
    expect(box.locator(".status")).to_have_class(re.compile("campaign-done"))
    assert page.locator("#progress-sent").evaluate("p => [p.value, p.max]") == [2, 2]
    fits(page)
    assert campaign.unit_id == "25396" and campaign.created_by.username == "huyen"
    assert sorted(Message.objects.values_list("to", flat=True)) == [
        "+84912111001",
        "+84912111002",
    ]
    assert set(Message.objects.values_list("body", flat=True)) == {install_text}

    # The same reminder to the same commune again: refused, saying when the next may go.
    page.goto(f"{demo}/campaigns/new/")
    page.select_option("select[name=unit]", "25396")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main .error[role=alert]").first).to_contain_text("24")
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2


def test_long_unbroken_names_wrap_on_a_phone(page: Page, demo: str) -> None:
    """An organization named without a space, and a text without one, on a 360 px screen."""
    long_name = "TrườngTHCS" + "ĐứcPhong" * 23
    Organization.objects.create(code="BP-LONG", name=long_name, kind="school", unit_id="25396")
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/campaigns/new/")
    fits(page)
    page.locator("input[name=audience][value=organization]").check()
    page.select_option("select[name=organization]", "BP-LONG")
    page.locator("textarea[name=text]").fill("Nhắc" + "x" * 300)
    page.locator("input[name=name]").fill("Đợt" + "y" * 190)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#preview-recipients")).to_have_text("0")
    fits(page)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Quay lại|Back to edit")).click()
    fits(page)
    huyen = User.objects.get(username="huyen")
    campaign = Campaign.objects.create(
        name="Đợt" + "y" * 190, kind="install", text="Nhắc" + "x" * 300, channel="sms",
        organization=Organization.objects.get(code="BP-LONG"), created_by=huyen,
    )  # fmt: skip
    for url in (f"/campaigns/{campaign.pk}/", "/campaigns/"):
        page.goto(f"{demo}{url}")
        fits(page)


def test_the_progress_bar_follows_a_campaign_run_by_a_worker(page: Page, demo: str) -> None:
    """A campaign waiting for the worker: the open page moves when the worker has run it."""
    residents()
    huyen = User.objects.get(username="huyen")
    campaign = Campaign.objects.create(
        name="Nhắc cài đặt", kind="install", text="Cài Bluezone", channel="sms",
        unit_id="25396", created_by=huyen,
    )  # fmt: skip
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/campaigns/{campaign.pk}/")
    box = page.locator(".campaign-progress")
    expect(box.locator("[data-field=sent]")).to_have_text("0")
    expect(box.locator(".status")).to_have_class(re.compile("campaign-queued"))

    send_campaign.call(campaign.pk)  # what `kiemdich db_worker` does in production

    expect(box.locator("[data-field=total]")).to_have_text("2")
    expect(box.locator("[data-field=sent]")).to_have_text("2")
    expect(box.locator(".status")).to_have_class(re.compile("campaign-done"))
    expect(page.locator("#progress-queued")).to_have_js_property("value", 2)
    expect(page.locator("#progress-sent")).to_have_js_property("max", 2)
    expect(box).to_have_attribute("data-finished", "1")
