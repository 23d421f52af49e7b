"""The periodic escalation check: booked by itself every few minutes, checking as of its time."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from kiemdich.hotline import services
from kiemdich.hotline.tasks import check_escalations, schedule_escalation_check
from kiemdich.messaging.models import Message
from tests.hotline.test_clock import at, report


def test_the_database_backend_books_the_next_check_once(binh_phuoc, settings):
    from django_tasks_db.models import DBTaskResult

    assert schedule_escalation_check() is None  # in process: run the command from cron
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    assert schedule_escalation_check(now) is not None
    assert schedule_escalation_check(now) is None
    assert DBTaskResult.objects.get().run_after == now + dt.timedelta(minutes=5)


def test_a_check_booked_for_02_sends_the_warning_whenever_it_runs(hotline):
    ticket = services.receive(report(received_at=at(3, 22)), now=at(3, 22))
    assert check_escalations.call(at(4, 2).isoformat()) == {
        "steps": 1,
        "messages": 2,
        "digests": 0,
    }
    assert check_escalations.call(at(4, 2).isoformat())["steps"] == 0
    assert Message.objects.filter(key__startswith=f"hotline:{ticket.pk}:80:").count() == 2


def test_the_command_checks_as_of_a_given_time(hotline, capsys):
    services.receive(report(received_at=at(3, 22)), now=at(3, 22))
    call_command("hotline", "escalations", "--at", "2026-12-04T03:00")
    assert "2 steps sent" in capsys.readouterr().out
