"""Pages shared by every role: the home page and the unit drill-down.

Thin on purpose: what a user may see is decided in accounts.access, the figures come from
the geo querysets.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from kiemdich.accounts.access import area_path, may_see_unit
from kiemdich.geo.models import Level, Unit


def unit_table(unit: Unit | None) -> dict:
    """Context for a unit page: the unit's own figures and one row per child unit."""
    if unit is None:  # a superuser with no area: the whole country
        children = Unit.objects.filter(level=Level.PROVINCE)
        current = None
    else:
        children = unit.children.all()
        current = Unit.objects.with_latest_figures().get(pk=unit.pk)
    rows = list(children.with_latest_figures().order_by("code"))
    return {
        "unit": current,
        "rows": rows,
        "missing_figures": any(r.figures_date is None for r in rows),
        "breadcrumbs": ancestors(unit) if unit else [],
    }


def ancestors(unit: Unit) -> list[Unit]:
    codes = [c for c in unit.path.split("/") if c][:-1]
    by_code = Unit.objects.in_bulk(codes)
    return [by_code[c] for c in codes if c in by_code]


def home(request: HttpRequest) -> HttpResponse:
    """Officials land on the units they cover; everyone else gets the public welcome page."""
    user = request.user
    prefix = area_path(user)
    if prefix is None:
        return render(request, "web/welcome.html")
    unit = user.unit if prefix else None
    context = unit_table(unit)
    context["own_unit"] = unit
    return render(request, "web/units.html", context)


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(Unit, code=code)
    if not may_see_unit(request.user, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    context = unit_table(unit)
    context["own_unit"] = request.user.unit
    context["breadcrumbs"] = [u for u in context["breadcrumbs"] if may_see_unit(request.user, u)]
    return render(request, "web/units.html", context)
