"""Organizations' headcounts and installs: who may see and change them, their rates against the
group targets, and the all-or-nothing import of organization lists.

The pages, the API and the command all go through this module, so a rate, a gap or a "below
target" flag is computed one way only (percentages always through `adoption.figures.rate`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from kiemdich.accounts.access import OFFICER_ROLES, may_administer
from kiemdich.accounts.models import Role
from kiemdich.core.errors import FieldError
from kiemdich.geo.models import Unit
from kiemdich.geo.services import unit_code
from kiemdich.tabular import (
    Column,
    ImportReport,
    LineError,
    cell,
    column_index,
    parse_count,
    read_table,
    template_xlsx,
)

from .models import Group, Headcount, Organization, OrgKind

Progress = Callable[[Iterable], Iterable]

#: Groups in the order people read them (staff first, pupils last), as in the import columns.
GROUP_ORDER = {code: i for i, code in enumerate(Group.values)}


# ---------------------------------------------------------------------------------------------
# Access


def is_org_admin(user) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.ORG_ADMIN
        and user.organization_id is not None
    )


def is_area_officer(user) -> bool:
    """Officers with an area (and superusers) oversee the organizations in it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or (user.role in OFFICER_ROLES and user.unit_id is not None)


def may_edit(user, org: Organization) -> bool:
    """The organization's own admin, or an officer who administers its unit, reports installs."""
    if is_org_admin(user) and user.organization_id == org.pk:
        return True
    return may_administer(user, org.unit)


def visible_or_404(user, code: str) -> Organization:
    """The organization if the user may see it; unknown and out-of-area look the same (404), so
    codes of other areas cannot be probed."""
    org = (
        Organization.objects.visible_to(user)
        .select_related("unit")
        .prefetch_related("headcounts")
        .filter(code=code)
        .first()
    )
    if org is None:
        raise Http404(_("No organization with code %(code)s in your area.") % {"code": code})
    return org


# ---------------------------------------------------------------------------------------------
# Installed counts


class InstalledError(FieldError, ValueError):
    """A reported installed count that cannot be saved; `field` is "group" or "installed"
    (422 `invalid`)."""


def installed_problem(headcount: int, installed: int) -> str | None:
    """Why `installed` cannot be reported for a group of `headcount` people (None: it can)."""
    if installed < 0:
        return _("Enter a number of people, 0 or more.")
    if installed > headcount:
        return _(
            "Cannot be more than the headcount (%(headcount)d). If the organization has grown, "
            "ask the officials to update its headcount."
        ) % {"headcount": headcount}
    return None


@transaction.atomic
def set_installed(actor, org: Organization, group: str, installed: int) -> Headcount:
    """Record how many people of `group` have installed; the same call twice leaves one value.

    The row is locked so a concurrent import lowering the headcount cannot slip under the check.
    """
    row = Headcount.objects.select_for_update().filter(organization=org, group=group).first()
    if row is None:
        label = Group(group).label if group in Group.values else group
        raise InstalledError(
            "group",
            _("%(org)s has no headcount of %(group)s; officials add it by importing the list.")
            % {"org": org.name, "group": label},
        )
    problem = installed_problem(row.headcount, installed)
    if problem:
        raise InstalledError("installed", problem)
    row.installed = installed
    row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save(update_fields=["installed", "updated_by", "updated_at"])
    return row


# ---------------------------------------------------------------------------------------------
# Import

#: The columns of an organization list: the template's Vietnamese headers, which the messages
#: name, and the English keys older files use (both are read). The headcount columns are the
#: groups, in Group's order.
COLUMNS = (
    Column("code", "Mã đơn vị"),
    Column("name", "Tên đơn vị"),
    Column("kind", "Loại đơn vị"),
    Column("unit_code", "Mã xã/huyện"),
    Column(Group.STAFF, "Cán bộ nhân viên"),
    Column(Group.WORKERS, "Công nhân"),
    Column(Group.TEACHERS, "Giáo viên"),
    Column(Group.UPPER_SECONDARY, "Học sinh THPT"),
    Column(Group.LOWER_SECONDARY, "Học sinh THCS"),
    Column(Group.MEMBERS, "Hội viên đoàn viên"),
)
HEADERS = {c.key: c.header for c in COLUMNS}
BASE_COLUMNS = ("code", "name", "kind", "unit_code")
IMPORT_COLUMNS = BASE_COLUMNS + tuple(Group.values)


#: The example line's headcounts: a school's teachers and lower-secondary pupils.
EXAMPLE_COUNTS = ("", "", "45", "", "620", "")


def template() -> bytes:
    """The Excel file to fill in, with an example line (a school of Đức Phong)."""
    return template_xlsx(
        COLUMNS,
        [("BP-THCS-DUCPHONG", "Trường THCS Đức Phong", "Trường học", "25396", *EXAMPLE_COUNTS)],
    )


#: What people write in the kind column besides our codes and labels.
KIND_WORDS = {
    OrgKind.AGENCY: ("cơ quan", "cơ quan nhà nước", "cơ quan hành chính", "agency"),
    OrgKind.BUSINESS: ("doanh nghiệp", "công ty", "company"),
    OrgKind.SCHOOL: ("trường", "trường học"),
    OrgKind.FACTORY: ("nhà máy", "xí nghiệp"),
    OrgKind.HOSPITAL: ("bệnh viện", "cơ sở y tế", "trạm y tế", "phòng khám", "hospital", "clinic"),
    OrgKind.UNION: ("đoàn thể", "tổ chức đoàn thể", "union"),
    OrgKind.OTHER: ("khác",),
}


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text))).strip().lower()


def kind_names() -> dict[str, str]:
    """Every accepted spelling of a kind (code, English and Vietnamese labels) -> its code."""
    names: dict[str, str] = {}
    for kind in OrgKind:
        names[kind.value] = kind.value
        for lang in ("en", "vi"):
            with translation.override(lang):
                names[_words(kind.label)] = kind.value
        for word in KIND_WORDS.get(kind, ()):
            names[_words(word)] = kind.value
    return names


def _text(value) -> str:
    """A cell as text: Excel stores a code like 2021 as the number 2021.0."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None:
        return ""
    return re.sub(r"[\s\x00-\x1f\x7f]+", " ", str(value)).strip()


@dataclass
class _Line:
    line: int
    code: str
    name: str
    kind: str
    unit: str
    counts: dict[str, int | None]


def import_orgs(path: Path, actor=None, progress: Progress = lambda items: items) -> ImportReport:
    """Import `code,name,kind,unit_code,staff,workers,teachers,upper_secondary,lower_secondary,
    members`; creates or updates organizations and their headcounts. A blank headcount means the
    organization has no such group. Any bad line means nothing is saved.

    `actor` (None from the command line) may only import organizations in units they administer.
    """
    header, body = read_table(path)
    cols = column_index(header, COLUMNS)
    report = ImportReport()
    units = {u.code: u for u in Unit.objects.only("code", "path", "full_name")}
    known = set(units)
    kinds = kind_names()
    lines: dict[str, _Line] = {}
    for line, cells in progress(list(body)):
        problems: list[str] = []
        code = _text(cell(cells, cols["code"]))
        name = _text(cell(cells, cols["name"]))
        kind_text = _text(cell(cells, cols["kind"]))
        unit = unit_code(cell(cells, cols["unit_code"]), known)
        if not code:
            problems.append(_("%(column)s is empty") % {"column": HEADERS["code"]})
        elif len(code) > 40:
            problems.append(
                _("%(column)s %(code)s is longer than 40 characters")
                % {"column": HEADERS["code"], "code": code[:50]}
            )
        if not name:
            problems.append(_("%(column)s is empty") % {"column": HEADERS["name"]})
        elif len(name) > 200:
            problems.append(
                _("%(column)s is longer than 200 characters") % {"column": HEADERS["name"]}
            )
        kind = kinds.get(_words(kind_text))
        if kind is None:
            problems.append(
                _("%(column)s %(value)r is not one of: %(kinds)s")
                % {
                    "column": HEADERS["kind"],
                    "value": kind_text,
                    "kinds": ", ".join(str(label) for label in OrgKind.labels),
                }
            )
        if not unit:
            problems.append(_("%(column)s is empty") % {"column": HEADERS["unit_code"]})
        elif unit not in known:
            problems.append(_("unknown unit code %(code)s") % {"code": unit})
        elif actor is not None and not may_administer(actor, units[unit]):
            problems.append(_("unit %(code)s is outside your area") % {"code": unit})
        counts: dict[str, int | None] = {}
        for group in Group.values:
            value = cell(cells, cols[group])
            try:
                counts[group] = parse_count(value)
            except ValueError:
                problems.append(
                    _("%(column)s %(value)r is not a whole number ≥ 0")
                    % {"column": HEADERS[group], "value": value}
                )
        if code and code in lines:
            problems.append(
                _("organization %(code)s already appears on line %(line)d")
                % {"code": code, "line": lines[code].line}
            )
        if problems:
            report.errors.extend(LineError(line, p) for p in problems)
        else:
            lines[code] = _Line(line, code, name, kind, unit, counts)
    if report.errors:
        return report
    with transaction.atomic():
        _save(lines, units, actor, report)
        if report.errors:
            transaction.set_rollback(True)
    return report


def _save(lines: dict[str, _Line], units: dict[str, Unit], actor, report: ImportReport) -> None:
    """Write the parsed lines, after the checks that need the rows as they are now (locked)."""
    existing = {
        o.code: o
        for o in Organization.objects.select_for_update()
        .select_related("unit")
        .filter(code__in=list(lines))
    }
    rows: dict[tuple[int, str], Headcount] = {
        (h.organization_id, h.group): h
        for h in Headcount.objects.select_for_update().filter(
            organization__in=[o.pk for o in existing.values()]
        )
    }
    for item in lines.values():
        org = existing.get(item.code)
        if org is None:
            continue
        if actor is not None and not may_administer(actor, org.unit):
            report.errors.append(
                LineError(
                    item.line,
                    _("organization %(code)s belongs to %(unit)s, outside your area")
                    % {"code": item.code, "unit": org.unit.full_name},
                )
            )
        for group, count in item.counts.items():
            row = rows.get((org.pk, group))
            if row is None or row.installed == 0:
                continue
            if count is None:
                report.errors.append(
                    LineError(
                        item.line,
                        _(
                            "%(column)s is empty, but %(installed)d of them were reported as "
                            "installed: give the headcount"
                        )
                        % {"column": group, "installed": row.installed},
                    )
                )
            elif count < row.installed:
                report.errors.append(
                    LineError(
                        item.line,
                        _(
                            "%(column)s (%(count)d) is less than the %(installed)d already "
                            "reported as installed"
                        )
                        % {"column": group, "count": count, "installed": row.installed},
                    )
                )
    if report.errors:
        return
    new_orgs, changed_orgs = [], []
    for item in lines.values():
        org = existing.get(item.code)
        if org is None:
            org = Organization(code=item.code, name=item.name, kind=item.kind, unit_id=item.unit)
            new_orgs.append(org)
        elif (org.name, org.kind, org.unit_id) != (item.name, item.kind, item.unit):
            org.name, org.kind, org.unit_id = item.name, item.kind, item.unit
            changed_orgs.append(org)
    Organization.objects.bulk_create(new_orgs, batch_size=2000)
    Organization.objects.bulk_update(changed_orgs, ["name", "kind", "unit"], batch_size=2000)
    ids = {
        o.code: o.pk for o in Organization.objects.filter(code__in=list(lines)).only("pk", "code")
    }
    touched: set[str] = {o.code for o in changed_orgs}
    create, update, delete = [], [], []
    for item in lines.values():
        org_id = ids[item.code]
        for group, count in item.counts.items():
            row = rows.get((org_id, group))
            if count is None:
                if row is not None:
                    delete.append(row.pk)
                    touched.add(item.code)
            elif row is None:
                create.append(
                    Headcount(organization_id=org_id, group=group, headcount=count, updated_by=None)
                )
                touched.add(item.code)
            elif row.headcount != count:
                row.headcount = count
                update.append(row)
                touched.add(item.code)
    Headcount.objects.filter(pk__in=delete).delete()
    Headcount.objects.bulk_create(create, batch_size=2000)
    Headcount.objects.bulk_update(update, ["headcount"], batch_size=2000)
    created = {o.code for o in new_orgs}
    report.created = len(created)
    report.updated = len(touched - created)


# ---------------------------------------------------------------------------------------------
# One organization


@transaction.atomic
def set_organization(
    code: str, *, name: str, kind: str, unit_id: str, groups: dict[str, tuple[int, int]]
) -> Organization:
    """Create or update the organization `code` and its groups' (headcount, installed), as one
    line of an import would; groups not named are left as they are."""
    org, _created = Organization.objects.update_or_create(
        code=code, defaults={"name": name, "kind": kind, "unit_id": unit_id}
    )
    for group, (headcount, installed) in groups.items():
        Headcount.objects.update_or_create(
            organization=org,
            group=group,
            defaults={"headcount": headcount, "installed": installed},
        )
    return org
