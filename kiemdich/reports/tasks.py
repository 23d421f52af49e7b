"""Background work of the daily reports (django-tasks; `kiemdich db_worker` runs it).

As with the nightly purge (checkins.tasks) there is no periodic scheduler: the deadline check
enqueues its own next run for the next deadline (15:00 for communes, 16:00 for districts, local
time). `kiemdich reports deadlines --schedule` starts the chain once after deployment.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import default_task_backend, task

from .services import check_deadlines, next_deadline


def schedule_deadline_check(now: dt.datetime | None = None):
    """Enqueue the check for the next deadline, unless the backend cannot defer (the in-process
    default) or one is already waiting. Returns the task result, or None if nothing was queued."""
    if not default_task_backend.supports_defer:
        return None
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=check_report_deadlines.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return None
    due = next_deadline(now)
    return check_report_deadlines.using(run_after=due).enqueue(due.isoformat())


@task()
def check_report_deadlines(due: str | None = None) -> dict:
    """Flag and remind the units that missed the deadline `due` (ISO time; default: now), then
    book the next check. Checking as of the booked deadline, not of the time the worker gets to
    it, means a worker that was down at 15:00 and 16:00 still flags yesterday's missing reports
    when it is back in the morning."""
    try:
        when = dt.datetime.fromisoformat(due) if due else None
        return check_deadlines(when).as_dict()
    finally:  # a failed check must not end the chain: tomorrow's deadlines still get checked
        schedule_deadline_check()
