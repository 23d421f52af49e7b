"""Monitorings past the retention period (kiemdich.retention runs these).

A monitoring is kept while it is open, and then for the retention period after it closed; its
daily reports (symptoms, temperatures), alerts and transfers go with it (they cascade). Its
person is then left to declarations' purge, which deletes them once nothing refers to them.
"""

from __future__ import annotations

from kiemdich.retention import Expiry

from .models import Monitoring, State

EXPIRIES = [
    Expiry(
        "monitorings",
        Monitoring,
        lambda cutoff: Monitoring.objects.filter(state=State.CLOSED, closed_at__lt=cutoff),
        order=32,
    ),
]
