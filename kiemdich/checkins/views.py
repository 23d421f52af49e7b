"""The checkpoint statistics page: seed 004's table for any unit and date in the user's area,
with a bar chart, the files to attach to a report, and the checkpoints nobody scans any more.

Thin: figures from checkins.stats, permissions from accounts.access.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_see_unit
from kiemdich.geo.areas import AreaDateForm, requested_unit, units_to_pick
from kiemdich.geo.models import Level

from .stats import checkpoint_table, idle_checkpoints

#: Days without a scan after which an active checkpoint is listed as idle.
IDLE_DAYS = 7


@login_required
def checkpoints(request: HttpRequest) -> HttpResponse:
    unit = requested_unit(request, _("Statistics are for officials of an area."))
    today = timezone.localdate()
    form = AreaDateForm(
        {"unit": unit.code, "date": request.GET.get("date") or today.isoformat()},
        units=units_to_pick(request.user, unit),
        today=today,
    )
    date = form.cleaned_data["date"] if form.is_valid() else today
    table = checkpoint_table(unit, date)
    idle = Paginator(idle_checkpoints(unit, today, IDLE_DAYS), 50).get_page(request.GET.get("page"))
    parent = unit.parent
    return render(
        request,
        "checkins/checkpoints.html",
        {
            "form": form,
            "table": table,
            "max_scans": max((r.scans for r in table.rows), default=0),
            "drill": unit.level < Level.COMMUNE,
            "parent": parent if parent and may_see_unit(request.user, parent) else None,
            "params": urlencode({"unit": unit.code, "date": date.isoformat()}),
            "idle": idle,
            "idle_days": IDLE_DAYS,
        },
    )
