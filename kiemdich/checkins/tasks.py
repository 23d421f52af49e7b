"""Background work of the scans app (django-tasks; `kiemdich db_worker` runs it in production).

There is no periodic scheduler: the daily purge enqueues its own next run for 02:00 local time,
when scans are fewest. `kiemdich retention --schedule` starts the chain once after deployment.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import default_task_backend, task

from .retention import purge_expired

#: Local hour of the daily purge.
PURGE_HOUR = 2


def next_purge_time(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    run = local.replace(hour=PURGE_HOUR, minute=0, second=0, microsecond=0)
    return run if run > local else run + dt.timedelta(days=1)


def schedule_purge(now: dt.datetime | None = None):
    """Enqueue the next daily purge, unless the backend cannot defer (the in-process default)
    or one is already waiting. Returns the task result, or None if nothing was enqueued."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=purge_expired_data.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    return purge_expired_data.using(run_after=next_purge_time(now)).enqueue()


@task()
def purge_expired_data() -> dict:
    """Delete expired scans, declarations and people, then book tomorrow's run."""
    report = purge_expired()
    schedule_purge()
    return report.as_dict()
