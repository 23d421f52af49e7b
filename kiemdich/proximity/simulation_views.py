"""The officials' page of the latest simulation: its chart, its table, when and how it ran.

The simulation holds no personal data (a synthetic district), but it is a planning tool of the
health authority, shown to the same officials who trace (officers and tracers of an area).
The files are those `kiemdich proximity simulate` wrote last under KIEMDICH_DATA_DIR.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kiemdich.accounts.access import works_with_personal_data

from . import simulation

#: Columns of the table on the page: CSV column, heading.
SHARES = ("share_bluetooth", "share_qr", "share_both", "share_either")


def _latest_or_refuse(user) -> simulation.Latest | None:
    if not works_with_personal_data(user):
        raise PermissionDenied(_("The simulation is for officials and tracers of an area."))
    return simulation.read_latest(simulation.folder(Path(settings.DATA_DIR)))


@login_required
def latest(request: HttpRequest) -> HttpResponse:
    found = _latest_or_refuse(request.user)
    rows = []
    if found is not None:
        for row in found.rows:
            rows.append(
                {
                    "adoption": round(100 * float(row["adoption"])),
                    "true_contacts": int(row["true_contacts"]),
                    "shares": [round(100 * float(row[c])) for c in SHARES],
                    "false_alarms": int(row["bluetooth_false_alarms"]),
                }
            )
    return render(
        request,
        "proximity/simulation.html",
        {"latest": found, "rows": rows, "command": "kiemdich proximity simulate --people 100000"},
    )


@login_required
def chart(request: HttpRequest) -> FileResponse:
    found = _latest_or_refuse(request.user)
    if found is None:
        raise Http404(_("No simulation has run yet."))
    return FileResponse(found.chart.open("rb"), content_type="image/png")


@login_required
def table(request: HttpRequest) -> FileResponse:
    found = _latest_or_refuse(request.user)
    if found is None:
        raise Http404(_("No simulation has run yet."))
    return FileResponse(
        found.table.open("rb"),
        content_type="text/csv",
        as_attachment=True,
        filename=f"mo-phong-{found.ran_at:%Y%m%d-%H%M}.csv",
    )
