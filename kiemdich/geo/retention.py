"""Finished imports past the retention period (kiemdich.retention runs this): their line errors
quote the uploaded lines (a contact's phone, an address)."""

from __future__ import annotations

from kiemdich.retention import Expiry

from .models import ImportJob

EXPIRIES = [
    Expiry(
        "imports",
        ImportJob,
        lambda cutoff: ImportJob.objects.filter(created_at__lt=cutoff, finished_at__isnull=False),
        order=90,
    )
]
