"""Deleting venues or people through Django takes the check-ins' delete lock first.

The triggers of migration 0003 take it too, but only when the DELETE runs; Django runs its
SET_NULL update of the check-ins before that, which already holds the lock every scan holds, so
two such deletes (or a delete and a scan of the same person) would each wait for the other.
Taken before Django changes anything, the lock makes them queue instead.
"""

from __future__ import annotations

import threading

from django.db import connections
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from kiemdich.declarations.models import Person
from kiemdich.venues.models import Venue

from .models import Checkin

#: The delete (its queryset or instance) this thread last took the lock for: one lock per
#: delete, not one round trip per row of a chunk of a thousand.
_locked_for = threading.local()


@receiver(pre_delete, sender=Person)
@receiver(pre_delete, sender=Venue)
def hold_scans(sender, instance, using: str, origin=None, **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if origin is not None and getattr(_locked_for, "origin", None) is origin:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Checkin._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    _locked_for.origin = origin
