"""A venue owner signs up and registers a checkpoint on a phone; the commune officer approves."""

from playwright.sync_api import Page, expect

from kiemdich.demo.province import PASSWORD
from kiemdich.venues.models import Status, Venue


def test_owner_registers_officer_approves_owner_prints(page: Page, demo: str) -> None:
    page.goto(f"{demo}/venues/new/")
    expect(page).to_have_url(f"{demo}/signup/?next=%2Fvenues%2Fnew%2F")
    page.fill("#id_full_name", "Lê Văn Tám")
    page.fill("#id_phone", "0903 123 456")
    page.fill("#id_password", "mot-mat-khau-dai")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(f"{demo}/venues/new/")
    page.fill("#id_name", "Tiệm thuốc Tám Lê")
    page.select_option("#id_category", "business")
    # Province -> district -> commune pickers fill the commune code.
    page.select_option("#pick-province-commune", "70")
    page.select_option("#pick-district-commune", "696")
    page.select_option("#pick-commune-commune", "25396")
    page.fill("#id_address", "Số 8, đường Hùng Vương")
    page.fill("#id_contact_phone", "12")
    page.locator("main form button[type=submit]").click()
    # A wrong phone is explained next to the field, nothing else is lost.
    expect(page.locator("#field-contact_phone .error")).to_contain_text("không phải số điện thoại")
    expect(page.locator("#id_name")).to_have_value("Tiệm thuốc Tám Lê")
    page.fill("#id_contact_phone", "0903 123 456")
    page.locator("main form button[type=submit]").click()

    expect(page.locator("h1")).to_have_text("Tiệm thuốc Tám Lê")
    expect(page.locator(".status")).to_have_text("Chờ duyệt")  # Bình Phước requires approval
    venue = Venue.objects.get(name="Tiệm thuốc Tám Lê")
    assert venue.commune_id == "25396" and venue.status == Status.PENDING
    page.locator("header").get_by_role("button", name="Đăng xuất").click()

    page.goto(f"{demo}/login/")
    page.fill("#id_username", "xa")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{demo}/venues/?status=pending")
    page.get_by_role("link", name="Tiệm thuốc Tám Lê").click()
    page.get_by_role("button", name="Duyệt").click()
    expect(page.locator(".status")).to_have_text("Đang hoạt động")
    with page.expect_download() as download:
        page.get_by_role("link", name="In áp phích A4 (PDF)").click()
    assert download.value.suggested_filename == f"poster-{venue.pk}.pdf"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_owner_adds_a_guard_who_then_scans_visitors_in(page: Page, demo: str) -> None:
    """The owner lets a guard scan at the door; the guard's own sign-up alone did not."""
    from kiemdich.accounts.models import Role, User

    guard = User.objects.create_user(
        "+84903555666", password=PASSWORD, role=Role.VENUE_OWNER, first_name="Guard"
    )
    venue = Venue.objects.filter(owner__username="chudiem", status=Status.ACTIVE).first()
    page.goto(f"{demo}/login/")
    page.fill("#id_username", "chudiem")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{demo}/venues/{venue.pk}/")
    staff = page.locator("#staff")
    expect(staff).to_contain_text("Chưa có ai")
    staff.locator("#staff-login").fill("0909 999 999")
    staff.get_by_role("button", name="Thêm người trực").click()
    expect(page.locator(".messages")).to_contain_text("Không có tài khoản")
    page.locator("#staff-login").fill("0903 555 666")
    page.locator("#staff").get_by_role("button", name="Thêm người trực").click()
    expect(page.locator(".messages")).to_contain_text("+84903555666")
    expect(page.locator("#staff li")).to_contain_text("+84903555666")
    assert "Guard" not in page.locator("#staff").inner_text()  # the account's name is not shown
    assert venue.staff.filter(user=guard).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("header").get_by_role("button", name="Đăng xuất").click()

    page.goto(f"{demo}/login/")
    page.fill("#id_username", "+84903555666")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{demo}/venues/{venue.pk}/scanner/")
    expect(page.locator("main")).to_contain_text(venue.name)


def test_closing_asks_first_and_the_commune_officer_reopens(page: Page, demo: str) -> None:
    """The owner taps "Đóng hẳn": a page says what happens; "Không" keeps it open, "Xác nhận"
    closes it, and only the commune's officer can reopen it."""
    from .test_login import log_in

    venue = Venue.objects.filter(owner__username="chudiem", status=Status.ACTIVE).first()
    log_in(page, demo, "chudiem")
    page.goto(f"{demo}/venues/{venue.pk}/")
    page.get_by_role("button", name="Đóng hẳn").click()
    expect(page.locator(".confirm-action")).to_contain_text("Mã QR ngừng hoạt động")
    expect(page.locator(".confirm-action")).to_contain_text("chỉ cán bộ của Thị trấn Đức Phong")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    venue.refresh_from_db()
    assert venue.status == Status.ACTIVE  # asking changed nothing
    page.get_by_role("link", name="Không, giữ nguyên").click()
    expect(page.locator(".status")).to_have_text("Đang hoạt động")

    page.get_by_role("button", name="Đóng hẳn").click()
    page.get_by_role("button", name="Xác nhận: Đóng hẳn").click()
    expect(page.locator("#closed-note")).to_contain_text("Thị trấn Đức Phong")
    expect(page.get_by_role("button", name="Mở lại")).to_have_count(0)
    venue.refresh_from_db()
    assert venue.status == Status.CLOSED
    page.locator("header").get_by_role("button", name="Đăng xuất").click()

    log_in(page, demo, "xa")
    page.goto(f"{demo}/venues/{venue.pk}/")
    page.get_by_role("button", name="Mở lại").click()
    expect(page.locator(".status")).to_have_text("Đang hoạt động")
    venue.refresh_from_db()
    assert venue.status == Status.ACTIVE and venue.ended_at is None
