"""The checkpoint statistics page: seed 004's table for any unit and date in the user's area,
with a bar chart, the files to attach to a report, and the checkpoints nobody scans any more.

Thin: figures from checkins.stats, permissions from accounts.access.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.accounts.access import area_path, may_see_unit
from kiemdich.geo.models import Level, Unit

from .stats import checkpoint_table, idle_checkpoints

#: Days without a scan after which an active checkpoint is listed as idle.
IDLE_DAYS = 7


class TableForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Area"))
    date = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, units: list[Unit], today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["unit"].choices = [(u.code, u.full_name) for u in units]
        self.fields["date"].widget.attrs["max"] = today.isoformat()
        for field in self.fields.values():  # the compact filter bar has no visible labels
            field.widget.attrs["aria-label"] = field.label

    def clean_date(self) -> dt.date:
        date = self.cleaned_data["date"]
        if date > self.today:
            raise ValidationError(_("The date is in the future."))
        return date


def default_unit(user) -> Unit:
    """The user's own unit; a superuser with none starts at the first province."""
    prefix = area_path(user)
    if prefix is None:
        raise PermissionDenied(_("Statistics are for officials of an area."))
    if prefix:
        return user.unit
    first = Unit.objects.filter(level=Level.PROVINCE).order_by("code").first()
    if first is None:
        raise Http404(_("No administrative units have been loaded yet."))
    return first


def units_to_pick(user, current: Unit) -> list[Unit]:
    """The unit select: the user's unit and the districts under it (a province officer gets a
    dozen entries, not every commune), plus the unit on screen when it is a commune."""
    province = current.path.split("/", 1)[0]  # a superuser's select covers the province on screen
    root = user.unit if area_path(user) else Unit.objects.get(code=province)
    units = list(Unit.objects.under(root).filter(level__lte=Level.DISTRICT).order_by("path"))
    if current not in units:
        units.append(current)
    return units


@login_required
def checkpoints(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("unit")
    unit = get_object_or_404(Unit, code=code) if code else default_unit(request.user)
    if not may_see_unit(request.user, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    today = timezone.localdate()
    form = TableForm(
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
