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
from kiemdich.geo.services import unit_code
from kiemdich.orgs.models import Organization
from kiemdich.tabular import (
    ImportReport,
    LineError,
    cell,
    column_index,
    parse_count,
    parse_date,
    read_table,
)

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
                    if uninstalled:  # an uninstall of an install we never counted
                        install = Install.objects.create(
                            app=app,
                            install_id=install_id,
                            platform=platform,
                            commune=commune,
                            organization=organization,
                            registered_at=at,
                            removed_at=at,
                        )
                        return Registration(install, Outcome.UNCHANGED)
                    install = Install.objects.create(
                        app=app,
                        install_id=install_id,
                        platform=platform,
                        commune=commune,
                        organization=organization,
                        registered_at=at,
                    )
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

FIGURE_COLUMNS = ("unit_code", "date", "installs")


def import_figures(path: Path, progress=lambda rows: rows) -> ImportReport:
    """Import `unit_code,date,installs` (cumulative installs of the unit on that date).

    Any bad line means nothing is saved; a figure already stored for the same unit and date is
    replaced, so importing a corrected file twice never double-counts.
    """
    header, body = read_table(path)
    cols = column_index(header, FIGURE_COLUMNS)
    report = ImportReport()
    known = set(Unit.objects.values_list("code", flat=True))
    today = timezone.localdate()
    parsed: dict[tuple[str, dt.date], tuple[int, int]] = {}
    for line, cells in progress(list(body)):
        code = unit_code(cell(cells, cols["unit_code"]), known)
        problems: list[str] = []
        if not code:
            problems.append(_("unit_code is empty"))
        elif code not in known:
            problems.append(_("unknown unit code %(code)s") % {"code": code})
        try:
            date = parse_date(cell(cells, cols["date"]))
        except ValueError:
            date = None
            problems.append(
                _("date %(value)r is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
                % {"value": cell(cells, cols["date"])}
            )
        else:
            if date > today:
                problems.append(_("date %(date)s is in the future") % {"date": date})
        try:
            installs = parse_count(cell(cells, cols["installs"]))
        except ValueError:
            installs = None
            problems.append(
                _("%(column)s %(value)r is not a whole number ≥ 0")
                % {"column": "installs", "value": cell(cells, cols["installs"])}
            )
        else:
            if installs is None:
                problems.append(_("installs is empty"))
        if not problems and (code, date) in parsed:
            problems.append(
                _("unit %(code)s on %(date)s already appears on line %(line)d")
                % {"code": code, "date": date, "line": parsed[(code, date)][0]}
            )
        if problems:
            report.errors.extend(LineError(line, p) for p in problems)
        else:
            parsed[(code, date)] = (line, installs)
    if report.errors:
        return report
    with transaction.atomic():
        existing = {
            (f.unit_id, f.date): f
            for f in InstallFigure.objects.filter(
                unit_id__in={c for c, _d in parsed}, date__in={d for _c, d in parsed}
            )
        }
        new, changed = [], []
        for (code, date), (_line, installs) in parsed.items():
            figure = existing.get((code, date))
            if figure is None:
                new.append(InstallFigure(unit_id=code, date=date, installs=installs))
            elif figure.installs != installs:
                figure.installs = installs
                changed.append(figure)
        InstallFigure.objects.bulk_create(new, batch_size=2000)
        InstallFigure.objects.bulk_update(changed, ["installs"], batch_size=2000)
    report.created, report.updated = len(new), len(changed)
    return report
