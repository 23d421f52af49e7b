"""A person opens two posters' links on a phone: declares once, then checks in and out at both."""

from playwright.sync_api import Page, expect

from kiemdich.checkins.models import Checkin
from kiemdich.declarations.models import Declaration, Person
from kiemdich.venues.models import Status, Venue
from kiemdich.venues.services import qr_url


def test_declare_once_then_in_and_out_at_two_venues(page: Page, demo: str) -> None:
    first, second = Venue.objects.filter(status=Status.ACTIVE, commune__parent_id="696").order_by(
        "pk"
    )[:2]
    path = lambda venue: "/c/" + qr_url(venue).rsplit("/c/", 1)[1]  # noqa: E731

    loaded: list[int] = []
    page.on("response", lambda response: loaded.append(len(response.body())))
    page.goto(demo + path(first))
    page.wait_for_load_state("networkidle")
    # Page, style, script and the province list: well under 100 KB for a cheap phone.
    assert 0 < sum(loaded) < 100_000, sum(loaded)
    expect(page.locator("h1")).to_have_text(first.name)
    expect(page.locator("h2")).to_contain_text("Khai báo y tế")
    page.fill("#id_full_name", "Phạm Thị Hoa")
    page.fill("#id_birth_year", "1979")
    page.get_by_role("radio", name="Nữ").check()  # buttons, none chosen at first
    page.fill("#id_phone", "0912 000 111")
    page.select_option("#pick-province-commune_code", "70")
    page.select_option("#pick-district-commune_code", "696")
    page.select_option("#pick-commune-commune_code", "25396")
    page.locator("#field-contact_with_case").get_by_role("radio", name="Không").check()
    page.locator("#field-travel_outbreak_area").get_by_role("radio", name="Không").check()
    page.get_by_role("button", name="Khai báo và vào").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận vào lúc")
    expect(page.locator("#inside")).to_contain_text("Bạn đang ở đây từ")
    page.locator("#scan-out").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận ra lúc")

    # The second poster: no form any more, one tap in, then the "Ra" button.
    page.goto(demo + path(second))
    expect(page.locator("#declare-form")).to_have_count(0)
    page.get_by_role("button", name="Vào").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận vào lúc")
    page.get_by_role("button", name="Ra").click()
    expect(page.locator(".messages")).to_contain_text("Đã ghi nhận ra lúc")

    person = Person.objects.get(full_name="Phạm Thị Hoa")
    assert Declaration.objects.filter(person=person).count() == 1
    visits = list(Checkin.objects.filter(person=person).order_by("t_in"))
    assert [v.venue_id for v in visits] == [first.pk, second.pk]
    assert all(not v.t_out_auto and v.t_out >= v.t_in for v in visits)

    page.goto(f"{demo}/me/")
    expect(page.locator("#personal-qr svg")).to_be_visible()
    expect(page.locator("main")).to_contain_text(second.name)
