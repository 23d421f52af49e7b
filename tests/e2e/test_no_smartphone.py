"""People without a smartphone, in a real Chromium at 360 px (issue 15, seed 004: their information
"must reach the system at once and complete"):

- a shop's owner checks in an elderly visitor who has only a basic phone: types the phone, the
  code goes to it through the outbox (read here as the visitor's phone would receive it), a
  wrong code is refused next to the field and kept, the right one stores the visit;
- a parent declares for a child on their own phone and sees the child's own QR code."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kiemdich.checkins.models import Checkin, Method, PhoneCheck
from kiemdich.declarations import services as declarations
from kiemdich.declarations.forms import DeclarationForm
from kiemdich.declarations.models import Person
from kiemdich.messaging.models import Message
from kiemdich.venues.models import Status, Venue

from .test_login import log_in


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide on a 360px screen"


def grandmother_declared() -> Person:
    """Bà Trần Thị Lựu declared at the commune's health station, with her basic phone."""
    form = DeclarationForm(
        data={
            "full_name": "Trần Thị Lựu",
            "birth_year": 1946,
            "gender": "female",
            "nationality": "VN",
            "phone": "0913 222 333",
            "commune_code": "25396",
            "purpose": "domestic",
            "contact_with_case": "no",
            "travel_outbreak_area": "no",
        }
    )
    assert form.is_valid(), form.errors
    return declarations.declare(form.cleaned_data)[0].person


def answer_no(page: Page) -> None:
    """The questions no form answers beforehand: the purpose (unless kept from the last
    declaration) and the two yes/no questions, asked afresh every time."""
    purpose = page.locator("#field-purpose input[type=radio]")
    if not any(purpose.nth(i).is_checked() for i in range(purpose.count())):
        purpose.first.check()
    for question in ("contact_with_case", "travel_outbreak_area"):
        page.locator(f"#field-{question}").get_by_role("radio", name="Không").check()


def code_on_the_phone(phone: str) -> str:
    """The code as the visitor's phone receives it: the outbox's newest SMS to that number."""
    message = Message.objects.filter(to=phone, key__startswith="phone-code:").latest("created_at")
    return re.search(r"\b\d{6}\b", message.body).group(0)


def test_staff_check_in_a_visitor_with_a_basic_phone_by_the_code_sent_to_it(
    page: Page, demo: str
) -> None:
    visitor = grandmother_declared()
    shop = Venue.objects.get(owner__username="chudiem", status=Status.ACTIVE)
    log_in(page, demo, "chudiem")
    page.goto(f"{demo}/venues/{shop.pk}/scanner/")
    page.locator("#phone-code-link").click()
    expect(page).to_have_url(f"{demo}/venues/{shop.pk}/phone/")
    fits(page)

    page.fill("#id_phone", "0913 222 333")
    with page.expect_navigation():
        page.locator("#phone-form button[type=submit]").click()
    check = PhoneCheck.objects.get()
    expect(page).to_have_url(f"{demo}/venues/{shop.pk}/phone/{check.pk}/")
    # Before the code: the number typed, and nothing about who declared with it.
    expect(page.locator("#code-sent")).to_contain_text("0913 222 333")
    expect(page.locator("main")).not_to_contain_text("T*** T** L**")
    fits(page)

    code = code_on_the_phone(visitor.phone)
    sms = Message.objects.get(key=f"phone-code:{check.pk}").body
    assert shop.name in sms and "phút" in sms  # where, and for how long, in Vietnamese
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.fill("#id_code", wrong)
    with page.expect_navigation():
        page.locator("#code-form button[type=submit]").click()
    expect(page.locator("#field-code .error")).to_contain_text("Còn 4 lần thử")
    expect(page.locator("#id_code")).to_have_value(wrong)
    assert not Checkin.objects.filter(person=visitor).exists()

    page.fill("#id_code", code)
    page.locator("#id_direction input[value=in]").check()
    with page.expect_navigation():
        page.locator("#code-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Đã ghi nhận")
    expect(page.locator("#phone-results")).to_contain_text("T*** T** L**")
    expect(page.locator("#phone-results")).to_contain_text("1946")
    expect(page.locator("main")).not_to_contain_text("Trần Thị Lựu")
    fits(page)

    visit = Checkin.objects.get(person=visitor)
    assert (visit.venue_id, visit.method, visit.recorded_by.username) == (
        shop.pk,
        Method.PHONE,
        "chudiem",
    )
    # Reloading the result (the form sent again) stores no second visit.
    page.reload()
    expect(page.locator("#phone-results")).to_contain_text("T*** T** L**")
    assert Checkin.objects.filter(person=visitor).count() == 1


def test_a_parent_declares_for_a_child_and_sees_the_childs_qr(page: Page, demo: str) -> None:
    page.goto(f"{demo}/declare/")
    page.fill("#id_full_name", "Lê Văn Tâm")
    page.fill("#id_birth_year", "1985")
    page.get_by_role("radio", name="Nam", exact=True).check()
    page.fill("#id_phone", "0914 555 666")
    page.select_option("#pick-province-commune_code", "70")
    page.select_option("#pick-district-commune_code", "696")
    page.select_option("#pick-commune-commune_code", "25396")
    page.fill("#id_address", "Số 3, đường Lý Thường Kiệt")
    answer_no(page)
    with page.expect_navigation():
        page.locator("#declare-form button[type=submit]").click()
    expect(page).to_have_url(f"{demo}/me/")

    page.locator("a[href='/me/family/new/']").click()
    expect(page).to_have_url(f"{demo}/me/family/new/")
    fits(page)
    # Where the parent lives is filled in; the child's own answers are typed.
    expect(page.locator("#id_address")).to_have_value("Số 3, đường Lý Thường Kiệt")
    expect(page.locator("#pick-commune-commune_code")).to_have_value("25396")
    page.fill("#id_full_name", "Lê Thị Bống")
    page.fill("#id_birth_year", "2018")
    page.get_by_role("radio", name="Nữ", exact=True).check()
    answer_no(page)
    with page.expect_navigation():
        page.locator("#family-form button[type=submit]").click()

    parent = Person.objects.get(full_name="Lê Văn Tâm")
    child = Person.objects.get(full_name="Lê Thị Bống")
    expect(page).to_have_url(f"{demo}/me/family/{child.pk}/")
    expect(page.locator("h1")).to_have_text("Lê Thị Bống")
    expect(page.locator("#member-qr svg")).to_be_visible()
    fits(page)
    # The QR is the child's own personal code, not the parent's (the page as the server sent it).
    served = page.request.get(f"{demo}/me/family/{child.pk}/").text()
    assert declarations.personal_qr_svg(child) in served
    assert declarations.personal_qr_svg(parent) not in served
    assert child.phone == parent.phone and child.commune_id == "25396"
    assert child.declarations.get().declared_by == parent

    page.goto(f"{demo}/me/")
    expect(page.locator("#family")).to_contain_text("Lê Thị Bống")
    # A later declaration for the child replaces the last one.
    page.locator(f"#family a[href='/me/family/{child.pk}/']").click()
    page.locator(f"a[href='/me/family/{child.pk}/declare/']").click()
    expect(page.locator("#id_full_name")).to_have_value("Lê Thị Bống")
    page.fill("#id_address", "Ấp 2, xã Đức Liễu")
    answer_no(page)
    with page.expect_navigation():
        page.locator("#family-form button[type=submit]").click()
    child.refresh_from_db()
    assert child.address == "Ấp 2, xã Đức Liễu" and child.declarations.count() == 2
    assert Person.objects.family_of(parent).count() == 1
