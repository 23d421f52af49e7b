"""`/api/v1/tickets` (the hotline's operators and the agencies) and `/api/v1/stats/hotline`.

Officials fetch tickets through the gate (`visible_or_404`); each ticket read is audit-logged,
as it carries the caller's phone and what they said. The public's intake and status lookup is
the Open311 API (open311.py), with no personal data in it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from kiemdich.accounts.access import (
    may_act_for_agency,
    may_operate_hotline,
    may_see_unit,
    may_work_ticket,
    visible_or_404,
)
from kiemdich.accounts.audit import record_read
from kiemdich.core.errors import ApiError, FieldError
from kiemdich.geo.models import Unit

from . import reading, services
from .models import Agency, Category, Channel, Ticket

router = Router(tags=["hotline"])
stats = Router(tags=["hotline"])


class TicketIn(Schema):
    caller_phone: str = Field("", max_length=30, description="optional: callers may stay anonymous")
    channel: Literal[tuple(Channel.values)] = Field(Channel.CALL, description="how it came in")
    category: Literal[tuple(Category.values)]
    commune_code: str = Field(max_length=10)
    location: str = Field("", max_length=300)
    description: str = Field(max_length=5000)
    received_at: dt.datetime | None = Field(
        None, description="when the call came in (default now; up to 24 hours back)"
    )
    public: bool = Field(False, description="the caller agrees to the report being shown")


class AgencyOut(Schema):
    id: int
    name: str
    kind: str


class EventOut(Schema):
    at: dt.datetime
    kind: str
    agency: str | None
    by: str | None
    note: str


class SegmentOut(Schema):
    agency: str
    assigned_at: dt.datetime
    acknowledged_at: dt.datetime | None
    released_at: dt.datetime | None


class TicketOut(Schema):
    id: int
    number: str
    received_at: dt.datetime
    due_at: dt.datetime
    first_response_due_at: dt.datetime
    limit_minutes: int
    status: str
    agency: AgencyOut | None
    channel: str
    category: str
    commune_code: str
    location: str
    description: str
    caller_phone: str
    public: bool
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    minutes_used: int | None
    reopened: bool
    moves: int
    venue_id: int | None
    case_id: int | None
    segments: list[SegmentOut]
    history: list[EventOut]


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReassignIn(Schema):
    agency_id: int
    note: str = Field("", max_length=2000)


def ticket_out(ticket: Ticket) -> dict:
    """The ticket as the API and the pages' JSON give it to officials."""
    agency = ticket.agency
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "received_at": ticket.received_at,
        "due_at": ticket.due_at,
        "first_response_due_at": ticket.first_response_due_at,
        "limit_minutes": ticket.limit_minutes,
        "status": ticket.status,
        "agency": agency and {"id": agency.pk, "name": agency.name, "kind": agency.kind},
        "channel": ticket.channel,
        "category": ticket.category,
        "commune_code": ticket.commune_id,
        "location": ticket.location,
        "description": ticket.description,
        "caller_phone": ticket.caller_phone,
        "public": ticket.public,
        "acknowledged_at": ticket.acknowledged_at,
        "resolved_at": ticket.resolved_at,
        "outcome": ticket.outcome,
        "minutes_used": ticket.minutes_used,
        "reopened": ticket.reopened,
        "moves": ticket.moves,
        "venue_id": ticket.venue_id,
        "case_id": ticket.case_id,
        "segments": [
            {
                "agency": s.agency.name,
                "assigned_at": s.assigned_at,
                "acknowledged_at": s.acknowledged_at,
                "released_at": s.released_at,
            }
            for s in ticket.segments.select_related("agency")
        ],
        "history": [
            {
                "at": e.at,
                "kind": e.kind,
                "agency": e.agency.name if e.agency else None,
                "by": e.actor.username if e.actor else None,
                "note": e.note,
            }
            for e in ticket.events.select_related("agency", "actor")
        ],
    }


def audit_ticket(request: HttpRequest, ticket: Ticket, action: str = "view") -> None:
    """An official read a ticket: its caller's phone and report."""
    record_read(
        request.user,
        f"hotline ticket {ticket.number}",
        action=action,
        unit=ticket.commune,
        reason="hotline 1022",
        request=request,
    )


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return visible_or_404(
        Ticket.objects.select_related("commune", "agency"), request.user, pk=ticket_id
    )


def _answer(request: HttpRequest, ticket: Ticket, action: str) -> dict:
    audit_ticket(request, ticket, action)
    return ticket_out(ticket)


@router.post("", response={201: TicketOut}, summary="Log a report (hotline operators)")
def create_ticket(request: HttpRequest, payload: TicketIn):
    if not may_operate_hotline(request.user):
        raise PermissionDenied(_("Only the hotline's operators log reports."))
    ticket = services.receive(services.Report(**payload.dict()), actor=request.user)
    return HttpStatus(201, _answer(request, ticket, "record"))


@router.get("/{int:ticket_id}", response=TicketOut, summary="One ticket, with its history")
def get_ticket(request: HttpRequest, ticket_id: int):
    return _answer(request, _ticket(request, ticket_id), "view")


def _agency_step(request: HttpRequest, ticket: Ticket) -> None:
    if not (
        may_act_for_agency(request.user, ticket.agency) or may_work_ticket(request.user, ticket)
    ):
        raise PermissionDenied(_("Only the agency holding the ticket, or the hotline, does this."))


@router.post("/{int:ticket_id}/acknowledge", response=TicketOut, summary="The agency takes it up")
def acknowledge(request: HttpRequest, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    if not may_act_for_agency(request.user, ticket.agency):
        raise PermissionDenied(_("Only the agency holding the ticket acknowledges it."))
    return _answer(request, services.acknowledge(ticket, request.user), "acknowledge")


@router.post("/{int:ticket_id}/note", response=TicketOut, summary="Add a note to the history")
def note(request: HttpRequest, ticket_id: int, payload: NoteIn):
    ticket = _ticket(request, ticket_id)
    _agency_step(request, ticket)
    return _answer(request, services.add_note(ticket, request.user, payload.note), "note")


@router.post("/{int:ticket_id}/resolve", response=TicketOut, summary="Resolved: stop the clock")
def resolve(request: HttpRequest, ticket_id: int, payload: NoteIn):
    ticket = _ticket(request, ticket_id)
    _agency_step(request, ticket)
    return _answer(request, services.resolve(ticket, request.user, payload.note), "resolve")


@router.post("/{int:ticket_id}/return", response=TicketOut, summary="Not ours: back to the hotline")
def return_to_hotline(request: HttpRequest, ticket_id: int, payload: NoteIn):
    ticket = _ticket(request, ticket_id)
    if not may_act_for_agency(request.user, ticket.agency):
        raise PermissionDenied(_("Only the agency holding the ticket returns it."))
    updated = services.return_to_hotline(ticket, request.user, payload.note)
    return _answer(request, updated, "return")


def _worked(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = _ticket(request, ticket_id)
    if not may_work_ticket(request.user, ticket):
        raise PermissionDenied(_("Only the hotline's operators and supervisors do this."))
    return ticket


@router.post("/{int:ticket_id}/reassign", response=TicketOut, summary="Send to another agency")
def reassign(request: HttpRequest, ticket_id: int, payload: ReassignIn):
    ticket = _worked(request, ticket_id)
    agency = Agency.objects.visible_to(request.user).filter(pk=payload.agency_id).first()
    if agency is None:
        raise FieldError("agency_id", _("Choose an agency of your area."))
    updated = services.reassign(ticket, agency, request.user, payload.note)
    return _answer(request, updated, "reassign")


@router.post("/{int:ticket_id}/reopen", response=TicketOut, summary="Reopen, on its first clock")
def reopen(request: HttpRequest, ticket_id: int, payload: NoteIn):
    ticket = _worked(request, ticket_id)
    return _answer(request, services.reopen(ticket, request.user, payload.note), "reopen")


class StatsQuery(Schema):
    unit: str = Field(max_length=10)
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


#: The statistics' default period, and the longest one asked at once.
DEFAULT_DAYS = 7
MAX_DAYS = 366


def period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days the statistics cover: `to` defaults to today, `from` to a week before it. The
    API's answer and the page's period (which falls back to the default on a refusal)."""
    end = end or timezone.localdate()
    try:
        start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        end + dt.timedelta(days=1)  # the statistics read up to the midnight after `end`
    except OverflowError:  # a week before 1 January of the year 1, or after 31/12/9999
        raise ApiError(422, _("These dates are out of range."), "invalid") from None
    if start > end:
        raise ApiError(422, _("'from' is after 'to'."), "invalid")
    if (end - start).days >= MAX_DAYS:
        raise ApiError(422, _("Ask for at most a year at a time."), "invalid")
    return start, end


@stats.get("", summary="The hotline's statistics for a unit and a period")
def hotline_stats(request: HttpRequest, query: Query[StatsQuery]):
    unit = Unit.objects.filter(code=query.unit).first()
    if unit is None or not may_see_unit(request.user, unit):
        raise ApiError(404, _("Not found."), "not_found")
    start, end = period(query.from_, query.to)
    return reading.statistics(unit, start, end)
