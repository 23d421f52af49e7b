"""Importing a list of checkpoints (.xlsx or .csv), by `kiemdich venues import` and the
background import of the upload page (kiemdich.geo.imports): each line is checked by the
registration page's own VenueForm (the same message next to the same field), and the checked
lines are stored by `services.save_imported`, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_administer
from kiemdich.tabular import (
    Column,
    ImportReport,
    LineError,
    cell,
    column_index,
    read_table,
    template_xlsx,
)

from . import services
from .forms import VenueForm
from .models import Category, Venue

#: The columns of a checkpoint list: the template's Vietnamese headers, which the messages name,
#: and the English keys older files use (both are read).
COLUMNS = (
    Column("name", "Tên điểm kiểm dịch"),
    Column("category", "Loại hình"),
    Column("commune_code", "Mã xã"),
    Column("address", "Địa chỉ"),
    Column("contact_phone", "Điện thoại liên hệ"),
    Column("organization_code", "Mã đơn vị", required=False),
    Column("plate_number", "Biển số xe", required=False),
    Column("route", "Tuyến đường", required=False),
)
IMPORT_COLUMNS = tuple(c.key for c in COLUMNS if c.required)
OPTIONAL_COLUMNS = tuple(c.key for c in COLUMNS if not c.required)
#: The registration form's field behind each column, so its message names the column.
FIELD_COLUMNS = {
    "commune": "commune_code",
    "organization": "organization_code",
    **{c.key: c.key for c in COLUMNS},
}
HEADERS = {c.key: c.header for c in COLUMNS}


def template() -> bytes:
    """The Excel file to fill in, with an example line (the demo's kind of checkpoint)."""
    return template_xlsx(
        COLUMNS, [["Chợ Đức Phong", "Chợ truyền thống", "25396", "Khu phố Tân Hiệp", ""]]
    )


def _category_code(value: str) -> str:
    """Accept the code ("market") or the label in either language ("Chợ truyền thống")."""
    text = (value or "").strip()
    if text in Category.values:
        return text
    lowered = text.lower()
    for language in ("vi", "en"):
        with translation.override(language):
            for code, label in Category.choices:
                if lowered == str(label).lower():
                    return code
    return text  # the form then says it is not a valid choice


def import_venues(path: Path, actor=None, progress=lambda items: items) -> ImportReport:
    """Import a list of checkpoints; any bad line means nothing is saved.

    A line whose commune, name and address match an existing checkpoint updates it, so the same
    list can be imported again after corrections.
    """
    header, body = read_table(path)
    cols = column_index(header, COLUMNS)
    report = ImportReport()
    forms: list[tuple[int, VenueForm]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in progress(list(body)):

        def text(column: str, cells=cells) -> str:
            index = cols.get(column)
            value = cell(cells, index) if index is not None else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return "" if value is None else str(value).strip()

        data = {
            "name": text("name"),
            "category": _category_code(text("category")),
            "commune": text("commune_code"),
            "address": text("address"),
            "contact_phone": text("contact_phone"),
            "organization": text("organization_code"),
            "plate_number": text("plate_number"),
            "route": text("route"),
        }
        existing = Venue.objects.filter(
            commune_id=data["commune"], name=data["name"], address=data["address"]
        ).first()
        form = VenueForm(data=data, instance=existing)
        if not form.is_valid():
            for field, errors in form.errors.items():
                column = FIELD_COLUMNS.get(field)
                label = HEADERS[column] if column else ""
                for message in errors:
                    report.errors.append(
                        LineError(line, f"{label}: {message}" if label else message)
                    )
            continue
        if actor is not None and not may_administer(actor, form.cleaned_data["commune"]):
            report.errors.append(
                LineError(
                    line, _("commune %(code)s is outside your area") % {"code": data["commune"]}
                )
            )
            continue
        key = (data["commune"], form.cleaned_data["name"], form.cleaned_data["address"])
        if key in seen:
            report.errors.append(
                LineError(
                    line, _("the same checkpoint is already on line %(line)d") % {"line": seen[key]}
                )
            )
            continue
        seen[key] = line
        forms.append((line, form))
    if report.errors:
        return report
    report.created, report.updated = services.save_imported(
        actor,
        [(form.instance if form.instance.pk else None, form.cleaned_data) for _l, form in forms],
    )
    return report
