"""The clock as background work: booked every hour with the database backend, run from the
command otherwise."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from kiemdich.messaging.models import Message
from kiemdich.monitoring.tasks import monitoring_tick, next_hour, schedule_tick

from .conftest import START, enrol


def test_with_the_database_backend_the_clock_books_the_next_hour_once(binh_phuoc, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert schedule_tick() is not None and schedule_tick() is None
    booked = DBTaskResult.objects.get()
    assert booked.run_after == next_hour() and booked.run_after.minute == 0


def test_a_booked_run_reminds_as_of_its_hour(personas, people, settings):
    """The worker was late: the run booked for 08:00 still reminds An, whose hour is 08:00."""
    from django_tasks_db.models import DBTaskResult

    an = enrol(personas["commune"], people["an"])
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    booked = schedule_tick(START)
    assert timezone.localtime(DBTaskResult.objects.get().run_after).hour == 8
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = monitoring_tick.call(*booked.args)
    assert result["reminded"] == 1
    assert Message.objects.filter(key=f"monitoring:{an.pk}:2021-07-12").exists()


def test_the_command_runs_the_clock_at_a_given_time(personas, people, capsys):
    enrol(personas["commune"], people["an"])
    call_command("monitoring", "tick", "--at", (START + dt.timedelta(days=1, hours=1)).isoformat())
    out = capsys.readouterr().out
    assert "newly not reporting: 1" in out and "reminders due: 1" in out
