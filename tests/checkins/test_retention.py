"""The retention purge deletes personal data past its period and leaves the statistics alone."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiemdich.checkins.models import Checkin
from kiemdich.checkins.services import NewCheckin, record_checkins
from kiemdich.checkins.stats import checkpoint_table
from kiemdich.checkins.tasks import next_purge_time, purge_expired_data, schedule_purge
from kiemdich.declarations.models import Declaration, Person
from kiemdich.geo.models import Unit
from tests.venues.conftest import make_venue


def person_with_declaration(name: str, declared_at: dt.datetime) -> Person:
    person = Person.objects.create(full_name=name, phone="+84912345678")
    declaration = Declaration.objects.create(
        person=person,
        client_id=uuid.uuid4(),
        full_name=name,
        birth_year=1990,
        gender="male",
        phone=person.phone,
        commune_id="25396",
    )
    Declaration.objects.filter(pk=declaration.pk).update(created_at=declared_at)
    Person.objects.filter(pk=person.pk).update(created_at=declared_at)
    return person


@pytest.fixture
def history(binh_phuoc, settings):
    """Scans and declarations 40 days old (past a 30-day period) and 2 days old (kept)."""
    settings.RETENTION_DAYS = 30
    now = timezone.now()
    venue = make_venue()
    old, recent = now - dt.timedelta(days=40), now - dt.timedelta(days=2)
    gone = person_with_declaration("Người Cũ", old)
    kept = person_with_declaration("Người Mới", recent)
    record_checkins(
        [NewCheckin(uuid.uuid4(), venue.pk, old + dt.timedelta(minutes=i)) for i in range(5)]
        + [NewCheckin(uuid.uuid4(), venue.pk, recent)]
    )
    Checkin.objects.filter(t_in__lt=now - dt.timedelta(days=30)).update(person=gone)
    Checkin.objects.filter(t_in__gte=now - dt.timedelta(days=30)).update(person=kept)
    return now


def test_the_purge_deletes_old_personal_data_and_keeps_the_statistics(history, capsys):
    district = Unit.objects.get(code="696")
    before = checkpoint_table(district, timezone.localdate())
    call_command("retention")
    assert "Deleted 5 scans, 1 declarations and 1 people" in capsys.readouterr().out
    assert list(Person.objects.values_list("full_name", flat=True)) == ["Người Mới"]
    assert Checkin.objects.count() == 1 and Declaration.objects.count() == 1
    after = checkpoint_table(district, timezone.localdate())
    assert after.total.scans == before.total.scans == 6
    assert after.rows == before.rows


def test_the_daily_task_runs_in_process_by_default(history):
    result = purge_expired_data.enqueue()
    assert result.return_value["checkins"] == 5
    assert schedule_purge() is None  # the in-process backend cannot defer: use cron instead


def test_with_the_database_backend_the_purge_books_its_next_run_once(history, settings):
    from django_tasks_db.models import DBTaskResult

    # django-tasks re-reads TASKS when a test changes it (its setting_changed receiver).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first = schedule_purge()
    assert first is not None and schedule_purge() is None
    booked = DBTaskResult.objects.get()
    local = timezone.localtime(booked.run_after)
    assert (local.hour, local.minute) == (2, 0) and booked.run_after > timezone.now()
    assert booked.run_after == next_purge_time()
