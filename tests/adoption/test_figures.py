"""A unit's install count: its imported figure, else its children's sum; installs that apps
register count once, uninstalls take them off; the pace towards the target."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kiemdich.adoption import figures
from kiemdich.adoption.installs import Outcome, register
from kiemdich.adoption.models import InstallDay, InstallFigure, Target
from kiemdich.geo.models import Unit, UnitStat

DAY = dt.date(2021, 7, 12)
DUC_PHONG, THONG_NHAT, MINH_HUNG = "25396", "25420", "25408"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def bu_dang(binh_phuoc) -> Unit:
    for code, phones in [(DUC_PHONG, 4000), (THONG_NHAT, 3000), (MINH_HUNG, 2000)]:
        UnitStat.objects.create(unit_id=code, date=dt.date(2021, 1, 1), smartphone_users=phones)
    return Unit.objects.get(code="696")


def target_for(unit: Unit, date: dt.date):
    return figures.targets_for({unit.code: unit.path}, date)[unit.code]


def row(board: figures.Dashboard, code: str) -> figures.Row:
    return next(r for r in board.rows if r.code == code)


def install(n: int, commune: str, day: dt.date, app: str = "bluezone") -> None:
    unit = Unit.objects.get(code=commune)
    for i in range(n):
        register(
            app=app, install_id=f"{commune}-{day}-{i}", platform="android", commune=unit, at=at(day)
        )


def test_registered_installs_add_up_from_communes_to_the_province(bu_dang):
    install(3, DUC_PHONG, DAY - dt.timedelta(days=40))  # long before the trend window
    install(2, DUC_PHONG, DAY)
    install(5, THONG_NHAT, DAY - dt.timedelta(days=1))
    install(7, MINH_HUNG, DAY + dt.timedelta(days=1))  # after the day shown: not counted

    board = figures.dashboard(bu_dang, DAY)
    assert row(board, DUC_PHONG).installs == 5
    assert row(board, THONG_NHAT).installs == 5
    assert row(board, MINH_HUNG).installs == 0
    assert board.total.installs == 10 and not board.total.imported
    assert board.total.smartphone_users == 9000  # no figure of its own: the communes' sum
    assert board.total.rate == Decimal("0.11")  # 10 / 9000 = 0.111%
    assert row(board, DUC_PHONG).history[-2:] == [3, 5]
    province = figures.dashboard(Unit.objects.get(code="70"), DAY)
    assert row(province, "696").installs == 10 and province.total.installs == 10


def test_repeats_and_uninstalls_do_not_inflate_the_count(bu_dang):
    commune = Unit.objects.get(code=DUC_PHONG)

    def send(uninstalled: bool = False, day: dt.date = DAY) -> Outcome:
        return register(
            app="bluezone",
            install_id="phone-1",
            platform="ios",
            commune=commune,
            uninstalled=uninstalled,
            at=at(day),
        ).outcome

    assert send() == Outcome.COUNTED
    assert send() == Outcome.UNCHANGED  # the app retried
    assert figures.dashboard(bu_dang, DAY).total.installs == 1
    later = DAY + dt.timedelta(days=2)
    assert send(uninstalled=True, day=later) == Outcome.REMOVED
    assert send(uninstalled=True, day=later) == Outcome.UNCHANGED
    assert figures.dashboard(bu_dang, later).total.installs == 0
    assert figures.dashboard(bu_dang, DAY).total.installs == 1  # history is kept per day
    assert send(day=later) == Outcome.COUNTED  # reinstalled
    assert figures.dashboard(bu_dang, later).total.installs == 1
    # The same install id in another app is another install.
    register(app="pc-covid", install_id="phone-1", platform="ios", commune=commune, at=at(DAY))
    assert figures.dashboard(bu_dang, later).total.installs == 2
    assert InstallDay.objects.get(unit=commune, date=later).removed == 1


def test_an_imported_figure_wins_over_the_sum_and_holds_until_the_next(bu_dang):
    install(4, DUC_PHONG, DAY - dt.timedelta(days=3))
    InstallFigure.objects.create(unit_id="696", date=DAY - dt.timedelta(days=2), installs=5000)
    InstallFigure.objects.create(unit_id=THONG_NHAT, date=DAY, installs=1200)

    board = figures.dashboard(bu_dang, DAY)
    assert board.total.installs == 5000 and board.total.imported  # carried from two days ago
    assert row(board, THONG_NHAT).installs == 1200 and row(board, THONG_NHAT).imported
    assert row(board, DUC_PHONG).installs == 4 and not row(board, DUC_PHONG).imported
    # Before the district's first file, it is the sum of its communes.
    assert board.total.history[-4] == 4
    assert board.total.history[-2:] == [5000, 5000]
    # The province sums its districts: Bù Đăng counts with its imported figure.
    province = figures.dashboard(Unit.objects.get(code="70"), DAY)
    assert province.total.installs == 5000


def test_pace_gap_and_dates_against_the_target(bu_dang):
    Target.objects.create(name="60%", unit_id="70", threshold=60, deadline=DAY + dt.timedelta(10))
    for back, count in [(7, 1000), (0, 1700)]:
        InstallFigure.objects.create(
            unit_id=DUC_PHONG, date=DAY - dt.timedelta(days=back), installs=count
        )
    board = figures.dashboard(bu_dang, DAY)
    assert board.target.name == "60%"
    pace = row(board, DUC_PHONG).pace
    # 60% of 4,000 = 2,400; 700 missing; 100 a day over 7 days -> 7 more days; 10 days left.
    assert (pace.gap, pace.per_day) == (700, 100.0)
    assert pace.reaches_on == DAY + dt.timedelta(days=7)
    assert pace.needed_per_day == 64  # 700 over the 11 days up to and including the deadline
    on_the_day = figures.dashboard(bu_dang, DAY + dt.timedelta(days=10))
    assert row(on_the_day, DUC_PHONG).pace.needed_per_day == 700
    assert row(board, MINH_HUNG).pace.reaches_on is None  # not moving
    after = figures.dashboard(bu_dang, DAY + dt.timedelta(days=11))
    # Thống Nhất's first file (after only registered installs) is not a week's growth.
    InstallFigure.objects.create(unit_id=THONG_NHAT, date=DAY, installs=900)
    first = row(figures.dashboard(bu_dang, DAY), THONG_NHAT).pace
    assert (first.gap, first.per_day, first.reaches_on) == (900, None, None)
    assert row(after, DUC_PHONG).pace.needed_per_day is None  # the deadline has passed


def test_the_nearest_covering_target_applies(bu_dang):
    assert target_for(bu_dang, DAY) is None
    Target.objects.create(name="old", unit_id="70", threshold=50, deadline=dt.date(2021, 6, 1))
    assert target_for(bu_dang, DAY).name == "old"  # passed, but the last one
    Target.objects.create(name="next", unit_id="696", threshold=60, deadline=dt.date(2021, 8, 1))
    Target.objects.create(name="far", unit_id="70", threshold=80, deadline=dt.date(2021, 12, 1))
    Target.objects.create(name="other", unit_id="692", threshold=70, deadline=dt.date(2021, 7, 20))
    assert target_for(bu_dang, DAY).name == "next"
    assert target_for(Unit.objects.get(code="692"), DAY).name == "other"
    # Each row is measured against its own target: Bù Đăng's 60% on the province's table too.
    Target.objects.create(name="district", unit_id="696", threshold=90, deadline="2021-12-01")
    province = figures.dashboard(Unit.objects.get(code="70"), DAY)
    assert province.target.name == "far"
    assert row(province, "696").target.name == "next"
    assert row(province, "692").target.name == "other"
    assert row(province, "688").target.name == "far"
    # With the same deadline ("far" and "district"), the more specific area wins.
    later = dt.date(2021, 8, 2)  # "next" has passed
    assert target_for(Unit.objects.get(code=DUC_PHONG), later).name == "district"
    assert target_for(Unit.objects.get(code="692"), later).name == "far"


def test_a_few_queries_whatever_the_number_of_units(bu_dang, django_assert_max_num_queries):
    install(2, DUC_PHONG, DAY)
    with django_assert_max_num_queries(10):
        figures.dashboard(Unit.objects.get(code="70"), DAY)


def test_rate_rounds_half_up_to_two_decimals():
    assert figures.rate(40015, 100000) == Decimal("40.02")
    assert figures.rate(1, 3) == Decimal("33.33")
    assert figures.rate(5, 0) is None and figures.rate(5, None) is None
