"""The done-when test of issue 18: the clock driven over a 14-day home quarantine (no sleeping).

An is enrolled at 07:00 on 12 July with a reminder at 08:00. The clock runs every hour for 15
days; An reports on some days and not on others, once with a fever."""

import datetime as dt

from django.utils import timezone

from kiemdich.messaging.models import Message
from kiemdich.monitoring import services
from kiemdich.monitoring.models import Alert, AlertKind, CloseReason, Monitoring, Reporter, State

from .conftest import START, enrol

HOUR = dt.timedelta(hours=1)


def reminders_on(monitoring) -> list[str]:
    """The local days a reminder was queued for (the outbox key holds the day)."""
    keys = Message.objects.filter(key__startswith=f"monitoring:{monitoring.pk}:")
    return sorted(key.rsplit(":", 1)[1] for key in keys.values_list("key", flat=True))


def test_fourteen_days_of_home_quarantine(personas, people):
    an = enrol(personas["commune"], people["an"])
    assert an.ends_at == an.exposure_at + dt.timedelta(days=14)
    reports_on = {0: None, 1: None, 4: "38.4", 5: None}  # day index -> temperature (None: well)
    now = START
    not_reporting_from = []  # when An went onto the "not reporting" list
    station_alerted_at = None
    while now <= START + dt.timedelta(days=15):
        day = (timezone.localdate(now) - START.date()).days
        local = timezone.localtime(now)
        if day in reports_on and local.hour == 7:
            services.record_report(an, reporter=Reporter.SELF, temperature=reports_on[day], now=now)
            if reports_on[day]:
                station_alerted_at = now
        was_silent = an.not_reporting_since is not None
        services.tick(now)
        an.refresh_from_db()
        if an.not_reporting_since is not None and not was_silent:
            not_reporting_from.append(now)
        if an.state == State.CLOSED:
            break
        now += HOUR
    # One reminder a day at 08:00, only on days without a report, until the period ended.
    reported_days = {(START.date() + dt.timedelta(days=d)).isoformat() for d in reports_on}
    expected = [
        (START.date() + dt.timedelta(days=d)).isoformat()
        for d in range(14)
        if (START.date() + dt.timedelta(days=d)).isoformat() not in reported_days
    ]
    assert reminders_on(an) == expected
    first = Message.objects.get(key=f"monitoring:{an.pk}:{expected[0]}")
    assert "/monitoring/r/" in first.body and first.to == "+84912000001"
    # Reports at 07:00 on days 0, 1, 4, 5: "not reporting" exactly 24 hours after the last
    # one (days 2 and 6), each time with a task for the team; a report takes them off the list.
    assert not_reporting_from == [START + dt.timedelta(days=2), START + dt.timedelta(days=6)]
    tasks = Alert.objects.filter(monitoring=an, kind=AlertKind.NOT_REPORTING)
    assert sorted(a.raised_at for a in tasks) == not_reporting_from
    # The fever on day 4 put An on the station's list at once.
    symptomatic = Alert.objects.get(monitoring=an, kind=AlertKind.SYMPTOMATIC)
    assert symptomatic.raised_at == station_alerted_at
    # The period ended 14 days after the last exposure and the monitoring closed with it.
    assert an.state == State.CLOSED and an.close_reason == CloseReason.COMPLETED
    assert an.closed_at == an.exposure_at + dt.timedelta(days=14) == an.ends_at
    assert not Alert.objects.open().filter(monitoring=an).exists()


def test_running_the_clock_twice_changes_nothing(personas, people):
    an = enrol(personas["commune"], people["an"])
    at = START + dt.timedelta(days=1, hours=2)  # 09:00 the next day, 26 hours without a report
    first = services.tick(at)
    assert (first.not_reporting, Message.objects.count()) == (1, 1)
    again = services.tick(at + dt.timedelta(minutes=30))
    assert again.not_reporting == 0
    assert Message.objects.count() == 1
    assert Alert.objects.open().filter(monitoring=an, kind=AlertKind.NOT_REPORTING).count() == 1


def test_a_team_visit_resolves_the_task_and_shows_its_outcome(personas, people):
    an = enrol(personas["commune"], people["an"])
    later = START + dt.timedelta(days=1, hours=1)
    services.tick(later)
    services.record_report(
        an,
        reporter=Reporter.TEAM_VISIT,
        outcome="not_reached",
        recorded_by=personas["commune"],
        now=later,
    )
    an.refresh_from_db()
    assert an.not_reporting_since is not None and an.last_outcome == "not_reached"
    services.record_report(
        an,
        reporter=Reporter.TEAM_VISIT,
        outcome="seen_well",
        temperature="36.6",
        recorded_by=personas["commune"],
        now=later + HOUR,
    )
    an.refresh_from_db()
    assert an.not_reporting_since is None and an.last_outcome == "seen_well"
    assert not Alert.objects.open().filter(monitoring=an).exists()


def test_continuing_exposure_keeps_it_open(personas, people):
    an = enrol(personas["commune"], people["an"], exposure_continues=True)
    assert an.ends_at is None
    services.tick(START + dt.timedelta(days=30))
    an.refresh_from_db()
    assert an.state == State.ACTIVE
    stopped = START + dt.timedelta(days=20)
    services.set_exposure(personas["commune"], an, continues=False, exposure_at=stopped)
    services.tick(stopped + dt.timedelta(days=14))
    assert Monitoring.objects.get(pk=an.pk).close_reason == CloseReason.COMPLETED
