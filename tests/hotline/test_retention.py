"""The purge empties an old ticket's personal data and keeps what the statistics count."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from kiemdich.hotline import reading, services
from kiemdich.hotline.models import Ticket
from tests.hotline.test_clock import report


def test_old_resolved_tickets_are_scrubbed_and_still_counted(hotline, settings):
    settings.RETENTION_DAYS = 30
    now = timezone.now()
    old = services.receive(report(), now=now)
    services.resolve(old, hotline["health_member"], "Đã gọi lại cho chị B", now=now)
    Ticket.objects.filter(pk=old.pk).update(received_at=now - dt.timedelta(days=40))
    still_open = services.receive(report(), now=now)
    Ticket.objects.filter(pk=still_open.pk).update(received_at=now - dt.timedelta(days=40))
    fresh = services.receive(report(), now=now)
    services.rebuild_rollup()  # the two moved back around the services
    day = timezone.localdate(now - dt.timedelta(days=40))
    unit = hotline["health"].unit.parent
    before = reading.statistics(unit, day, day)
    call_command("retention", stdout=open("/dev/null", "w"))  # noqa: SIM115
    old.refresh_from_db()
    assert (old.caller_phone, old.description, old.location, old.scrubbed) == ("", "", "", True)
    assert not old.events.exists()
    assert old.outcome == "met" and old.agency == hotline["health"]
    for kept in (still_open, fresh):
        kept.refresh_from_db()
        assert kept.caller_phone == "+84912345678" and kept.events.exists()
    after = reading.statistics(unit, day, day)
    assert after["tickets"] == before["tickets"] == 2
    assert after["met"] == before["met"] == 1
