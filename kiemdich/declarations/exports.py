"""A person's own data as a spreadsheet: every declaration and every visit we still hold, theirs
and those of the family members their phone declares for (a parent downloads the children's)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.phones import display_phone
from kiemdich.tabular import workbook, write_cells

from .models import Gender, Person, Purpose


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def my_data_xlsx(person: Person) -> bytes:
    """Two sheets: declarations, then visits (checkpoint, entry, exit, whose). The person's own
    rows come first, then each family member's (`Person.objects.family_of`, the gate's rule)."""
    people = [person, *Person.objects.family_of(person).order_by("created_at", "pk")]
    buffer = io.BytesIO()
    book = workbook(buffer)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Declarations")[:31])
    headers = [
        _("Declared at"),
        _("Full name"),
        _("Year of birth"),
        _("Gender"),
        _("Nationality"),
        _("ID or passport number"),
        _("Phone"),
        _("Commune"),
        _("Address"),
        _("Purpose"),
        _("Symptoms"),
        _("Contact with a case"),
        _("Travel to an outbreak area"),
    ]
    write_cells(sheet, 0, 0, headers, bold)
    declarations = [d for p in people for d in p.declarations.select_related("commune")]
    for row, d in enumerate(declarations, start=1):
        write_cells(
            sheet,
            row,
            0,
            [
                _local(d.created_at),
                d.full_name,
                d.birth_year,
                str(Gender(d.gender).label),
                d.nationality,
                d.id_number,
                display_phone(d.phone),
                d.commune.full_name,
                d.address,
                str(Purpose(d.purpose).label),
                ", ".join(d.symptom_labels()),
                _("yes") if d.contact_with_case else _("no"),
                _("yes") if d.travel_outbreak_area else _("no"),
            ],
        )
    sheet.set_column(0, len(headers) - 1, 18)
    visits = book.add_worksheet(_("Visits")[:31])
    write_cells(
        visits, 0, 0, [_("Checkpoint"), _("Address"), _("Entry"), _("Exit"), _("Person")], bold
    )
    names = {p.pk: p.full_name for p in people}
    checkins = [c for p in people for c in p.checkins.select_related("venue").order_by("-t_in")]
    for row, c in enumerate(checkins, start=1):
        exit_text = _local(c.t_out) + (f" ({_('estimated')})" if c.t_out_auto else "")
        cells = [c.venue.name, c.venue.address, _local(c.t_in), exit_text, names[c.person_id]]
        write_cells(visits, row, 0, cells)
    visits.set_column(0, 4, 24)
    book.close()
    return buffer.getvalue()
