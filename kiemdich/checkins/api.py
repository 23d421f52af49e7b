"""`/api/v1/stats`: checkpoint statistics by area (the table of seed 004) and idle checkpoints.

Thin: the figures come from checkins.stats, the files from checkins.exports, and who may see
which unit from accounts.access. Every endpoint needs a signed-in caller (the API's default).
"""

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kiemdich.api import ApiError, file_response
from kiemdich.geo.api import Page, visible_unit

from .exports import checkpoint_table_pdf, checkpoint_table_xlsx
from .stats import CheckpointTable, checkpoint_table, idle_checkpoints

router = Router(tags=["statistics"])


class TableQuery(Schema):
    unit: str = Field(max_length=10, description="Code of the province, district or commune.")
    date: dt.date | None = Field(
        None, description="Local date (YYYY-MM-DD) of the figures; today if absent."
    )


class IdleQuery(Schema):
    unit: str = Field(max_length=10, description="Code of the province, district or commune.")
    days: int = Field(7, ge=1, le=90, description="Length of the quiet period, in local days.")


class UnitRef(Schema):
    code: str
    name: str


class RowOut(Schema):
    code: str
    name: str = Field(description="Full name, e.g. 'Thị trấn Đức Phong'.")
    checkpoints: int = Field(description="Checkpoints that existed on the date.")
    scans: int = Field(description="Scans from 1 January of that year to the date, inclusive.")


class TotalOut(Schema):
    checkpoints: int
    scans: int


class TableOut(Schema):
    unit: UnitRef
    date: dt.date
    rows: list[RowOut] = Field(description="One per unit directly under `unit`, in code order.")
    total: TotalOut


class IdleOut(Schema):
    id: int
    name: str
    category: str
    commune_code: str = Field(alias="commune_id")
    address: str
    activated_at: dt.datetime


def table_for(request: HttpRequest, query: TableQuery) -> CheckpointTable:
    unit = visible_unit(request, query.unit)
    today = timezone.localdate()
    date = query.date or today
    if date > today:
        raise ApiError(422, _("The date is in the future."), "invalid")
    return checkpoint_table(unit, date)


def attachment(
    content: bytes, content_type: str, table: CheckpointTable, suffix: str
) -> HttpResponse:
    """A download named after the unit and date, so a folder of monthly reports sorts itself."""
    filename = f"diem-kiem-dich-{table.unit.slug}-{table.unit.code}-{table.date:%Y-%m-%d}.{suffix}"
    return file_response(content, content_type, filename)


@router.get(
    "/checkpoints",
    response=TableOut,
    url_name="stats_checkpoints",
    summary="Checkpoints and scans since 1 January, per unit under an area",
)
def checkpoints(request: HttpRequest, query: Query[TableQuery]):
    table = table_for(request, query)
    return {
        "unit": {"code": table.unit.code, "name": table.unit.full_name},
        "date": table.date,
        "rows": table.rows,
        "total": table.total,
    }


@router.get(
    "/checkpoints.xlsx",
    url_name="stats_checkpoints_xlsx",
    summary="The same table as an Excel file (A4, for reports)",
)
def checkpoints_xlsx(request: HttpRequest, query: Query[TableQuery]):
    table = table_for(request, query)
    return attachment(
        checkpoint_table_xlsx(table),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        table,
        "xlsx",
    )


@router.get(
    "/checkpoints.pdf",
    url_name="stats_checkpoints_pdf",
    summary="The same table as a PDF (A4, for reports)",
)
def checkpoints_pdf(request: HttpRequest, query: Query[TableQuery]):
    table = table_for(request, query)
    return attachment(checkpoint_table_pdf(table), "application/pdf", table, "pdf")


@router.get(
    "/checkpoints/idle",
    response=list[IdleOut],
    url_name="stats_idle_checkpoints",
    summary="Active checkpoints with no scan in the last `days` days",
)
@paginate(Page)
def idle(request: HttpRequest, query: Query[IdleQuery]):
    unit = visible_unit(request, query.unit)
    return idle_checkpoints(unit, timezone.localdate(), query.days)
