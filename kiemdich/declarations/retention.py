"""Declarations and people past the retention period (kiemdich.retention runs these).

People go last and in small chunks: deleting people holds every scan off until the chunk commits
(the check-ins' delete lock, migration checkins/0003), so each chunk must be short. A person goes
once older than the period and left with nothing that refers to them (no declaration, scan,
case or contact list entry is left after the other tables' purge).
"""

from __future__ import annotations

from kiemdich.retention import Expiry, unreferenced

from .models import Declaration, Person

#: People per transaction (see above): a chunk is a few tens of milliseconds of held-off scans.
PEOPLE_CHUNK = 1_000

EXPIRIES = [
    Expiry(
        "declarations",
        Declaration,
        lambda cutoff: Declaration.objects.filter(created_at__lt=cutoff),
        order=20,
    ),
    Expiry(
        "people",
        Person,
        lambda cutoff: Person.objects.filter(created_at__lt=cutoff).filter(unreferenced(Person)),
        order=100,
        chunk=PEOPLE_CHUNK,
    ),
]
