"""The hotline's background work (django-tasks; `kiemdich db_worker` runs it).

As with the report deadlines (reports.tasks) there is no periodic scheduler: the escalation
check enqueues its own next run HOTLINE_CHECK_EVERY minutes later. `kiemdich hotline escalations
--schedule` starts the chain once after deployment. Each run checks as of the time it was booked
for, so a worker that was down catches up on every step that fell due meanwhile (each still sent
once: services.escalate).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

from .services import escalate


def schedule_escalation_check(now: dt.datetime | None = None):
    """Enqueue the next check, unless the backend cannot defer (the in-process default) or one
    is already waiting. Returns the task result, or None if nothing was queued."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=check_escalations.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    due = (now or timezone.now()) + dt.timedelta(minutes=settings.HOTLINE_CHECK_EVERY)
    return check_escalations.using(run_after=due).enqueue(due.isoformat())


@task()
def check_escalations(due: str | None = None) -> dict:
    """Send the escalation steps fallen due by `due` (ISO time; default now), then book the
    next check, even if this one failed."""
    try:
        when = dt.datetime.fromisoformat(due) if due else None
        return escalate(when).as_dict()
    finally:
        schedule_escalation_check()
