"""The unit and date every officials' table page starts from (statistics, install rates, daily
reports): the same filter bar, the same default area, the same unit picker."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.accounts.access import area_path, may_see_unit

from .models import Level, Unit


class AreaDateForm(forms.Form):
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
        if date.year < 2000:  # as in the API; also keeps "30 days before" a valid date
            raise ValidationError(_("No figures before the year 2000."))
        return date


def default_unit(user, refusal: str) -> Unit:
    """The user's own unit; a superuser with none starts at the first province. Anyone without
    an area is refused with `refusal`, which says what the page is for."""
    prefix = area_path(user)
    if prefix is None:
        raise PermissionDenied(refusal)
    if prefix:
        return user.unit
    first = Unit.objects.filter(level=Level.PROVINCE).order_by("code").first()
    if first is None:
        raise Http404(_("No administrative units have been loaded yet."))
    return first


def requested_unit(request: HttpRequest, refusal: str) -> Unit:
    """The unit of `?unit=CODE` (404 if unknown, 403 outside the user's area), else the user's
    own (see default_unit)."""
    code = request.GET.get("unit")
    unit = get_object_or_404(Unit, code=code) if code else default_unit(request.user, refusal)
    if not may_see_unit(request.user, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    return unit


def units_to_pick(user, current: Unit) -> list[Unit]:
    """The unit select: the user's unit and the districts under it (a province officer gets a
    dozen entries, not every commune), plus the unit on screen when it is a commune."""
    province = current.path.split("/", 1)[0]  # a superuser's select covers the province on screen
    root = user.unit if area_path(user) else Unit.objects.get(code=province)
    units = list(Unit.objects.under(root).filter(level__lte=Level.DISTRICT).order_by("path"))
    if current not in units:
        units.append(current)
    return units
