"""The district officer of Bù Đăng sends an install reminder to Đức Phong on a phone, and the
campaign's page follows a campaign that a worker runs while the page is open."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kiemdich.accounts.models import User
from kiemdich.declarations.models import Person
from kiemdich.messaging.models import Campaign, Message
from kiemdich.messaging.tasks import send_campaign

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


def test_district_officer_sends_an_install_reminder_to_a_commune(page: Page, demo: str) -> None:
    residents()
    log_in(page, demo, "huyen")
    page.goto(f"{demo}/campaigns/")
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

    page.select_option("select[name=unit]", "25396")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

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
