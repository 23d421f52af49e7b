"""`/api/v1/installs` (apps register installs) and `/api/v1/adoption` (rates per unit).

The rates come from `figures.dashboard`, the same call behind the page and its exports, so the
API, the page and the Excel file show the same numbers.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from kiemdich.core.errors import ApiError
from kiemdich.geo.api import visible_unit
from kiemdich.geo.models import Level, Unit
from kiemdich.orgs.models import Organization
from kiemdich.ratelimit import hit

from . import figures
from . import installs as install_service
from .models import App, Platform

router = Router(tags=["adoption"])
installs = Router(tags=["adoption"])


class InstallIn(Schema):
    install_id: str = Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="The app's own id of this install; sending it again never counts twice.",
    )
    app: App
    platform: Platform
    commune_code: str = Field(max_length=10, description="Where the phone's owner lives.")
    organization_code: str = Field(
        "", max_length=40, description="The person's organization, if they gave its code."
    )
    uninstalled: bool = Field(False, description="True to report that the app was removed.")


class InstallOut(Schema):
    app: str
    install_id: str
    outcome: install_service.Outcome = Field(
        description="counted (+1), removed (-1) or unchanged (a repeat: the count did not move)."
    )


@installs.post(
    "",
    auth=None,
    response={200: InstallOut, 201: InstallOut},
    summary="Register an install (or an uninstall) of an app",
)
def register_install(request: HttpRequest, payload: InstallIn):
    hit(request, ["install"])
    commune = Unit.objects.filter(code=payload.commune_code, level=Level.COMMUNE).first()
    if commune is None:
        raise ApiError(
            422,
            _("No commune with code %(code)s.") % {"code": payload.commune_code},
            "unknown_commune",
        )
    organization = None
    if payload.organization_code:
        organization = Organization.objects.filter(code=payload.organization_code).first()
        if organization is None:
            raise ApiError(
                422,
                _("No organization with code %(code)s.") % {"code": payload.organization_code},
                "unknown_organization",
            )
    result = install_service.register(
        app=payload.app,
        install_id=payload.install_id,
        platform=payload.platform,
        commune=commune,
        organization=organization,
        uninstalled=payload.uninstalled,
    )
    body = {"app": payload.app, "install_id": payload.install_id, "outcome": result.outcome}
    new = result.outcome == install_service.Outcome.COUNTED
    return HttpStatus(201 if new else 200, body)


class AdoptionFilter(Schema):
    unit: str | None = Field(
        None, max_length=10, description="Unit code; your own area when absent."
    )
    date: dt.date | None = Field(
        None, description="Figures as of this day; the newest day with figures when absent."
    )


class AdoptionTargetOut(Schema):
    name: str
    threshold: float = Field(description="Percentage to reach.")
    deadline: dt.date


class AdoptionRowOut(Schema):
    code: str
    name: str
    smartphone_users: int | None
    installs: int
    rate: float | None = Field(description="installs / smartphone_users in %, two decimals.")
    imported: bool = Field(description="The install count is an imported figure, not a sum.")
    target: float | None = Field(None, description="The % this unit must reach (its own target).")
    gap: int | None = Field(None, description="Installs missing to reach the target.")
    per_day: float | None = Field(None, description="New installs per day, last 7 days.")
    reaches_on: dt.date | None = Field(None, description="When it reaches the target at that pace.")
    needed_per_day: int | None = Field(None, description="Installs per day to make the deadline.")
    history: list[int] = Field(description="Installs on each of `dates`.")


class AdoptionOut(Schema):
    unit: str | None
    name: str
    date: dt.date
    dates: list[dt.date]
    target: AdoptionTargetOut | None
    rows: list[AdoptionRowOut]
    total: AdoptionRowOut


def row_out(row: figures.Row) -> dict:
    pace = row.pace
    return {
        "code": row.code,
        "name": row.name,
        "smartphone_users": row.smartphone_users,
        "installs": row.installs,
        "rate": float(row.rate) if row.rate is not None else None,
        "imported": row.imported,
        "target": float(row.target.threshold) if row.target else None,
        "gap": pace.gap if pace else None,
        "per_day": pace.per_day if pace else None,
        "reaches_on": pace.reaches_on if pace else None,
        "needed_per_day": pace.needed_per_day if pace else None,
        "history": row.history,
    }


def dashboard_out(board: figures.Dashboard) -> dict:
    target = board.target
    return {
        "unit": board.unit.code if board.unit else None,
        "name": board.total.full_name,
        "date": board.date,
        "dates": board.dates,
        "target": (
            {"name": target.name, "threshold": float(target.threshold), "deadline": target.deadline}
            if target
            else None
        ),
        "rows": [row_out(r) for r in board.rows],
        "total": row_out(board.total),
    }


def area_unit(request: HttpRequest, code: str | None) -> Unit | None:
    """The unit asked for (404/403 as for every unit), else the caller's own area (None: the
    whole country, for a superuser)."""
    if code:
        return visible_unit(request, code)
    user = request.user
    if user.is_superuser:
        return None
    if user.unit_id is None or not getattr(user, "is_area_staff", False):
        raise ApiError(403, _("Only officials with an area see install rates."), "forbidden")
    return user.unit


@router.get("", response=AdoptionOut, summary="Install rates of a unit and of each unit under it")
def adoption(request: HttpRequest, filters: Query[AdoptionFilter]):
    unit = area_unit(request, filters.unit)
    date = filters.date or figures.latest_date(unit)
    if date > timezone.localdate():
        raise ApiError(422, _("The date is in the future."), "future_date")
    if date.year < 2000:
        raise ApiError(422, _("No figures before the year 2000."), "too_old")
    return dashboard_out(figures.dashboard(unit, date))
