"""Writing check-ins: the only code that inserts them, and always with their daily counts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from kiemdich.venues.models import Venue

from .models import Checkin, Method, ScanDaily


@dataclass(frozen=True)
class NewCheckin:
    client_id: uuid.UUID
    venue_id: int
    t_in: dt.datetime
    method: str = Method.SELF
    t_out: dt.datetime | None = None
    source_app: str = ""


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def bump_daily(counts: Counter[tuple[str, dt.date]]) -> None:
    """Add to ScanDaily in one statement per batch (INSERT ... ON CONFLICT DO UPDATE)."""
    if not counts:
        return
    table = ScanDaily._meta.db_table
    rows = [(commune, day, n) for (commune, day), n in counts.items()]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (commune_id, date, scans) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (commune_id, date) DO UPDATE SET scans = {table}.scans + EXCLUDED.scans",
            rows,
        )


@transaction.atomic
def record_checkins(items: Iterable[NewCheckin]) -> list[Checkin]:
    """Store new check-ins and count them; client ids already stored are skipped, not doubled.

    Returns the check-ins that were stored by this call.
    """
    items = list(items)
    if not items:
        return []
    seen = set(
        Checkin.objects.filter(client_id__in=[i.client_id for i in items]).values_list(
            "client_id", flat=True
        )
    )
    fresh: dict[uuid.UUID, NewCheckin] = {}
    for item in items:
        if item.client_id not in seen:
            fresh.setdefault(item.client_id, item)
    communes = dict(
        Venue.objects.filter(pk__in={i.venue_id for i in fresh.values()}).values_list(
            "pk", "commune_id"
        )
    )
    created = Checkin.objects.bulk_create(
        [
            Checkin(
                client_id=i.client_id,
                venue_id=i.venue_id,
                method=i.method,
                t_in=i.t_in,
                t_out=i.t_out,
                source_app=i.source_app,
            )
            for i in fresh.values()
        ],
        batch_size=2000,
    )
    bump_daily(Counter((communes[c.venue_id], local_date(c.t_in)) for c in created))
    return created
