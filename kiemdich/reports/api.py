"""`/api/v1/reports`: a unit sends its daily figures; a district or province reads who has.

Thin: the rules (who may send, late or not, who is expected) live in reports.services and the
area checks in accounts.access, so the API and the page answer alike. Every endpoint needs a
signed-in caller (the API's default).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from kiemdich.core.errors import ApiError
from kiemdich.geo.api import unit_or_404, visible_unit

from .forms import MAX_COUNT
from .models import DailyReport
from .services import Figures, Overview, overview, stored_doubts, submit

router = Router(tags=["reports"])


class ReportIn(Schema):
    unit: str = Field(max_length=10, description="Code of the commune or district reporting.")
    date: dt.date | None = Field(None, description="Local date of the figures; today if absent.")
    installs: int = Field(ge=0, le=MAX_COUNT, description="Installs in the unit, cumulative.")
    smartphone_users: int | None = Field(None, ge=0, le=MAX_COUNT)
    venues: int | None = Field(None, ge=0, le=MAX_COUNT, description="Checkpoints.")
    scans: int | None = Field(None, ge=0, le=MAX_COUNT, description="Scans on that day.")
    note: str = Field("", max_length=2000)
    status: Literal["sent", "draft"] = Field(
        "sent", description="'draft' stores the figures without sending them up."
    )
    confirm_implausible: bool = Field(
        False,
        description=(
            "true: send figures refused as implausible (422 `implausible`, naming each field in "
            "doubt) anyway; they are stored flagged for the district and the province."
        ),
    )


class DoubtOut(Schema):
    field: str = Field(description="The figure in doubt: installs, smartphone_users, ...")
    value: int
    against: str = Field(
        description="smartphone_users or population (it exceeds them), or previous (a jump "
        "against the unit's previous report)."
    )
    limit: int = Field(description="The denominator, or the previous report's figure.")
    since: dt.date | None = Field(description="Date of that previous report.")
    message: str


class ReportOut(Schema):
    unit: str = Field(alias="unit_id")
    date: dt.date
    installs: int
    smartphone_users: int | None
    venues: int | None
    scans: int | None
    note: str
    status: str
    submitted_at: dt.datetime | None = Field(description="When it was first sent.")
    late: bool = Field(description="First sent after the deadline of that date.")
    implausible: bool = Field(
        description="Sent with figures in doubt, confirmed by the sender (`doubts` says which)."
    )
    doubts: list[DoubtOut]

    @staticmethod
    def resolve_doubts(obj: DailyReport) -> list[dict]:
        return [
            {
                "field": d.field,
                "value": d.value,
                "against": d.against,
                "limit": d.limit,
                "since": d.since,
                "message": d.message,
            }
            for d in stored_doubts(obj)
        ]


class DailyQuery(Schema):
    unit: str = Field(max_length=10, description="Code of a province, district or commune.")
    date: dt.date | None = Field(None, description="Local date; today if absent.")


class ChildOut(Schema):
    code: str
    name: str
    expected: bool = Field(description="Has an officer account, so it is asked to report.")
    state: str = Field(description="on_time, late, draft, waiting, missing or not_expected.")
    flagged: bool = Field(description="Flagged (and its officers reminded) at the deadline.")
    implausible_below: int = Field(
        description="Sent reports of units under it whose figures were confirmed although "
        "implausible (a province's view of its districts' communes)."
    )
    report: ReportOut | None


class ReportTotalOut(Schema):
    installs: int
    smartphone_users: int | None
    venues: int | None
    scans: int | None


class DailyOut(Schema):
    unit: str
    name: str
    date: dt.date
    deadline: dt.datetime | None = Field(description="When the units under it were due.")
    rows: list[ChildOut] = Field(description="Every unit directly under it, in code order.")
    total: ReportTotalOut = Field(description="Sum of the sent reports among `rows`.")
    counts: dict[str, int]
    report: ReportOut | None = Field(description="The unit's own report, if any.")
    state: str | None = Field(description="State of its own report; null for a province.")


def as_out(view: Overview) -> dict:
    return {
        "unit": view.unit.code,
        "name": view.unit.full_name,
        "date": view.date,
        # In UTC: a local time of a distant year carries a seconds offset (LMT) no client parses.
        "deadline": view.deadline.astimezone(dt.UTC) if view.deadline else None,
        "rows": [
            {
                "code": r.unit.code,
                "name": r.unit.full_name,
                "expected": r.expected,
                "state": r.state,
                "flagged": r.flagged,
                "implausible_below": r.implausible_below,
                "report": r.report,
            }
            for r in view.rows
        ],
        "total": view.total.as_dict(),
        "counts": view.counts,
        "report": view.report,
        "state": view.own_state,
    }


@router.post(
    "/daily",
    response={200: ReportOut, 201: ReportOut},
    url_name="reports_daily_send",
    summary="Send (or correct) a unit's daily report; idempotent per unit and date",
)
def send_daily(request: HttpRequest, body: ReportIn):
    unit = unit_or_404(body.unit)
    date = body.date or timezone.localdate()
    figures = Figures(
        installs=body.installs,
        smartphone_users=body.smartphone_users,
        venues=body.venues,
        scans=body.scans,
    )
    try:
        report, created = submit(
            request.user,
            unit,
            date,
            figures,
            body.note,
            send=body.status == DailyReport.Status.SENT,
            confirm_implausible=body.confirm_implausible,
        )
    except PermissionDenied:
        raise ApiError(
            403, _("You may not send the daily report of this unit."), "forbidden"
        ) from None
    except ValidationError as exc:
        detail = [
            {"loc": ["body", name], "msg": str(message)}
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
        raise ApiError(422, detail, "invalid") from None
    return HttpStatus(201 if created else 200, report)


@router.get(
    "/daily",
    response=DailyOut,
    url_name="reports_daily",
    summary="Who under a unit has sent the day's report, with their figures and the total",
)
def daily(request: HttpRequest, query: Query[DailyQuery]):
    unit = visible_unit(request, query.unit)
    today = timezone.localdate()
    date = query.date or today
    if date > today:
        raise ApiError(422, _("The date is in the future."), "invalid")
    return as_out(overview(unit, date))
