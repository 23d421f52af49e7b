"""`/api/v1/monitoring`: people under quarantine or isolation, their daily reports, transfers
and closure.

Officials (roles that work with personal data) list and act inside their area, each read of a
list audit-logged. A daily report also comes from the person without an account: the signed
link's token in `X-Report-Token` (what the reminder SMS carries), or the phone's person token in
`X-Person-Token` for oneself or a family member (a household head); those are rate-limited.
"""

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate

from kiemdich.accounts.access import may_see_unit, visible_or_404, works_with_personal_data
from kiemdich.accounts.audit import Read, common_unit, record_read, record_reads
from kiemdich.core.auth import optional_caller
from kiemdich.core.errors import ApiError
from kiemdich.core.pagination import AuditedPage
from kiemdich.declarations.models import Person
from kiemdich.declarations.services import person_for_token
from kiemdich.geo.models import Unit
from kiemdich.ratelimit import hit
from kiemdich.tracing.services import find_person

from . import services, stats
from .links import monitoring_for_token
from .models import Facility, Monitoring, Reporter, Transfer

router = Router(tags=["monitoring"])

RegimeName = Literal["centralized", "home_quarantine", "home_isolation", "self_monitoring"]
SymptomName = Literal["fever", "cough", "shortness_of_breath", "sore_throat", "loss_of_taste_smell"]


def _official(request: HttpRequest):
    if not works_with_personal_data(request.user):
        raise PermissionDenied(_("Monitoring is for health workers and officials of an area."))
    return request.user


def _monitoring(request: HttpRequest, monitoring_id: int) -> Monitoring:
    return visible_or_404(
        Monitoring.objects.select_related("person", "commune"),
        _official(request),
        pk=monitoring_id,
    )


class MonitoringIn(Schema):
    person_id: int | None = Field(None, description="A person of your area, by id")
    person_token: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=20)
    regime: RegimeName
    exposure_at: dt.datetime = Field(description="The last exposure: the period counts from it")
    exposure_continues: bool = False
    facility_id: int | None = None
    commune_code: str = Field("", max_length=10, description="Default: the person's commune")
    team: str = Field("", max_length=120)
    source: Literal["tracing", "declaration", "hotline", "manual"] = "manual"
    source_ref: str = Field("", max_length=40)
    reminder_hour: int = Field(8, ge=0, le=23)


class MonitoringOut(Schema):
    id: int
    person_id: int
    full_name: str = Field(alias="person.full_name")
    phone: str = Field(alias="person.phone")
    regime: str
    facility_id: int | None
    exposure_at: dt.datetime
    period_days: int
    exposure_continues: bool
    ends_at: dt.datetime | None
    commune_code: str = Field(alias="commune_id")
    team: str
    source: str
    source_ref: str
    reminder_hour: int
    state: str
    close_reason: str
    closed_at: dt.datetime | None
    last_report_at: dt.datetime | None
    not_reporting_since: dt.datetime | None
    symptomatic_since: dt.datetime | None
    last_outcome: str


class MonitoringFilter(Schema):
    unit: str = Field("", max_length=10, description="A unit of your area (default: all of it)")
    show: Literal["", "not_reported_today", "not_reporting", "symptomatic", "ending_today"] = ""


class DailyReportIn(Schema):
    symptoms: list[SymptomName] = Field(default_factory=list, max_length=5)
    temperature: Decimal | None = Field(None, ge=34, le=43, decimal_places=1)
    reporter: Literal["self", "household", "team_call", "team_visit"] | None = Field(
        None, description="Officials: team_call or team_visit (default team_call)"
    )
    outcome: Literal["seen_well", "seen_unwell", "not_reached"] | None = None
    client_id: uuid.UUID | None = Field(None, description="Sent again: the same report (200)")


class DailyReportOut(Schema):
    id: int
    monitoring_id: int
    date: dt.date
    symptoms: list[str]
    temperature: Decimal | None
    reporter: str
    outcome: str
    created_at: dt.datetime
    symptomatic: bool = Field(alias="is_symptomatic")


class TransferIn(Schema):
    to_commune: str = Field(max_length=10)


class TransferOut(Schema):
    id: int
    monitoring_id: int
    from_commune: str = Field(alias="from_commune_id")
    to_commune: str = Field(alias="to_commune_id")
    requested_at: dt.datetime
    accepted_at: dt.datetime | None


class CloseIn(Schema):
    reason: Literal["completed", "negative", "became_case", "transferred_out", "lost"]


class ClosedOut(MonitoringOut):
    case_id: int | None = Field(None, description="The tracing case of someone who became one")


class FiguresOut(Schema):
    under: int
    reported_today: int
    not_reporting: int
    symptomatic: int
    ending_today: int


class DashboardOut(Schema):
    unit: str
    date: dt.date
    total: FiguresOut
    rows: list[dict]
    by_regime: dict[str, int]
    facilities: list[dict]


def _unit(request: HttpRequest, code: str) -> Unit:
    user = _official(request)
    unit = Unit.objects.filter(code=code).first() if code else user.unit
    if unit is None:
        unit = Unit.objects.provinces().first()
    if unit is None or not may_see_unit(user, unit):
        raise Http404(_("Not found."))
    return unit


@router.get(
    "",
    response=list[MonitoringOut],
    summary="People under monitoring in your area (personal data: each read is logged)",
)
@paginate(AuditedPage)
def list_monitorings(request: HttpRequest, filters: Query[MonitoringFilter]):
    user = _official(request)
    qs = Monitoring.objects.visible_to(user)
    if filters.unit:
        qs = qs.filter(commune__path__startswith=_unit(request, filters.unit).path)
    read = Read(
        "monitoring list", unit=filters.unit or user.unit_id or "", reason="monitoring list"
    )
    request.audit_page = lambda rows: record_reads(
        request.user,
        [
            replace(
                read,
                subjects=[m.person_id for m in rows],
                unit=read.unit or common_unit(m.commune_id for m in rows),
            )
        ],
        request,
    )
    return stats.follow_up(qs, filters.show)


@router.post(
    "",
    response={201: MonitoringOut, 200: MonitoringOut},
    summary="Put someone under monitoring (200: they already are, unchanged)",
)
def create_monitoring(request: HttpRequest, payload: MonitoringIn):
    user = _official(request)
    if payload.person_id is not None:
        person = get_object_or_404(Person.objects.visible_to(user), pk=payload.person_id)
    else:
        person = find_person(
            user,
            person_token=payload.person_token,
            phone=payload.phone,
            id_number=payload.id_number,
        )
    facility = None
    if payload.facility_id is not None:
        facility = Facility.objects.visible_to(user).filter(pk=payload.facility_id).first()
        if facility is None:
            raise services.MonitoringError("facility_id", _("Unknown facility."))
    commune = None
    if payload.commune_code:
        commune = Unit.objects.filter(code=payload.commune_code).first()
        if commune is None:
            raise services.MonitoringError("commune_code", _("Unknown commune code."))
    monitoring, created = services.enrol(
        user,
        person,
        regime=payload.regime,
        exposure_at=payload.exposure_at,
        exposure_continues=payload.exposure_continues,
        facility=facility,
        commune=commune,
        team=payload.team,
        source=payload.source,
        source_ref=payload.source_ref,
        reminder_hour=payload.reminder_hour,
    )
    record_read(
        user,
        f"monitoring {monitoring.pk}",
        subjects=[person.pk],
        action="record",
        unit=monitoring.commune,
        request=request,
    )
    return HttpStatus(201 if created else 200, monitoring)


@router.get("/dashboard", response=DashboardOut, summary="Figures of a unit, per unit below it")
def dashboard(request: HttpRequest, unit: str = ""):
    board = stats.dashboard(_unit(request, unit))
    return {
        "unit": board.unit.code,
        "date": board.today,
        "total": board.total,
        "rows": [
            {"code": child.code, "name": child.full_name, **vars(f)} for child, f in board.rows
        ],
        "by_regime": {value: n for value, _label, n in board.by_regime},
        "facilities": [
            {
                "id": f.pk,
                "name": f.name,
                "commune": f.commune_id,
                "occupancy": f.occupancy,
                "capacity": f.capacity,
            }
            for f in board.facilities
        ],
    }


@router.get("/{monitoring_id}", response=MonitoringOut, summary="One monitoring")
def get_monitoring(request: HttpRequest, monitoring_id: int):
    monitoring = _monitoring(request, monitoring_id)
    record_read(
        request.user,
        f"monitoring {monitoring.pk}",
        subjects=[monitoring.person_id],
        unit=monitoring.commune,
        reason="monitoring",
        request=request,
    )
    return monitoring


def _reporting(request: HttpRequest, monitoring_id: int) -> tuple[Monitoring, str, object]:
    """Who reports, and as whom: the signed link's token (the person), the phone's person token
    (oneself or a family member), else a signed-in official (a call or visit)."""
    link = request.headers.get("X-Report-Token", "")
    phone_token = request.headers.get("X-Person-Token", "")
    if link or phone_token:
        hit(request, ["monitoring-report"])
        if link:
            monitoring = monitoring_for_token(link)
            if monitoring is None or monitoring.pk != monitoring_id:
                raise ApiError(401, _("This link is not valid."), "unauthorized")
            return monitoring, Reporter.SELF, None
        person = person_for_token(phone_token)
        if person is None:
            raise ApiError(401, _("This phone's declaration is not recognised."), "unauthorized")
        family = Person.objects.family_of(person).values("pk")
        monitoring = Monitoring.objects.filter(
            Q(person=person) | Q(person_id__in=family), pk=monitoring_id
        ).first()
        if monitoring is None:
            raise Http404(_("Not found."))
        return (
            monitoring,
            (Reporter.SELF if monitoring.person_id == person.pk else Reporter.HOUSEHOLD),
            None,
        )
    caller = optional_caller(request)
    request.user = caller
    monitoring = _monitoring(request, monitoring_id)
    return monitoring, Reporter.TEAM_CALL, caller


@router.post(
    "/{monitoring_id}/reports",
    auth=None,
    response={201: DailyReportOut, 200: DailyReportOut},
    summary="A day's report: by the person (X-Report-Token or X-Person-Token) or a team member",
)
def create_report(request: HttpRequest, monitoring_id: int, payload: DailyReportIn):
    monitoring, reporter, official = _reporting(request, monitoring_id)
    if official is None and payload.reporter in ("team_call", "team_visit"):
        raise services.MonitoringError("reporter", _("Only a team member records a call or visit."))
    if official is not None:
        reporter = payload.reporter or reporter
        if reporter not in services.TEAM_REPORTERS:
            raise services.MonitoringError("reporter", _("A team member records a call or visit."))
    report, created = services.record_report(
        monitoring,
        reporter=reporter,
        symptoms=payload.symptoms,
        temperature=payload.temperature,
        outcome=payload.outcome or "",
        recorded_by=official,
        client_id=payload.client_id,
    )
    return HttpStatus(201 if created else 200, report)


@router.post(
    "/{monitoring_id}/transfer",
    response={201: TransferOut},
    summary="Hand the person over to another commune of the province (it accepts)",
)
def transfer(request: HttpRequest, monitoring_id: int, payload: TransferIn):
    monitoring = _monitoring(request, monitoring_id)
    to = Unit.objects.filter(code=payload.to_commune).first()
    if to is None:
        raise services.MonitoringError("to_commune", _("Unknown commune code."))
    return HttpStatus(201, services.request_transfer(request.user, monitoring, to))


@router.post(
    "/transfers/{transfer_id}/accept",
    response=TransferOut,
    summary="The receiving commune takes the person over",
)
def accept(request: HttpRequest, transfer_id: int):
    found = visible_or_404(
        Transfer.objects.select_related("monitoring", "to_commune"),
        _official(request),
        pk=transfer_id,
    )
    return services.accept_transfer(request.user, found)


@router.post(
    "/{monitoring_id}/close",
    response=ClosedOut,
    summary="Close with a reason (became_case: recorded as a case in tracing)",
)
def close(request: HttpRequest, monitoring_id: int, payload: CloseIn):
    monitoring = _monitoring(request, monitoring_id)
    case = services.close(request.user, monitoring, payload.reason)
    record_read(
        request.user,
        f"monitoring {monitoring.pk} closed",
        subjects=[monitoring.person_id],
        action="close",
        unit=monitoring.commune_id,
        request=request,
    )
    monitoring.case_id = case.pk if case else None
    return monitoring
