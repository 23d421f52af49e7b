"""Counting installs: apps registering them one by one, and carriers' files of daily totals.

Both paths refuse to inflate a count: a registration repeated with the same app install id is the
same install, an uninstall takes it off (once), and an imported file replaces a unit's figure for
a date rather than adding to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.geo.models import Unit
from kiemdich.geo.services import FIGURE_COLUMNS, import_unit_figures
from kiemdich.orgs.models import Organization
from kiemdich.tabular import Column, ImportReport

from .models import Install, InstallDay, InstallFigure


class Outcome(StrEnum):
    COUNTED = "counted"  # a new install, or a reinstall after an uninstall: +1
    REMOVED = "removed"  # an uninstall of a counted install: -1
    UNCHANGED = "unchanged"  # a repeat of what we already knew: the count does not move


@dataclass(frozen=True)
class Registration:
    install: Install
    outcome: Outcome


def _bump(unit_id: str, day: dt.date, added: int = 0, removed: int = 0) -> None:
    """Add to a commune's day in one statement (INSERT ... ON CONFLICT DO UPDATE)."""
    table = InstallDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit_id, date, added, removed) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (unit_id, date) DO UPDATE SET added = {table}.added + EXCLUDED.added, "
            f"removed = {table}.removed + EXCLUDED.removed",
            [unit_id, day, added, removed],
        )


def register(
    *,
    app: str,
    install_id: str,
    platform: str,
    commune: Unit,
    organization: Organization | None = None,
    uninstalled: bool = False,
    at: dt.datetime | None = None,
) -> Registration:
    """Record that an app was installed (or uninstalled) on a phone; safe to repeat."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                install = (
                    Install.objects.select_for_update()
                    .filter(app=app, install_id=install_id)
                    .first()
                )
                if install is None:
                    # An uninstall of an install we never counted is kept (a later repeat of
                    # it stays a repeat) but counts nothing.
                    install = Install.objects.create(
                        app=app,
                        install_id=install_id,
                        platform=platform,
                        commune=commune,
                        organization=organization,
                        registered_at=at,
                        removed_at=at if uninstalled else None,
                    )
                    if uninstalled:
                        return Registration(install, Outcome.UNCHANGED)
                    _bump(install.commune_id, day, added=1)
                    return Registration(install, Outcome.COUNTED)
                if uninstalled and install.removed_at is None:
                    install.removed_at = at
                    install.save(update_fields=["removed_at"])
                    _bump(install.commune_id, day, removed=1)
                    return Registration(install, Outcome.REMOVED)
                if not uninstalled and install.removed_at is not None:
                    install.removed_at = None
                    install.save(update_fields=["removed_at"])
                    _bump(install.commune_id, day, added=1)
                    return Registration(install, Outcome.COUNTED)
                return Registration(install, Outcome.UNCHANGED)
        except IntegrityError:
            continue  # another request created it between our read and our insert: re-read
    raise RuntimeError("install registration raced twice")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Imported figures


#: The count of an install figures file, after the unit and date columns.
INSTALLS_COLUMN = Column("installs", "Số lượt cài đặt")


def _check_figure(date: dt.date, values: dict[str, int | None]) -> list[str]:
    if date > timezone.localdate():
        return [
            _("%(column)s %(date)s is in the future")
            % {"column": FIGURE_COLUMNS[1].header, "date": date}
        ]
    if values["installs"] is None:
        return [_("%(column)s is empty") % {"column": INSTALLS_COLUMN.header}]
    return []


def import_figures(path: Path, progress=lambda rows: rows) -> ImportReport:
    """Import `unit_code,date,installs` (cumulative installs of the unit on that date).

    Any bad line means nothing is saved; a figure already stored for the same unit and date is
    replaced, so importing a corrected file twice never double-counts.
    """
    return import_unit_figures(path, InstallFigure, (INSTALLS_COLUMN,), _check_figure, progress)
