"""`kiemdich demo` puts about a hundred people of Bù Đăng under monitoring through the services,
so the dashboard, the commune's list and the work list show something from the start."""

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from kiemdich.demo.province import DEMO_MONITORED, load_demo, load_demo_monitoring
from kiemdich.geo.models import Unit
from kiemdich.messaging.models import Message
from kiemdich.monitoring import services, stats
from kiemdich.monitoring.models import CloseReason, Facility, FigureCount, Monitoring, State


def test_the_demo_shows_every_figure(db):
    load_demo()
    now = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(15)))
    assert load_demo_monitoring(now) == DEMO_MONITORED
    board = stats.dashboard(Unit.objects.get(code="696"), timezone.localdate(now))
    total = board.total
    assert 50 < total.under < DEMO_MONITORED
    assert total.reported_today > total.under / 2
    assert 0 < total.not_reporting < total.under / 4
    assert total.symptomatic >= 1 and total.ending_today >= 1
    assert {regime for regime, _label, n in board.by_regime if n} == {
        "centralized",
        "home_quarantine",
        "home_isolation",
        "self_monitoring",
    }
    facilities = services.with_occupancy(Facility.objects.all())
    assert len(facilities) == 2 and all(f.occupancy for f in facilities)
    assert Monitoring.objects.filter(state=State.CLOSED, close_reason=CloseReason.COMPLETED)
    silent = stats.follow_up(Monitoring.objects.all(), "not_reporting")
    assert silent.filter(commune_id="25396").exists()
    assert silent.filter(last_outcome="not_reached").count() == 1
    # The replayed days ran the clock before anyone's reminder hour: no old SMS queued.
    assert not Message.objects.filter(key__startswith="monitoring:").exists()
    kept = sorted(FigureCount.objects.values_list("commune_id", "regime", "figure", "day", "n"))
    services.recount()
    assert (
        sorted(FigureCount.objects.values_list("commune_id", "regime", "figure", "day", "n"))
        == kept
    )


def test_the_demo_command_loads_monitoring_once(db):
    call_command("demo", stdout=StringIO())
    enrolled = Monitoring.objects.count()
    call_command("demo", stdout=StringIO())
    assert Monitoring.objects.count() == enrolled == DEMO_MONITORED
