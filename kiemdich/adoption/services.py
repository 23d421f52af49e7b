"""Targets and imported install figures, written here only (registered installs are
`installs.register`, the daily reports `reports.submit`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from .models import InstallFigure, Target


def set_target(name: str, **fields) -> Target:
    """Create or update the target called `name` (unit_id, group, org_kind, threshold,
    deadline)."""
    target, _created = Target.objects.update_or_create(name=name, defaults=fields)
    return target


@transaction.atomic
def set_install_figures(figures: Iterable[tuple[str, dt.date, int]]) -> None:
    """Store cumulative installs per (unit code, date); a figure already stored for the same unit
    and date is replaced (as `installs.import_figures` does from a file)."""
    InstallFigure.objects.bulk_create(
        [InstallFigure(unit_id=code, date=day, installs=n) for code, day, n in figures],
        update_conflicts=True,
        unique_fields=["unit", "date"],
        update_fields=["installs"],
        batch_size=2000,
    )
