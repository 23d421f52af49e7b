"""`/api/v1/stats`: checkpoint statistics by area (the table of seed 004) and idle checkpoints;
`/api/v1/checkins`: scans, one at a time or in batches; `/api/v1/checkins/phone`: visitors
without a smartphone checked in by a code sent to their phone (checkins.phonecheck).

Thin: the figures come from checkins.stats, the files from checkins.exports, and who may see
which unit from accounts.access. Every endpoint needs a signed-in caller (the API's default).
"""

import datetime as dt
import json
import uuid
from collections import Counter
from typing import Literal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from kiemdich.accounts.audit import Read, record_reads
from kiemdich.core.auth import optional_caller
from kiemdich.core.errors import ApiError
from kiemdich.core.files import file_response
from kiemdich.core.pagination import Page
from kiemdich.geo.api import visible_unit
from kiemdich.official_docs import letterhead
from kiemdich.ratelimit import hit, retry_after, take
from kiemdich.venues.services import visible_or_404 as visible_venue

from . import phonecheck
from .exports import checkpoint_table_pdf, checkpoint_table_xlsx
from .services import (
    Entry,
    PersonDetails,
    Recorded,
    Scan,
    ScanRefused,
    fast_entry,
    record_scan,
    record_scan_batch,
)
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
        checkpoint_table_xlsx(table, letterhead(request.user, table.unit)),
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
    head = letterhead(request.user, table.unit)
    return attachment(checkpoint_table_pdf(table, head), "application/pdf", table, "pdf")


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


# /api/v1/checkins: scans from apps, the self check-in page and staff scanners

scans = Router(tags=["scans"])


# The scan inputs are plain pydantic models, not ninja Schemas: a Schema runs a Python root
# validator per object (for reading Django models), which cost a 1,000-scan batch about a
# third of its time in the server (bench/). They document alike; a value that is not an object
# where one is expected is one `model_type` error rather than a `missing` error per field.


class PersonIn(BaseModel):
    full_name: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    id_number: str = Field("", max_length=20)


class ScanIn(BaseModel):
    client_id: uuid.UUID = Field(
        description="Made by the device for this scan; sending it again never stores it twice."
    )
    venue: str = Field(max_length=500, description="The poster's QR: its URL or its payload.")
    direction: Literal["in", "out"] | None = Field(
        None, description="Entry or exit; absent: exit if the person is inside, else entry."
    )
    at: dt.datetime | None = Field(
        None, description="When it was scanned (ISO 8601 with offset); now if absent."
    )
    person_token: str = Field(
        "", max_length=200, description="From POST /declarations: the person scanning themself."
    )
    person_qr: str = Field(
        "", max_length=1000, description="Staff only: the personal or ID-card QR they scanned."
    )
    person: PersonIn | None = Field(None, description="Staff only: a visitor typed in.")
    source_app: str = Field("", max_length=40, description="e.g. bluezone, web, scanner.")


class BatchIn(BaseModel):
    items: list[ScanIn] = Field(min_length=1, max_length=1000)


class VenueRef(Schema):
    id: int
    name: str


class PersonShown(Schema):
    name: str = Field(description="Masked: what a scanner screen may show.")
    birth_year: int | None
    gender: str


class CheckinOut(Schema):
    id: int
    client_id: uuid.UUID
    direction: Literal["in", "out"]
    venue: VenueRef
    t_in: dt.datetime
    t_out: dt.datetime | None
    exit_estimated: bool = Field(description="No exit scan yet: t_out is the usual stay.")
    person: PersonShown | None


class ItemResult(Schema):
    client_id: uuid.UUID
    status: int = Field(description="201 stored, 200 replay of a stored scan, 4xx refused.")
    code: str
    detail: str
    checkin: CheckinOut | None


class BatchOut(Schema):
    results: list[ItemResult]
    stored: int
    replayed: int
    failed: int


def scan_limits(at: dt.datetime | None) -> list[str]:
    """The rate limits (settings.RATELIMITS) a single scan counts in: every one in "scan", one
    timed well before it arrives (an offline queue, or someone writing history) also in the
    tighter "scan-backdated"."""
    if at is not None and at.tzinfo is not None:
        age = timezone.now() - at
        if age.total_seconds() > settings.RATELIMIT_BACKDATED_AFTER:
            return ["scan", "scan-backdated"]
    return ["scan"]


def scan_from(item: ScanIn) -> Scan:
    return Scan(
        client_id=item.client_id,
        venue=item.venue,
        direction=item.direction,
        at=item.at,
        person_token=item.person_token,
        person_qr=item.person_qr,
        person=PersonDetails(**item.person.model_dump()) if item.person else None,
        source_app=item.source_app,
    )


#: How ninja's JSON encoder writes a time: it hands times to Django's encoder (milliseconds, "Z"
#: for UTC), after a chain of checks for other types that cost a batch a tenth of its time.
_json_time = DjangoJSONEncoder().default


def stored_entry_json(entry: Entry, client_id: str) -> str:
    """The answer to a stored entry (CheckinOut) as JSON text, written by format: the hottest
    response of the service (bench/), also given by the WSGI shortcut in checkins/fastpath.py.
    The text is the one ninja writes for the same check-in (tests hold them equal); building it
    as a dict for json.dumps cost a 1,000-scan batch a tenth of its time."""
    return (
        f'{{"id": {entry.id}, "client_id": "{client_id}", "direction": "in", '
        f'"venue": {{"id": {entry.venue_id}, "name": {json.dumps(entry.venue_name)}}}, '
        f'"t_in": "{_json_time(entry.t_in)}", "t_out": "{_json_time(entry.t_out)}", '
        '"exit_estimated": true, "person": null}'
    )


def _json_text(body: str, status: int) -> HttpResponse:
    """A response written without validating it against its schema again: the scan endpoints
    are the hottest of the service (bench/), and their bodies are built from typed values."""
    return HttpResponse(body, content_type="application/json", status=status)


def checkin_out(recorded: Recorded, client_id: uuid.UUID) -> dict:
    checkin, shown = recorded.checkin, recorded.shown
    return {
        "id": checkin.pk,
        "client_id": client_id,
        "direction": recorded.direction,
        "venue": {"id": checkin.venue.pk, "name": checkin.venue.name},
        "t_in": checkin.t_in,
        "t_out": checkin.t_out,
        "exit_estimated": checkin.t_out_auto,
        "person": (
            {"name": shown.name, "birth_year": shown.birth_year, "gender": shown.gender}
            if shown is not None
            else None
        ),
    }


def audit_shown(request: HttpRequest, actor, results) -> None:
    """Log each staff scan whose answer shows a visitor (masked name, birth year, gender)."""
    record_reads(
        actor,
        (
            Read(
                f"person {r.person.pk} scanned at checkpoint {r.checkin.venue_id}",
                subjects=[r.person.pk],
                unit=r.checkin.venue.commune_id,
                reason="staff scan",
                action="scan",
            )
            for r in results
            if isinstance(r, Recorded) and r.shown is not None and r.person is not None
        ),
        request,
    )


@scans.post(
    "",
    auth=None,
    response={200: CheckinOut, 201: CheckinOut},
    summary="Record one scan (entry or exit)",
    description=(
        "Public for people scanning themselves with their `person_token`; checkpoint staff "
        "(bearer token or session) may also send `person_qr`, `person`, or nothing (a vehicle "
        "passing a control post). 201: stored; 200: this client_id was stored before, and this "
        "is what was stored."
    ),
)
def record_one(request: HttpRequest, payload: ScanIn):
    hit(request, scan_limits(payload.at))  # once only, if checkins/fastpath.py counted it
    scan = scan_from(payload)
    entry = fast_entry(scan)
    if entry is not None:
        return _json_text(stored_entry_json(entry, str(scan.client_id)), 201)
    caller = optional_caller(request)
    recorded = record_scan(scan, caller)
    audit_shown(request, caller, [recorded])
    return HttpStatus(recorded.status, checkin_out(recorded, scan.client_id))


def _within_backdated_limit(request: HttpRequest, key: str | None, items: list[Scan], caller):
    """Record the batch's scans, its back-dated ones counted one by one in "scan-backdated" as
    single scans are: those beyond the limit are answered 429 and not stored (a scanner keeps
    them queued and sends them again after Retry-After), so a batch is no way around it."""
    backdated = sorted(
        (i for i, item in enumerate(items) if "scan-backdated" in scan_limits(item.at)),
        key=lambda i: items[i].at,
    )  # the earliest first, so an entry fits before its exit
    # Counted by address as single scans are, and for staff by user as well: one budget each.
    keys = (None, key) if key is not None else (None,)
    over = set(backdated[take(request, "scan-backdated", len(backdated), keys) :])
    if not over:
        return record_scan_batch(items, caller)
    limited = retry_after(request, "scan-backdated", key)
    refused = ScanRefused(429, "rate_limited", limited.detail)
    kept = [item for i, item in enumerate(items) if i not in over]
    stored = iter(record_scan_batch(kept, caller) if kept else ())
    return [refused if i in over else next(stored) for i in range(len(items))]


@scans.post(
    "/batch",
    auth=None,
    response=BatchOut,
    summary="Record up to 1,000 scans (an offline scanner's queue)",
    description=(
        "Each scan is judged on its own: `results` has one entry per item, in order. Scans are "
        "applied in scan-time order, so an entry and its exit may come together."
    ),
)
def record_batch(request: HttpRequest, payload: BatchIn):
    caller = optional_caller(request)
    # Staff scanners are counted per user (a checkpoint's staff may share a carrier's address).
    key = f"user:{caller.pk}" if caller.is_authenticated else None
    hit(request, ["scan-batch"], key=key)
    items = [scan_from(item) for item in payload.items]
    outcome = _within_backdated_limit(request, key, items, caller)
    audit_shown(request, caller, outcome)
    results: list[str] = []
    statuses: Counter[int] = Counter()
    for scan, result in zip(items, outcome, strict=True):
        statuses[result.status] += 1
        client_id = str(scan.client_id)
        if isinstance(result, ScanRefused):
            code, detail, checkin = result.code, result.message, None
        else:
            code, detail = ("stored" if result.status == 201 else "replayed"), ""
            if isinstance(result, Entry):
                # As json.dumps writes the dict below (tests hold them equal).
                results.append(
                    f'{{"client_id": "{client_id}", "status": {result.status}, "code": "{code}", '
                    f'"detail": "", "checkin": {stored_entry_json(result, client_id)}}}'
                )
                continue
            checkin = checkin_out(result, scan.client_id)
        result_body = {
            "client_id": client_id,
            "status": result.status,
            "code": code,
            "detail": detail,
            "checkin": checkin,
        }
        results.append(json.dumps(result_body, cls=NinjaJSONEncoder))
    stored, replayed = statuses[201], statuses[200]
    failed = len(results) - stored - replayed
    return _json_text(
        f'{{"results": [{", ".join(results)}], '
        f'"stored": {stored}, "replayed": {replayed}, "failed": {failed}}}',
        200,
    )


# /api/v1/checkins/phone: visitors without a smartphone, by a code sent to their phone
# (checkins.phonecheck has the rules; the page twin is checkins/phone_views.py).


class PhoneCheckIn(Schema):
    venue_id: int = Field(description="The checkpoint, where the caller may scan others.")
    phone: str = Field(max_length=20, description="The visitor's phone, as they say it.")


class PhoneCheckOut(Schema):
    id: int
    expires_at: dt.datetime
    detail: str = Field(
        description="The same whether or not the phone is known: a code goes out only to a "
        "phone someone declared with, and only its holder learns whether one came."
    )


class CodeIn(Schema):
    code: str = Field(max_length=12, description="The code the visitor read out.")
    direction: Literal["in", "out"] | None = Field(
        None, description="Entry or exit; absent: exit if the person is inside, else entry."
    )


class PickIn(Schema):
    person_ids: list[int] = Field(min_length=1, max_length=10)
    direction: Literal["in", "out"] | None = None


class PhonePersonOut(Schema):
    id: int
    name: str = Field(description="Masked, as a scanner shows it.")
    birth_year: int | None
    gender: str
    declared_at: dt.datetime = Field(description="Their latest declaration.")
    has_risk: bool = Field(description="It reports a symptom, a contact with a case or a trip.")


class PhoneCheckinOut(CheckinOut):
    declared_at: dt.datetime | None = Field(description="The declaration checked in with.")
    has_risk: bool


class PhoneOutcomeOut(Schema):
    people: list[PhonePersonOut] = Field(
        description="Several people declared with the phone: pick those present (…/checkin)."
    )
    checkins: list[PhoneCheckinOut]


def _staff_venue(request: HttpRequest, venue_id: int):
    return visible_venue(request.auth, venue_id)  # 404 out of reach; the service says 403


def phone_outcome(request: HttpRequest, outcome: phonecheck.Outcome):
    venue = outcome.check.venue
    record_reads(request.auth, phonecheck.reads(outcome, venue), request)
    people = [
        {
            "id": c.person.pk,
            "name": c.shown.name,
            "birth_year": c.shown.birth_year,
            "gender": c.shown.gender,
            "declared_at": c.declaration.created_at,
            "has_risk": c.declaration.has_risk,
        }
        for c in outcome.people
    ]
    checkins = []
    for recorded in outcome.recorded:
        declaration = outcome.declarations.get(recorded.person.pk) if recorded.person else None
        checkins.append(
            {
                **checkin_out(recorded, recorded.checkin.client_id),
                "declared_at": declaration.created_at if declaration else None,
                "has_risk": bool(declaration and declaration.has_risk),
            }
        )
    status = 201 if any(r.status == 201 for r in outcome.recorded) else 200
    return HttpStatus(status, {"people": people, "checkins": checkins})


@scans.post(
    "/phone",
    response={202: PhoneCheckOut},
    summary="Send a code to a visitor's phone (staff; visitors without a smartphone)",
    description=(
        "If someone declared with the phone, an SMS with a code goes to it through the outbox; "
        "the answer is the same either way (202). Then POST the code the visitor reads out to "
        "/phone/{id}/confirm. Limited per staff account (`phone-code`) and per phone number "
        "(`phone-code-phone`)."
    ),
)
def phone_start(request: HttpRequest, payload: PhoneCheckIn):
    _staff_venue(request, payload.venue_id)
    phone = phonecheck.clean_phone(payload.phone)
    hit(request, ["phone-code"], key=f"user:{request.auth.pk}")
    hit(request, ["phone-code-phone"], key=f"phone:{phone}")
    check = phonecheck.start(request.auth, payload.venue_id, phone)
    detail = _("If this phone has a health declaration, a code was sent to it by SMS.")
    return HttpStatus(202, {"id": check.pk, "expires_at": check.expires_at, "detail": detail})


@scans.post(
    "/phone/{check_id}/confirm",
    response={200: PhoneOutcomeOut, 201: PhoneOutcomeOut},
    summary="Confirm the code; the phone's person is checked in",
    description=(
        "201: the phone's one person was checked in with their latest declaration (`checkins`). "
        "200 with `people`: several people declared with it, pick with /phone/{id}/checkin; "
        "200 with `checkins`: confirmed before, nothing stored again. 422 on `code`: wrong, "
        "with the tries left; 410 `code_expired` or `code_spent`: send a new code; 404: "
        "another account's code."
    ),
)
def phone_confirm(request: HttpRequest, check_id: int, payload: CodeIn):
    outcome = phonecheck.confirm(request.auth, check_id, payload.code, payload.direction)
    return phone_outcome(request, outcome)


@scans.post(
    "/phone/{check_id}/checkin",
    response={200: PhoneOutcomeOut, 201: PhoneOutcomeOut},
    summary="Check in the people picked among a confirmed phone's",
)
def phone_check_in(request: HttpRequest, check_id: int, payload: PickIn):
    outcome = phonecheck.check_in(request.auth, check_id, payload.person_ids, payload.direction)
    return phone_outcome(request, outcome)
