"""The retention purge: scans, declarations and people older than KIEMDICH_RETENTION_DAYS go.

What someone declared and where they were is personal data kept only as long as tracing needs it
(DESIGN.md §4). The statistics survive: they read `ScanDaily`, which is kept. Deletes run in
chunks so a purge of millions of rows never holds one long transaction over the scan table.
People go in smaller chunks: deleting people holds every scan off until the chunk commits (the
check-ins' delete lock, migration checkins/0003), so each chunk must be short.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from kiemdich.declarations.models import Declaration, Person

from .models import Checkin

CHUNK = 20_000
#: People per transaction (see above): a chunk is a few tens of milliseconds of held-off scans.
PEOPLE_CHUNK = 1_000


@dataclass
class PurgeReport:
    cutoff: dt.datetime
    checkins: int = 0
    declarations: int = 0
    people: int = 0

    def as_dict(self) -> dict:
        return {**asdict(self), "cutoff": self.cutoff.isoformat()}


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.RETENTION_DAYS)


def _delete_in_chunks(qs: QuerySet, progress: Callable[[int], None], chunk: int = CHUNK) -> int:
    total = 0
    while True:
        ids = list(qs.values_list("pk", flat=True)[:chunk])
        if not ids:
            return total
        qs.model.objects.filter(pk__in=ids).delete()
        total += len(ids)
        progress(len(ids))


def purge_expired(
    now: dt.datetime | None = None, progress: Callable[[int], None] = lambda n: None
) -> PurgeReport:
    """Delete what is past the retention period; returns how much went."""
    cutoff = retention_cutoff(now)
    report = PurgeReport(cutoff=cutoff)
    report.checkins = _delete_in_chunks(Checkin.objects.filter(t_in__lt=cutoff), progress)
    report.declarations = _delete_in_chunks(
        Declaration.objects.filter(created_at__lt=cutoff), progress
    )
    idle = Person.objects.filter(created_at__lt=cutoff).filter(
        ~Exists(Declaration.objects.filter(person=OuterRef("pk"))),
        ~Exists(Checkin.objects.filter(person=OuterRef("pk"))),
    )
    report.people = _delete_in_chunks(idle, progress, PEOPLE_CHUNK)
    return report
