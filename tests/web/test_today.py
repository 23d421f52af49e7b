"""The "Hôm nay" (Today) pages: the bulletin's figures against a hand-built day, the to-dos of
each official, the start pages of owners and citizens, the unit pages' breadcrumbs, and the
number of queries, which must not grow with the number of communes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiemdich.accounts.models import Role
from kiemdich.adoption.models import InstallFigure
from kiemdich.checkins.models import Checkin
from kiemdich.checkins.stats import local_midnight
from kiemdich.checkins.storing import bump_daily
from kiemdich.declarations.cookies import PERSON_COOKIE, person_token
from kiemdich.declarations.models import Person
from kiemdich.geo.models import Level, Unit, UnitStat
from kiemdich.reports import services as reports
from kiemdich.tracing.models import Case, Contact
from kiemdich.venues.models import Status
from kiemdich.web import today
from tests.conftest import make_user
from tests.venues.conftest import make_venue


def moment_today() -> dt.datetime:
    """An instant of today (local) already past, whatever the hour the test runs."""
    start = local_midnight(timezone.localdate())
    return start + (timezone.now() - start) / 2


def visit(venue, person, at: dt.datetime) -> Checkin:
    """A stored visit counted in its commune's day, as every scan path counts it."""
    checkin = Checkin.objects.create(
        client_id=uuid.uuid4(), venue=venue, person=person, method="self", t_in=at
    )
    bump_daily(Counter({(venue.commune_id, timezone.localdate(at)): 1}))
    return checkin


def at_local(day: dt.date, hour: int) -> dt.datetime:
    return local_midnight(day) + dt.timedelta(hours=hour)


@pytest.fixture
def day(personas):
    """Bù Đăng (696) today: Đức Phong (25396) and Thống Nhất (25420) have scans, no other
    commune does; one checkpoint is new today, one waits for approval, one closed yesterday."""
    now = moment_today()
    date = timezone.localdate()
    yesterday = now - dt.timedelta(days=1)
    week_ago = now - dt.timedelta(days=7)
    shop = make_venue(
        name="Tạp hóa Minh Phương", owner=personas["venue_owner"], activated_at=week_ago
    )
    new = make_venue(name="Quán cơm Hồng Nhung", activated_at=local_midnight(date))
    make_venue(name="Nhà trọ chờ duyệt", status=Status.PENDING)
    make_venue(name="Quán đã đóng", status=Status.CLOSED, activated_at=week_ago, ended_at=yesterday)
    farm = make_venue(commune="25420", name="Cửa hàng Thống Nhất", activated_at=week_ago)
    an = Person.objects.create(full_name="Nguyễn Văn An", phone="+84912000001", commune_id="25396")
    binh = Person.objects.create(
        full_name="Trần Thị Bình", phone="+84912000002", commune_id="25396"
    )
    for who in (an, an, binh):
        visit(shop, who, now)
    visit(farm, None, now)  # a typed-in visitor nobody knows again: a scan, not a person
    for _n in range(5):
        visit(shop, an, yesterday)
    return {"shop": shop, "new": new, "farm": farm, "an": an, "binh": binh, "date": date}


def test_the_bulletin_counts_the_day(day):
    bulletin = today.bulletin(Unit.objects.get(code="696"), day["date"])
    a = bulletin.activity
    assert (a.checkpoints, a.new_checkpoints, a.scanned_checkpoints) == (3, 1, 2)
    assert (a.scans, a.people) == (4, 2)
    assert a.scans_by_commune == {"25396": 3, "25420": 1}

    communes = Unit.objects.filter(parent_id="696").count()
    quiet = bulletin.quiet
    assert quiet.communes == communes and quiet.total == communes - 2
    assert len(quiet.shown) == today.QUIET_SHOWN and quiet.more == quiet.total - today.QUIET_SHOWN
    named = {code for code, _name in quiet.shown}
    assert not named & {"25396", "25420"}
    everyone = today.bulletin(Unit.objects.get(code="696"), day["date"], quiet_limit=None).quiet
    assert len(everyone.shown) == everyone.total and everyone.more == 0


def test_a_commune_bulletin_and_yesterday(day):
    commune = Unit.objects.get(code="25396")
    a = today.bulletin(commune, day["date"]).activity
    assert (a.checkpoints, a.new_checkpoints, a.scanned_checkpoints, a.scans, a.people) == (
        2,
        1,
        1,
        3,
        2,
    )
    yesterday = today.bulletin(commune, day["date"] - dt.timedelta(days=1))
    assert yesterday.activity.scans == 5 and yesterday.activity.people == 1
    # Closed during yesterday: no longer counted that day (`counted_on`), but the day before;
    # the one new today was not yet.
    assert yesterday.activity.checkpoints == 1 and yesterday.activity.new_checkpoints == 0
    before = today.bulletin(commune, day["date"] - dt.timedelta(days=2)).activity
    assert before.checkpoints == 2 and before.scans == 0
    assert yesterday.quiet.total == 0  # a commune's list is itself, scanned


def test_installs_rate_and_new_installs(day):
    date = day["date"]
    UnitStat.objects.create(unit_id="696", date=date - dt.timedelta(days=30), smartphone_users=4000)
    InstallFigure.objects.create(unit_id="696", date=date - dt.timedelta(days=1), installs=1000)
    InstallFigure.objects.create(unit_id="696", date=date, installs=1040)
    InstallFigure.objects.create(unit_id="25396", date=date, installs=300)
    district = today.install_figures(Unit.objects.get(code="696"), date)
    assert (district.installs, district.smartphone_users, str(district.rate), district.new) == (
        1040,
        4000,
        "26.00",
        40,
    )
    # A carrier's first file is not a day's growth: unknown, as the dashboard's pace says.
    assert today.install_figures(Unit.objects.get(code="25396"), date).new is None


@pytest.fixture
def tracing_day(day):
    date = day["date"]
    an, binh = day["an"], day["binh"]
    window = {"infectious_from": at_local(date, 0) - dt.timedelta(days=2)}
    window["infectious_to"] = window["infectious_from"] + dt.timedelta(days=3)
    fresh = Case.objects.create(person=an, unit_id="25396", confirmed_at=moment_today(), **window)
    old = Case.objects.create(
        person=binh, unit_id="25420", confirmed_at=moment_today() - dt.timedelta(days=3), **window
    )
    together = {"overlap_from": window["infectious_from"], "overlap_to": window["infectious_to"]}
    others = [
        Person.objects.create(full_name=f"Người {n}", phone=f"+8491200010{n}", commune_id=c)
        for n, c in enumerate(("25396", "25396", "25420"))
    ]
    for person, case, status in zip(
        others, (fresh, fresh, old), ("not_reached", "reached", "not_reached"), strict=True
    ):
        Contact.objects.create(
            case=case,
            person=person,
            degree=1,
            source=case.person,
            venue=day["shop"],
            commune_id=person.commune_id,
            status=status,
            **together,
        )


def test_tracing_todos_are_counts_for_tracing_roles_only(personas, tracing_day):
    date = timezone.localdate()

    def counts(role, code):
        todo = today.tracing_todo(personas[role], Unit.objects.get(code=code), date)
        return todo and (todo.new_cases, todo.not_reached)

    assert counts("tracer", "696") == (1, 2)
    assert counts("district", "696") == (1, 2)
    assert counts("commune", "25396") == (1, 1)
    assert counts("other_commune", "25420") == (0, 1)  # its case was confirmed three days ago
    assert today.tracing_todo(personas["citizen"], Unit.objects.get(code="696"), date) is None


def test_report_todos_follow_the_reports_rules(personas, day):
    date = day["date"]
    morning, evening = at_local(date, 10), at_local(date, 17)
    commune, district = Unit.objects.get(code="25396"), Unit.objects.get(code="696")

    own = today.report_todo(personas["commune"], commune, morning)
    assert own.own_due == reports.deadline(Level.COMMUNE, date) and own.own_state == "waiting"
    assert own.children_due is None and own.not_sent == []
    assert today.report_todo(personas["commune"], commune, evening).overdue

    reports.submit(personas["commune"], commune, date, reports.Figures(installs=5), now=morning)
    assert today.report_todo(personas["commune"], commune, evening).own_sent

    view = today.report_todo(personas["district"], district, morning)
    assert view.own_due == reports.deadline(Level.DISTRICT, date)
    assert view.expected == 2
    assert [(u.code, state) for u, state in view.not_sent] == [("25420", "waiting")]
    late = today.report_todo(personas["district"], district, evening)
    assert [(u.code, state) for u, state in late.not_sent] == [("25420", "missing")]
    # The tracer reads who is missing but sends nothing.
    tracer = today.report_todo(personas["tracer"], district, morning)
    assert tracer.own_due is None and len(tracer.not_sent) == 1

    province = today.report_todo(personas["province"], Unit.objects.get(code="70"), evening)
    assert province.own_due is None  # a province answers to no one here
    assert {u.code for u, _s in province.not_sent} == {"696", "692"}


def test_pending_approvals_for_officers_of_the_area(personas, day):
    def pending(role, code):
        return today.pending_approvals(personas[role], Unit.objects.get(code=code))

    assert pending("commune", "25396") == 1
    assert pending("district", "696") == 1
    assert pending("province", "70") == 1
    assert pending("other_commune", "25420") == 0
    assert pending("tracer", "696") is None  # tracers approve nothing


def test_queries_do_not_grow_with_the_communes(personas, day, tracing_day):
    """Thirty more communes under Bù Đăng, each with an officer, a checkpoint and scans today,
    cost the bulletin and the to-dos not one query more; nor does a province of 111 communes."""
    date = day["date"]

    def cost(role, code):
        unit = Unit.objects.get(code=code)
        with CaptureQueriesContext(connection) as bulletin_queries:
            today.bulletin(unit, date)
        with CaptureQueriesContext(connection) as todo_queries:
            today.todos(personas[role], unit)
        return len(bulletin_queries), len(todo_queries)

    before = cost("district", "696")
    for n in range(30):
        code = f"990{n:02d}"
        Unit.objects.create(
            code=code,
            name=f"Xã Thử {n}",
            full_name=f"Xã Thử {n}",
            kind="xa",
            level=Level.COMMUNE,
            parent_id="696",
            path=f"70/696/{code}/",
            slug=f"xa-thu-{n}",
        )
        make_user(f"xa_thu_{n}", Role.COMMUNE_OFFICER, code)
        visit(
            make_venue(commune=code, activated_at=timezone.now() - dt.timedelta(days=3)),
            day["an"],
            moment_today(),
        )
    assert cost("district", "696") == before
    province = cost("province", "70")
    assert province[0] == before[0] and province[1] <= before[1]
    assert sum(before) <= 24


# --- pages ----------------------------------------------------------------------------------


def page(client, user, path="/"):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_district_official_lands_on_today(client, personas, day, tracing_day):
    html = page(client, personas["district"])
    assert "<h1>Hôm nay, " in html and "Bản tin ngày" in html
    assert 'id="fig-scans"' in html and "?unit=696&amp;date=" in html
    assert "Xã Thống Nhất" in html and "chưa gửi báo cáo hôm nay" in html  # the 2 communes' one
    assert "điểm kiểm dịch chờ duyệt" in html and 'href="/venues/?status=pending"' in html
    assert "1 ca bệnh (F0) mới hôm nay" in html and "2 người tiếp xúc chưa liên lạc được" in html
    assert "Nguyễn Văn An" not in html and "Người 0" not in html  # counts, never names
    assert "xã, phường, thị trấn chưa có lượt quét hôm nay" in html and 'id="quiet-more"' in html
    assert 'data-unit="25396"' not in html.split('id="quiet"')[1]
    stable = page(client, personas["district"], "/today/")
    assert (
        stable.split('id="quiet"')[0].split("<main>")[1]
        == html.split('id="quiet"')[0].split("<main>")[1]
    )
    everyone = page(client, personas["district"], "/?quiet=all")
    assert 'id="quiet-more"' not in everyone
    assert everyone.count('<li data-unit="') == Unit.objects.filter(parent_id="696").count() - 2


def test_commune_official_sees_their_own_report_due(client, personas, day):
    html = page(client, personas["commune"])
    # "Gửi báo cáo hôm nay trước 15:00", or after 15:00 "Báo cáo hôm nay đã quá hạn"
    assert 'id="todo-own-report"' in html and "báo cáo hôm nay" in html.lower()
    assert 'id="todo-units-reports"' not in html  # a commune has nobody under it
    assert 'id="quiet"' not in html  # nor a list of communes


def test_province_official_and_an_empty_area(client, personas):
    html = page(client, personas["province"])
    assert "Địa bàn chưa có điểm kiểm dịch nào." in html
    assert "Không có điểm kiểm dịch nào chờ duyệt." in html
    assert "Huyện Bù Đăng" in html and "Huyện Lộc Ninh" in html  # the districts not reported


def test_all_reports_in(client, personas, day):
    date = day["date"]
    for role, code in (("commune", "25396"), ("other_commune", "25420")):
        reports.submit(personas[role], Unit.objects.get(code=code), date, reports.Figures())
    html = page(client, personas["district"])
    assert "Mọi đơn vị đã gửi báo cáo hôm nay." in html


def test_venue_owner_sees_their_checkpoints_today(client, personas, day):
    html = page(client, personas["venue_owner"])
    card = html.split(f'data-venue="{day["shop"].pk}"')[1].split("</li>")[0]
    assert "Tạp hóa Minh Phương" in card and "3 lượt vào hôm nay" in card
    assert f"/api/v1/venues/{day['shop'].pk}/poster.pdf" in card
    assert f"/venues/{day['shop'].pk}/scanner/" in card
    assert "Quán cơm Hồng Nhung" not in html  # not theirs
    assert "Bản tin" not in html


def test_citizen_start_page_with_and_without_a_declaration(client, personas, day):
    html = page(client, personas["citizen"])
    assert "Bạn chưa khai báo trên điện thoại này." in html
    assert 'href="/declare/">Khai báo y tế</a>' in html  # in the nav and as the page's button
    client.cookies[PERSON_COOKIE] = person_token(day["an"])
    html = page(client, personas["citizen"])
    assert "Nguyễn Văn An" in html and 'id="personal-qr"' in html
    assert "Tạp hóa Minh Phương" in html  # their own visits


def test_anonymous_phone_that_declared_gets_its_start_page(client, day):
    assert "Khai báo y tế" in client.get("/").content.decode()
    client.cookies[PERSON_COOKIE] = person_token(day["binh"])
    html = client.get("/").content.decode()
    assert "Trần Thị Bình" in html and 'id="personal-qr"' in html and "Tạp hóa Minh Phương" in html
    assert client.get("/today/")["Location"].startswith("/login/")


def test_unit_pages_show_the_bulletin_and_link_only_units_one_may_see(client, personas, day):
    html = page(client, personas["commune"], "/units/25396/")
    assert 'id="bulletin"' in html and "Dân số" in html
    assert 'href="/units/696/"' not in html and "<span>Huyện Bù Đăng</span>" in html
    html = page(client, personas["district"], "/units/25396/")
    assert 'href="/units/696/">Huyện Bù Đăng</a>' in html
    assert 'href="/units/70/"' not in html and "<span>Tỉnh Bình Phước</span>" in html
    html = page(client, personas["district"], "/units/696/")
    assert 'id="quiet"' in html and 'id="fig-checkpoints"' in html


def test_today_in_english(client, personas, day):
    client.force_login(personas["district"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "<h1>Today, " in html and "To do" in html and "Bulletin of" in html
    assert "communes with no scan today" in html and "checkpoint waiting for approval" in html
