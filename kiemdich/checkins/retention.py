"""The retention purge: personal data older than KIEMDICH_RETENTION_DAYS goes, in every table.

What someone declared, where they were, whom they met and what they were told is personal data
kept only as long as tracing needs it (DESIGN.md §4). Each app lists its expired rows in its own
`retention.py` (`kiemdich.retention` gathers them): scans here, declarations and people in
declarations, cases and contact lists in tracing, the outbox (campaign recipients included) in
messaging, and the framework's sessions, admin log and task results. The statistics survive:
they read `ScanDaily`, install counts and reports, which are kept. Deletes run in chunks so a
purge of millions of rows never holds one long transaction over the scan table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils import timezone

from kiemdich import retention
from kiemdich.retention import Expiry

from .models import Checkin, PhoneCheck

CHUNK = retention.CHUNK

#: Scans go first: a person is deleted only once nothing (scan, declaration, case...) is left.
#: The check-ins by phone code (the phone a code was sent to) go with the outbox's copy of that
#: SMS: both are the same record of who was asked for a code.
EXPIRIES = [
    Expiry("checkins", Checkin, lambda cutoff: Checkin.objects.filter(t_in__lt=cutoff), 10),
    Expiry(
        "phone checks",
        PhoneCheck,
        lambda cutoff: PhoneCheck.objects.filter(created_at__lt=cutoff),
        11,
    ),
]


@dataclass
class PurgeReport:
    cutoff: dt.datetime
    checkins: int = 0
    declarations: int = 0
    people: int = 0
    #: Rows deleted in the other tables, by label (cases, contacts, messages, sessions, ...).
    other: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {**asdict(self), "cutoff": self.cutoff.isoformat()}


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.RETENTION_DAYS)


def purge_expired(
    now: dt.datetime | None = None, progress: Callable[[int], None] = lambda n: None
) -> PurgeReport:
    """Delete what is past the retention period; returns how much went."""
    cutoff = retention_cutoff(now)
    counts = retention.purge(cutoff, progress)
    return PurgeReport(
        cutoff=cutoff,
        checkins=counts.pop("checkins", 0),
        declarations=counts.pop("declarations", 0),
        people=counts.pop("people", 0),
        other=counts,
    )
