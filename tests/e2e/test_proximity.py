"""A tracer issues a Bluetooth verification code from a case's page, on a phone: asked first,
then shown once, large, with its expiry."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from kiemdich.accounts.models import User
from kiemdich.declarations.models import Person
from kiemdich.proximity.models import VerificationCode
from kiemdich.tracing import services as tracing

from .test_login import log_in
from .test_tracing import fits


def test_tracer_issues_a_code_from_the_case_page(page: Page, demo: str) -> None:
    person = Person.objects.create(
        full_name="Nguyễn Văn Không", phone="+84912345000", commune_id="25396"
    )
    case = tracing.record_case(
        User.objects.get(username="truyvet"), person, timezone.now() - dt.timedelta(hours=3)
    )
    log_in(page, demo, "truyvet")
    page.goto(f"{demo}/tracing/{case.pk}/")
    button = page.locator("#issue-code")
    expect(button).to_have_text("Cấp mã xác nhận")
    button.click()
    # Asked first: nothing issued yet, the area's codes of the day shown.
    expect(page.locator("#quota")).to_have_text("0 / 200")
    assert not VerificationCode.objects.exists()
    fits(page)
    page.locator("#confirm-code").click()
    code = page.locator("#code")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(page.locator("#code-expiry")).to_contain_text("15 phút")
    expect(page.locator("#long-code")).to_have_text(re.compile(r"^[0-9A-Z]{16}$"))
    fits(page)
    assert VerificationCode.objects.get().case_id == case.pk
    # Shown once: the page again asks, it does not show the code.
    page.goto(f"{demo}/proximity/cases/{case.pk}/code/")
    expect(page.locator("#code")).to_have_count(0)
    expect(page.locator("#quota")).to_have_text("1 / 200")
