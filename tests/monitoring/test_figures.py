"""The dashboard's figures and the follow-up list's filters say what the reports and alerts say.

The figures are counted from columns the services keep on each monitoring (the last report's
day, since when it is not reporting or symptomatic, the stored end), so a province is counted
from indexes instead of its daily reports (stats.py). Here hypothesis draws histories on a
driven clock (enrolments under each regime, reports by the person and by the team, symptoms,
calls that reach nobody, the hourly clock, transfers, closures, exposure going on or stopping)
and after each step the dashboard of the district and of the province, for today and tomorrow,
and each list of the commune, must equal the plain reading of the same history: reported today
is a report (not a "not reached" call) dated today, not reporting and symptomatic are an open
alert of that kind, ending today is an end on that local day. At the end, counting every
monitoring again (`kiemdich monitoring recount`) finds the counts the services kept.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.declarations.models import Person
from kiemdich.geo.models import Unit
from kiemdich.monitoring import services, stats
from kiemdich.monitoring.models import (
    Alert,
    AlertKind,
    CloseReason,
    DailyReport,
    Facility,
    FigureCount,
    Monitoring,
    Outcome,
    Regime,
    Reporter,
    State,
)

from .conftest import START

COMMUNES = ("25396", "25420")
PEOPLE = 5
REGIMES = [
    Regime.HOME_QUARANTINE,
    Regime.HOME_ISOLATION,
    Regime.SELF_MONITORING,
    Regime.CENTRALIZED,
]
#: Days from the last exposure to enrolment: the last ones end within a day or have ended.
EXPOSED_DAYS_AGO = [0, 6, 13, 14]
SHOWS = ("", "not_reported_today", "not_reporting", "symptomatic", "ending_today")
OUTCOMES = [Outcome.SEEN_WELL, Outcome.SEEN_UNWELL, Outcome.NOT_REACHED, Outcome.NOT_REACHED]
REASONS = [CloseReason.NEGATIVE, CloseReason.LOST, CloseReason.TRANSFERRED_OUT, CloseReason.LOST]

#: What a step does (some twice, to be drawn more often).
ACTIONS = [
    *("enrol", "enrol", "report", "report", "team", "tick", "tick"),
    *("transfer", "close", "exposure"),
]
steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, PEOPLE - 1),  # who
        st.integers(0, 30),  # hours the clock moves on first
        st.integers(0, 3),  # a choice: regime, symptoms, outcome, reason
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture
def world(personas):
    people = [
        Person.objects.create(
            full_name=f"Người {i}", phone=f"+8491200010{i}", commune_id=COMMUNES[i % 2]
        )
        for i in range(PEOPLE)
    ]
    facility = Facility.objects.create(name="Khu cách ly", commune_id="25396", capacity=2)
    return personas["province"], people, facility


def act(actor, people, facility, step, now: dt.datetime) -> None:
    kind, who, _hours, choice = step
    person = people[who]
    monitoring = Monitoring.objects.active().filter(person=person).first()
    try:
        if kind == "enrol":
            regime = REGIMES[choice]
            services.enrol(
                actor,
                person,
                regime=regime,
                exposure_at=now - dt.timedelta(days=EXPOSED_DAYS_AGO[choice], hours=choice),
                facility=facility if regime == Regime.CENTRALIZED else None,
                exposure_continues=choice == 1 and who == 0,
                source="manual",
                now=now,
            )
        elif kind == "tick":
            services.tick(now)
        elif monitoring is None:
            return
        elif kind == "report":
            services.record_report(
                monitoring,
                reporter=Reporter.SELF if choice < 2 else Reporter.HOUSEHOLD,
                symptoms=["cough"] if choice == 1 else [],
                temperature="38.5" if choice == 3 else "36.6",
                now=now,
            )
        elif kind == "team":
            outcome = OUTCOMES[choice]
            services.record_report(
                monitoring,
                reporter=Reporter.TEAM_VISIT,
                outcome=outcome,
                temperature=None if outcome == Outcome.NOT_REACHED else "36.9",
                recorded_by=actor,
                now=now,
            )
        elif kind == "transfer":
            other = Unit.objects.get(code=COMMUNES[monitoring.commune_id == COMMUNES[0]])
            transfer = services.request_transfer(actor, monitoring, other, now=now)
            if choice:
                services.accept_transfer(actor, transfer, now=now)
        elif kind == "close":
            services.close(actor, monitoring, REASONS[choice], now=now)
        elif kind == "exposure":
            services.set_exposure(
                actor,
                monitoring,
                continues=choice == 0,
                exposure_at=None if choice == 0 else now - dt.timedelta(days=13, hours=choice),
            )
    except (services.MonitoringError, services.MonitoringConflict):
        pass  # refused (a full facility, a transfer already waiting): nothing changed


def plainly(today: dt.date) -> dict[tuple[str, str], dict[str, int]]:
    """Each (commune, regime)'s figures read from the reports and the alerts themselves."""
    groups: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(stats.FIGURES, 0)
    )
    for m in Monitoring.objects.filter(state=State.ACTIVE):
        figures = groups[(m.commune_id, m.regime)]
        reported = list(DailyReport.objects.filter(monitoring=m, date=today))
        open_kinds = set(Alert.objects.open().filter(monitoring=m).values_list("kind", flat=True))
        figures["under"] += 1
        figures["reported_today"] += any(r.is_health_report for r in reported)
        figures["not_reporting"] += AlertKind.NOT_REPORTING in open_kinds
        figures["symptomatic"] += AlertKind.SYMPTOMATIC in open_kinds
        figures["ending_today"] += m.ends_at is not None and timezone.localdate(m.ends_at) == today
    return groups


def plain_list(show: str, today: dt.date) -> set[int]:
    """Who each follow-up list shows, by the same plain reading."""
    found = set()
    for m in Monitoring.objects.filter(state=State.ACTIVE):
        health = list(DailyReport.objects.filter(monitoring=m, date=today))
        open_kinds = set(Alert.objects.open().filter(monitoring=m).values_list("kind", flat=True))
        if {
            "": True,
            "not_reported_today": not any(r.is_health_report for r in health),
            "not_reporting": AlertKind.NOT_REPORTING in open_kinds,
            "symptomatic": AlertKind.SYMPTOMATIC in open_kinds,
            "ending_today": m.ends_at is not None and timezone.localdate(m.ends_at) == today,
        }[show]:
            found.add(m.pk)
    return found


def summed(groups, key) -> dict:
    sums: dict = defaultdict(lambda: [0] * len(stats.FIGURES))
    for group, figures in groups.items():
        for n, name in enumerate(stats.FIGURES):
            sums[key(group)][n] += figures[name]
    return {k: v for k, v in sums.items() if any(v)}


def check(now: dt.datetime) -> None:
    district, province = Unit.objects.get(code="696"), Unit.objects.get(code="70")
    for today in (timezone.localdate(now), timezone.localdate(now) + dt.timedelta(days=1)):
        groups = plainly(today)
        board = stats.dashboard(district, today)
        rows = {
            unit.code: figures.as_list() for unit, figures in board.rows if any(figures.as_list())
        }
        assert rows == summed(groups, lambda group: group[0])
        assert board.total.as_list() == summed(groups, lambda group: "all").get("all", [0] * 5)
        regimes = {value: n for value, _label, n in board.by_regime if n}
        assert regimes == {k: v[0] for k, v in summed(groups, lambda group: group[1]).items()}
        assert stats.dashboard(province, today).total == board.total
        for show in SHOWS:
            listed = stats.follow_up(Monitoring.objects.all(), show, today)
            assert set(listed.values_list("pk", flat=True)) == plain_list(show, today), show


def replay(world, drawn) -> None:
    actor, people, facility = world
    now = START
    with transaction.atomic():
        for step in drawn:
            now += dt.timedelta(hours=step[2])
            act(actor, people, facility, step, now)
            check(now)
        # Counting everything again (the command after a restore) finds what was kept.
        kept = counts()
        call_command("monitoring", "recount", stdout=StringIO())
        assert counts() == kept
        transaction.set_rollback(True)


def counts() -> list[tuple]:
    return sorted(
        FigureCount.objects.values_list("commune_id", "regime", "figure", "day", "n"),
        key=lambda row: (*row[:3], row[3] or dt.date.min),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=steps)
def test_the_figures_agree_with_the_reports_and_alerts(world, drawn):
    replay(world, drawn)


def test_a_history_with_every_figure_agrees(world):
    """A fixed history, so every figure is non-zero at some step whatever hypothesis draws."""
    replay(
        world,
        [
            ("enrol", 0, 0, 0),  # exposed now: 14 days to go
            ("enrol", 1, 0, 3),  # centralized, at the facility
            ("enrol", 2, 1, 0),
            ("enrol", 3, 0, 2),  # exposed 13 days ago: ends tomorrow
            ("report", 0, 1, 1),  # cough: symptomatic
            ("report", 1, 0, 0),
            ("tick", 0, 20, 0),  # 3 ends today: "ending today"
            ("tick", 0, 6, 0),  # 2 and 3 silent for a day: not reporting; 3 completed
            ("team", 2, 1, 2),  # not reached: still not reporting
            ("team", 0, 0, 0),  # seen well: the alerts resolved
            ("report", 1, 0, 3),  # fever at the facility
            ("transfer", 2, 0, 1),  # to Thống Nhất, accepted
            ("transfer", 0, 0, 0),  # waiting
            ("exposure", 1, 0, 2),  # the exposure stopped 13 days ago: ends within a day
            ("exposure", 0, 0, 0),  # goes on: no end
            ("tick", 0, 30, 0),  # 1 completed and closed
            ("close", 0, 0, 1),
        ],
    )
