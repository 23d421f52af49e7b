"""Issue 18 in a browser: a tracer puts all F1 of a case under home quarantine from the case
page, one of them reports from the SMS link on a 360 px phone, and the commune's follow-up list
changes."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import Page, expect

from kiemdich.accounts.models import User
from kiemdich.hotline import services as hotline
from kiemdich.messaging.models import Message
from kiemdich.monitoring import services
from kiemdich.monitoring.models import Monitoring
from kiemdich.tracing.services import open_case

from .conftest import PHONE
from .test_login import log_in
from .test_tracing import fits, town


def test_enrol_all_f1_report_from_the_sms_link_and_the_list_changes(
    page: Page, browser, demo: str
) -> None:
    confirmed, people, _shop = town()
    case, _report = open_case(
        User.objects.get(username="truyvet"), phone="0912 345 000", confirmed_at=confirmed
    )

    log_in(page, demo, "truyvet")
    page.goto(f"{demo}/tracing/{case.pk}/")
    page.locator("#enrol-f1").click()
    expect(page.locator("#confirm-count")).to_contain_text("2 F1")
    fits(page)
    page.locator("#confirm").click()
    expect(page).to_have_url(f"{demo}/tracing/{case.pk}/")
    assert set(Monitoring.objects.values_list("person_id", flat=True)) == {
        people["a"].pk,
        people["b"].pk,
    }
    with page.expect_navigation():
        page.locator("header form[action='/logout/'] button").click()

    # Đức Phong's officer: An is on the list of those who have not reported today.
    log_in(page, demo, "xa")
    page.goto(f"{demo}/monitoring/communes/25396/?show=not_reported_today")
    an = Monitoring.objects.get(person=people["a"])
    expect(page.locator(f"#monitoring-{an.pk}")).to_contain_text("Trần Thị An")
    fits(page)

    # The reminder SMS, as the clock queues it in An's hour (08:00).
    at = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    services.tick(at)
    body = Message.objects.get(key=f"monitoring:{an.pk}:{at.date().isoformat()}").body
    link = next(word for word in body.split() if "/monitoring/r/" in word)

    phone = browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        person = phone.new_page()
        person.goto(demo + urlsplit(link).path)
        expect(person.locator("h1")).to_have_text("Báo cáo sức khỏe hằng ngày")
        fits(person)
        person.locator("input[name=symptoms][value=cough]").check()
        person.fill("#id_temperature", "38,5")
        person.locator("#report-form button[type=submit]").click()
        expect(person.locator("#reported")).to_be_visible()
        fits(person)
    finally:
        phone.close()

    page.reload()
    expect(page.locator(f"#monitoring-{an.pk}")).to_have_count(0)
    page.goto(f"{demo}/monitoring/communes/25396/?show=symptomatic")
    expect(page.locator(f"#monitoring-{an.pk} .status.positive")).to_have_count(1)
    page.goto(f"{demo}/monitoring/?unit=25396")
    expect(page.locator("#symptomatic")).to_have_text("1")


def test_enrol_the_caller_of_a_hotline_ticket_on_a_phone(page: Page, demo: str) -> None:
    """The tracer opens a ticket, enrols its caller from it: the form comes with the caller's
    phone and the ticket's commune, and the monitoring names the ticket as its source."""
    _confirmed, people, _shop = town()
    ticket = hotline.receive(
        hotline.Report(
            "call", "undeclared_arrival", "25396", "Thôn 3", "Vừa về từ vùng dịch", "0912345001"
        )
    )

    log_in(page, demo, "truyvet")
    page.goto(f"{demo}/hotline/tickets/{ticket.pk}/")
    fits(page)
    page.locator("#enrol-monitoring").click()
    expect(page.locator("#from-ticket")).to_contain_text(ticket.number)
    expect(page.locator("#id_phone")).to_have_value("+84912345001")
    fits(page)
    page.get_by_role("radio", name="cách ly tại nhà", exact=True).check()
    page.fill("#id_exposure_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    monitoring = Monitoring.objects.get(person=people["a"])
    expect(page).to_have_url(f"{demo}/monitoring/{monitoring.pk}/")
    assert (monitoring.source, monitoring.source_ref, monitoring.commune_id) == (
        "hotline",
        f"ticket {ticket.number}",
        "25396",
    )
