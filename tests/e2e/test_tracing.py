"""A tracer records an F0 on a phone and works through the contacts; a commune officer sees only
the commune's own list.

The demo's scans have no persons, so the test puts four people and their visits at two demo
checkpoints first: the F0 and A (Đức Phong, 25396) and B (Thống Nhất, 25420) at a shop in
Đức Phong; B later with C at a checkpoint in Thống Nhất.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone
from playwright.sync_api import Page, expect

from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Person
from kiemdich.tracing.models import Case, Contact, Status
from kiemdich.venues.models import Venue

from .test_login import log_in


def town() -> tuple[dt.datetime, dict[str, Person], Venue]:
    confirmed = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    shop = Venue.objects.filter(commune_id="25396").order_by("pk").first()
    other = Venue.objects.filter(commune_id="25420").order_by("pk").first()
    people = {
        key: Person.objects.create(full_name=name, phone=phone, commune_id=commune)
        for key, name, phone, commune in [
            ("f0", "Nguyễn Văn Không", "+84912345000", "25396"),
            ("a", "Trần Thị An", "+84912345001", "25396"),
            ("b", "Lê Văn Bình", "+84912345002", "25420"),
            ("c", "Phạm Thị Cúc", "+84912345003", "25420"),
        ]
    }
    met = confirmed - dt.timedelta(days=1)
    for key, venue, start in [
        ("f0", shop, met),
        ("a", shop, met + dt.timedelta(minutes=10)),
        ("b", shop, met + dt.timedelta(minutes=20)),
        ("b", other, met + dt.timedelta(hours=3)),
        ("c", other, met + dt.timedelta(hours=3, minutes=5)),
    ]:
        Checkin.objects.create(
            client_id=uuid.uuid4(),
            venue=venue,
            person=people[key],
            method="self",
            t_in=start,
            t_out=start + dt.timedelta(minutes=45),
        )
    return confirmed, people, shop


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    # What sticks out, to say where to look when it fails.
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter(e => e.getBoundingClientRect().right > 360).slice(0, 3)"
        ".map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"
    )
    assert width <= 360, f"page is {width}px wide on a 360px screen: {wide}"


def test_tracer_records_a_case_commune_sees_its_list(page: Page, demo: str) -> None:
    confirmed, people, shop = town()

    log_in(page, demo, "truyvet")
    page.locator("header a[href='/tracing/']").click()
    page.locator("main a[href='/tracing/new/']").click()
    page.fill("#id_phone", "0912 345 000")
    page.fill("#id_confirmed_at", timezone.localtime(confirmed).strftime("%Y-%m-%dT%H:%M"))
    # The window is prefilled with its default: two days before, one day after.
    expected_from = timezone.localtime(confirmed - dt.timedelta(days=2))
    expect(page.locator("#id_infectious_from")).to_have_value(
        expected_from.strftime("%Y-%m-%dT%H:%M")
    )
    fits(page)
    page.locator("main form button[type=submit]").click()

    case = Case.objects.get()
    expect(page).to_have_url(f"{demo}/tracing/{case.pk}/")
    expect(page.locator("h1")).to_contain_text("Nguyễn Văn Không")
    expect(page.locator("#timeline li")).to_have_count(1)
    expect(page.locator("#timeline")).to_contain_text(shop.name)
    expect(page.locator("#count-f1")).to_have_text("2")
    expect(page.locator("#graph svg g.node")).to_have_count(3)
    fits(page)

    page.locator("form[action$='/trace-f2/'] button").click()
    expect(page.locator("#count-f2")).to_have_text("1")
    expect(page.locator("#graph svg g.node")).to_have_count(4)
    expect(page.locator("#graph svg line")).to_have_count(3)
    expect(page.locator("#communes tbody tr")).to_have_count(2)

    page.locator(f"#communes a[href='/tracing/{case.pk}/communes/25420/']").click()
    cards = page.locator("#contacts > li")
    expect(cards).to_have_count(2)
    expect(page.locator("#contacts")).to_contain_text("Lê Văn Bình")
    expect(page.locator("#contacts")).to_contain_text("0912 345 002")
    binh = Contact.objects.get(case=case, person=people["b"])
    card = page.locator(f"#contact-{binh.pk}")
    card.locator("select").select_option(Status.ISOLATING)
    card.locator("textarea").fill("Đã gọi, cách ly tại nhà")
    card.locator(f"form[action$='/contacts/{binh.pk}/'] button[type=submit]").click()
    expect(page.locator(f"#contact-{binh.pk} .status.isolating")).to_have_count(1)
    binh.refresh_from_db()
    assert binh.status == Status.ISOLATING and binh.notes == "Đã gọi, cách ly tại nhà"
    fits(page)
    unwarned = Contact.objects.filter(case=case, notified_at__isnull=True).count()
    page.locator("#notify").click()  # first the question: who gets what, at what cost
    expect(page.locator("#warning-recipients")).to_have_text(str(unwarned))
    expect(page.locator("#warning-text")).to_contain_text("1022")
    expect(page.locator("#warning-cost")).to_contain_text("SMS")
    fits(page)
    assert Contact.objects.filter(case=case, notified_at__isnull=True).count() == unwarned
    page.locator("#confirm").click()
    expect(page.locator("#notify")).to_have_count(0)  # nobody left to warn
    assert not Contact.objects.filter(case=case, notified_at__isnull=True).exists()
    with page.expect_download() as download:
        page.locator("main a[href$='/export.xlsx']").click()
    assert download.value.suggested_filename == f"truy-vet-ca-{case.pk}-25420.xlsx"

    with page.expect_navigation():
        page.locator("header form[action='/logout/'] button").click()
    log_in(page, demo, "xa")
    page.goto(f"{demo}/tracing/")
    page.locator(f"main a[href='/tracing/{case.pk}/']").click()
    expect(page.locator("#communes tbody tr")).to_have_count(1)
    expect(page.locator("#graph svg g.node")).to_have_count(2)  # the F0 and A
    page.locator(f"#communes a[href='/tracing/{case.pk}/communes/25396/']").click()
    expect(page.locator("#contacts > li")).to_have_count(1)
    expect(page.locator("#contacts")).to_contain_text("Trần Thị An")
    expect(page.locator("main")).not_to_contain_text("Lê Văn Bình")
    response = page.goto(f"{demo}/tracing/{case.pk}/communes/25420/")
    assert response is not None and response.status == 404
