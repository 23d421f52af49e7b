"""The monitoring clock as background work (django-tasks; `kiemdich db_worker` runs it).

As the daily reports' deadline check (reports.tasks), there is no periodic scheduler: each run
books the next one at the top of the next hour. `kiemdich monitoring tick --schedule` starts the
chain once after deployment; without the database backend, cron runs `kiemdich monitoring tick`
every hour.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import default_task_backend, task

from .services import tick


def next_hour(now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def schedule_tick(now: dt.datetime | None = None):
    """Enqueue the next hour's run, unless the backend cannot defer (the in-process default)
    or one is already waiting. Returns the task result, or None if nothing was queued."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=monitoring_tick.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    due = next_hour(now)
    return monitoring_tick.using(run_after=due).enqueue(due.isoformat())


@task()
def monitoring_tick(due: str | None = None) -> dict:
    """The clock's work as of the booked hour `due` (ISO time; default: now), then the next
    booking. A failed run must not end the chain: tomorrow's reminders still go out."""
    try:
        when = dt.datetime.fromisoformat(due) if due else None
        return tick(when).as_dict()
    finally:
        schedule_tick()
