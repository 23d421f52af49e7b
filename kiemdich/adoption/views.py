"""The install-rate dashboard (seed 000's table, charts, pace to the target) and its exports.

Thin: every number comes from figures.dashboard, the same call the API answers from; the charts
draw the API's own JSON (embedded in the page), so page, files and API cannot disagree.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kiemdich.accounts.access import OFFICER_ROLES, may_see_unit
from kiemdich.core.files import file_response
from kiemdich.geo.areas import AreaDateForm, requested_unit, units_to_pick
from kiemdich.geo.models import Level
from kiemdich.official_docs import letterhead

from . import exports, figures
from .api import dashboard_out


def board_for(request: HttpRequest) -> tuple[figures.Dashboard, AreaDateForm]:
    """The dashboard of the unit and date asked for (the user's own area and the newest day
    with figures by default), after the same checks as the API."""
    unit = requested_unit(request, _("Install rates are for officials of an area."))
    today = timezone.localdate()
    newest = figures.latest_date(unit)
    form = AreaDateForm(
        {"unit": unit.code, "date": request.GET.get("date") or newest.isoformat()},
        units=units_to_pick(request.user, unit),
        today=today,
    )
    date = form.cleaned_data["date"] if form.is_valid() else newest
    return figures.dashboard(unit, date), form


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board, form = board_for(request)
    unit = board.unit
    parent = unit.parent
    user = request.user
    return render(
        request,
        "adoption/dashboard.html",
        {
            "form": form,
            "board": board,
            "data": dashboard_out(board),
            "drill": unit.level < Level.COMMUNE,
            "parent": parent if parent and may_see_unit(user, parent) else None,
            "params": urlencode({"unit": unit.code, "date": board.date.isoformat()}),
            "officer": user.is_superuser or user.role in OFFICER_ROLES,
            "paced": board.total.pace is not None or any(r.pace for r in board.rows),
            "labels": {"rate": _("Install rate (%)"), "target": _("Target (%)")},
        },
    )


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    board, _form = board_for(request)
    return file_response(
        exports.dashboard_xlsx(board, letterhead(request.user, board.unit)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.filename(board, "xlsx"),
    )


@login_required
def export_pdf(request: HttpRequest) -> HttpResponse:
    board, _form = board_for(request)
    return file_response(
        exports.dashboard_pdf(board, letterhead(request.user, board.unit)),
        "application/pdf",
        exports.filename(board, "pdf"),
    )
