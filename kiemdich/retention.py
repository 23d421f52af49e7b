"""What the retention purge deletes, table by table, gathered from every app.

Each app that stores personal data says what of it has expired in its own `retention.py`: a list
`EXPIRIES` of `Expiry` (a label for the report, the model, the query of expired rows at a cutoff,
the order to run in). `purge(cutoff)` runs them all in order and in chunks (a purge of millions
of rows never holds one long transaction), then the framework's tables below: expired sessions,
the admin log's entries about the purged models, finished background-task results. People go
last, once nothing refers to them any more. `tests/test_retention_covers_every_model.py` walks
every installed model and fails for one with personal fields that nothing here purges and that
is not in its reviewed list of exemptions.

This module imports no app: apps register by having `retention.py`, so dependencies still run one
way (DESIGN.md §2).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

CHUNK = 20_000

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Expiry:
    """One table's personal data past its period.

    `expired(cutoff)` is the query of rows to delete. `delete(ids)`, if given, deletes a chunk
    itself (e.g. keeping counts first); otherwise the rows are deleted by primary key."""

    label: str
    model: type[models.Model]
    expired: Callable[[dt.datetime], QuerySet]
    order: int = 50
    chunk: int = CHUNK
    delete: Callable[[list], None] | None = None


def expiries() -> list[Expiry]:
    """Every app's `EXPIRIES`, then the framework's, in run order."""
    found: list[Expiry] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.retention")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.retention":
                raise
            continue
        found.extend(getattr(module, "EXPIRIES", ()))
    found.extend(framework_expiries())
    return sorted(found, key=lambda e: e.order)


def purged_models() -> set[type[models.Model]]:
    return {expiry.model for expiry in expiries()}


def delete_in_chunks(expiry: Expiry, cutoff: dt.datetime, progress: Progress) -> int:
    total = 0
    qs = expiry.expired(cutoff)
    while True:
        ids = list(qs.values_list("pk", flat=True)[: expiry.chunk])
        if not ids:
            return total
        with transaction.atomic():
            if expiry.delete is not None:
                expiry.delete(ids)
            else:
                expiry.model._default_manager.filter(pk__in=ids).delete()
        total += len(ids)
        progress(len(ids))


def purge(cutoff: dt.datetime, progress: Progress = lambda n: None) -> dict[str, int]:
    """Delete every expired row of every registered table; rows deleted per label."""
    counts: dict[str, int] = {}
    for expiry in expiries():
        counts[expiry.label] = counts.get(expiry.label, 0) + delete_in_chunks(
            expiry, cutoff, progress
        )
    return counts


def unreferenced(model: type[models.Model]) -> models.Q:
    """Rows of `model` that no row of any other table points to (every foreign key, hidden
    reverse relations included): a person left with no declaration, scan, case or contact."""
    q = models.Q()
    for field in model._meta.get_fields(include_hidden=True):
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one):
            related = field.related_model
            q &= ~models.Exists(
                related._default_manager.filter(**{field.field.name: models.OuterRef("pk")})
            )
    return q


# The framework's tables with personal data


def _admin_log_expired(cutoff: dt.datetime) -> QuerySet:
    """Admin log entries older than the cutoff about a purged model: their `object_repr` and
    `change_message` repeat the row (a person's name, a message's phone and text)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    personal = [e.model for e in expiries() if e.model is not LogEntry]
    types = ContentType.objects.get_for_models(*personal, for_concrete_models=False).values()
    return LogEntry.objects.filter(action_time__lt=cutoff, content_type__in=list(types))


def framework_expiries() -> list[Expiry]:
    found: list[Expiry] = []
    if apps.is_installed("django.contrib.sessions"):
        from django.contrib.sessions.models import Session

        # A session ends at its expiry date, whatever the retention period.
        found.append(
            Expiry(
                "sessions",
                Session,
                lambda cutoff: Session.objects.filter(expire_date__lt=timezone.now()),
                order=90,
            )
        )
    if apps.is_installed("django.contrib.admin"):
        from django.contrib.admin.models import LogEntry

        found.append(Expiry("admin_log", LogEntry, _admin_log_expired, order=90))
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        # Arguments, return values and tracebacks of background work (an import's line errors,
        # a purge's counts): finished results past the period go, waiting ones stay.
        found.append(
            Expiry(
                "task_results",
                DBTaskResult,
                lambda cutoff: DBTaskResult.objects.filter(finished_at__lt=cutoff),
                order=90,
            )
        )
    return found
