"""Background work of the key server (django-tasks; `kiemdich db_worker` runs it).

As with the reports' deadline checks there is no periodic scheduler: each export run books the
next one for when the next hour is due (its end plus PROXIMITY_EXPORT_DELAY_MINUTES).
`kiemdich proximity export --schedule` starts the chain once after deployment; a cron line
running `kiemdich proximity export` every hour does the same work without a worker.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

from . import publishing


def next_run_time(now: dt.datetime | None = None) -> dt.datetime:
    """The next moment an hour becomes due: the end of an hour plus the delay, after `now`."""
    now = now or timezone.now()
    delay = dt.timedelta(minutes=settings.PROXIMITY_EXPORT_DELAY_MINUTES)
    return publishing.last_due_hour(now) + 2 * publishing.HOUR + delay


def schedule_export(now: dt.datetime | None = None):
    """Enqueue the next export run, unless the backend cannot defer (the in-process default)
    or one is already waiting. Returns the task result, or None if nothing was enqueued."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=publish_exports.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    return publish_exports.using(run_after=next_run_time(now)).enqueue()


@task()
def publish_exports() -> dict:
    """Publish the due hours, withdraw old files, rewrite the index; then book the next run,
    even after a failure (a full disk today must not stop tomorrow's files)."""
    try:
        return publishing.publish().as_dict()
    finally:
        schedule_export()
