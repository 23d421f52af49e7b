"""Cases and their contact lists past the retention period (kiemdich.retention runs these).

A case is kept while it may still be followed up: until the retention period has passed since
the end of its infectious window (its isolation). Its contact list goes with it; so do contacts
of any case whose window ended that long ago.
"""

from __future__ import annotations

from kiemdich.retention import Expiry

from .models import Case, Contact

EXPIRIES = [
    Expiry(
        "contacts",
        Contact,
        lambda cutoff: Contact.objects.filter(
            case__infectious_to__lt=cutoff, case__confirmed_at__lt=cutoff
        ),
        order=30,
    ),
    Expiry(
        "cases",
        Case,
        lambda cutoff: Case.objects.filter(infectious_to__lt=cutoff, confirmed_at__lt=cutoff),
        order=31,
    ),
]
