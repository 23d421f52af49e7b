"""`/api/v1/units`: the administrative units (public) and their figures (by area)."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kiemdich.accounts.access import may_see_unit
from kiemdich.core.pagination import Page

from .models import Level, Unit, UnitStat

router = Router(tags=["units"])


class UnitOut(Schema):
    code: str
    name: str = Field(description="Name without the type prefix, e.g. 'Bù Đăng'.")
    full_name: str = Field(description="Name with the type prefix, e.g. 'Huyện Bù Đăng'.")
    kind: str
    level: int = Field(description="1 province, 2 district, 3 commune.")
    parent_code: str | None = Field(None, alias="parent_id")


class UnitFilter(Schema):
    parent: str | None = Field(
        None, max_length=10, description="List the children of this unit; provinces if absent."
    )
    level: Level | None = None


class UnitStatOut(Schema):
    date: dt.date
    population: int | None
    smartphone_users: int | None


@router.get("", response=list[UnitOut], auth=None, summary="List administrative units")
@paginate(Page)
def list_units(request: HttpRequest, filters: Query[UnitFilter]):
    qs = Unit.objects.all()
    if filters.parent:
        unit_or_404(filters.parent)
        qs = qs.filter(parent_id=filters.parent)
    elif filters.level is None:
        qs = qs.filter(level=Level.PROVINCE)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    return qs.order_by("code")


def unit_or_404(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist:
        raise Http404(_("No administrative unit with code %(code)s.") % {"code": code}) from None


def visible_unit(request: HttpRequest, code: str) -> Unit:
    """The unit if the caller's area covers it: 404 if unknown, 403 if outside the area."""
    unit = unit_or_404(code)
    if not may_see_unit(request.user, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    return unit


@router.get("/{code}", response=UnitOut, auth=None, summary="One administrative unit")
def get_unit(request: HttpRequest, code: str):
    return unit_or_404(code)


@router.get(
    "/{code}/stats",
    response=list[UnitStatOut],
    summary="A unit's population and smartphone users over time (newest first)",
)
@paginate(Page)
def unit_stats(request: HttpRequest, code: str):
    unit = visible_unit(request, code)
    return UnitStat.objects.filter(unit=unit).order_by("-date")
