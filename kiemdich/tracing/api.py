"""`/api/v1/cases`: record a confirmed case, trace it, work through its contacts.

Only roles that work with personal data (tracers, officers) reach these endpoints, each inside
its area; every list of contacts read is audit-logged (DESIGN.md §4).
"""

import datetime as dt
from dataclasses import replace
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate

from kiemdich.accounts.access import may_see_person, may_trace, works_with_personal_data
from kiemdich.accounts.audit import Read, record_read, record_reads
from kiemdich.core.errors import FieldError
from kiemdich.core.pagination import AuditedPage
from kiemdich.messaging.api import SmsCostOut, sms_cost

from . import audit, services
from .models import Case, Contact

router = Router(tags=["tracing"])

#: F1 or F2. An int with bounds, not Literal[1, 2]: a query string's "1" is text, which a
#: literal of integers never equals (every ?degree= answered 422).
Degree = Annotated[int, Field(ge=1, le=2)]


def _tracer(request: HttpRequest):
    if not works_with_personal_data(request.user):
        raise PermissionDenied(_("Only health tracers and officials work with cases."))
    return request.user


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(Case.objects.visible_to(_tracer(request)), pk=case_id)


def _worked_case(request: HttpRequest, case_id: int) -> Case:
    """The case, for tracing it again or warning its contacts: its own area only."""
    case = _case(request, case_id)
    if not may_trace(request.user, case):
        raise PermissionDenied(_("Only the case's own area traces it and warns its contacts."))
    return case


class CaseIn(Schema):
    person_token: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=20)
    person_qr: str = Field("", max_length=1000)
    confirmed_at: dt.datetime
    onset_at: dt.datetime | None = None
    infectious_from: dt.datetime | None = None
    infectious_to: dt.datetime | None = None
    degree: Literal[1, 2] = Field(1, description="Trace F1 only, or F1 and F2, at once.")


class CrowdOut(Schema):
    met_person_id: int
    venue_id: int
    hour: dt.datetime
    people: int


class CaseOut(Schema):
    id: int
    person_id: int | None = Field(
        description="The F0; null for officials of a commune that only holds some contacts"
    )
    unit_code: str = Field(alias="unit_id")
    confirmed_at: dt.datetime
    onset_at: dt.datetime | None
    infectious_from: dt.datetime
    infectious_to: dt.datetime
    traced_at: dt.datetime | None
    f1: int
    f2: int


class TracedOut(CaseOut):
    crowds: list[CrowdOut] = Field(
        description="Venues too crowded to list, counted per hour, for the tracer to decide."
    )


class Evidence(Schema):
    kind: str = Field(description='"qr" (scans at one checkpoint) or "bluetooth".')
    venue_id: int | None
    venue_name: str = Field(description='The checkpoint, or "Bluetooth".')
    met_person_id: int = Field(description="The F0 for an F1, the F1 for an F2.")
    together_from: dt.datetime
    together_until: dt.datetime
    minutes: float


class ContactOut(Schema):
    id: int
    person_id: int
    full_name: str
    phone: str
    address: str
    commune_code: str
    degree: int
    status: str
    notes: str
    notified_at: dt.datetime | None
    evidence: Evidence


class ContactPatch(Schema):
    status: Literal["not_reached", "reached", "isolating", "negative", "positive"] | None = None
    notes: str | None = Field(None, max_length=2000)


class ContactFilter(Schema):
    degree: Degree | None = None
    commune: str | None = Field(None, max_length=10)


def _case_out(case: Case, user, report: services.TraceReport | None = None) -> dict:
    """A case as `user` may see it: the contacts counted are theirs to follow up (a commune's
    own, as on the pages), and the F0 is named only to the case's own area."""
    counts = (
        Contact.objects.visible_to(user)
        .filter(case=case)
        .aggregate(f1=Count("pk", filter=Q(degree=1)), f2=Count("pk", filter=Q(degree=2)))
    )
    body = {
        **{f: getattr(case, f) for f in ("id", "person_id", "unit_id", "confirmed_at")},
        **{f: getattr(case, f) for f in ("onset_at", "infectious_from", "infectious_to")},
        "traced_at": case.traced_at,
        "f1": counts["f1"],
        "f2": counts["f2"],
    }
    if not may_see_person(user, unit=case.unit):
        body["person_id"] = None
    if report is not None:
        body["crowds"] = [
            {
                "met_person_id": c.source_id,
                "venue_id": c.venue_id,
                "hour": c.hour,
                "people": c.people,
            }
            for c in report.crowds
        ]
    return body


def _contact_out(contact: Contact) -> dict:
    person = contact.person
    return {
        "id": contact.pk,
        "person_id": person.pk,
        "full_name": person.full_name,
        "phone": person.phone,
        "address": person.address,
        "commune_code": contact.commune_id,
        "degree": contact.degree,
        "status": contact.status,
        "notes": contact.notes,
        "notified_at": contact.notified_at,
        "evidence": {
            "kind": contact.evidence,
            "venue_id": contact.venue_id,
            "venue_name": contact.met_at,
            "met_person_id": contact.source_id,
            "together_from": contact.overlap_from,
            "together_until": contact.overlap_to,
            "minutes": round(contact.overlap.total_seconds() / 60, 1),
        },
    }


@router.post("", response={201: TracedOut}, summary="Record a confirmed case (F0) and trace it")
def create_case(request: HttpRequest, payload: CaseIn):
    user = _tracer(request)
    case, report = services.open_case(
        user,
        person_token=payload.person_token,
        phone=payload.phone,
        id_number=payload.id_number,
        person_qr=payload.person_qr,
        confirmed_at=payload.confirmed_at,
        onset_at=payload.onset_at,
        infectious_from=payload.infectious_from,
        infectious_to=payload.infectious_to,
        degree=payload.degree,
    )
    audit.case_recorded(request, case)
    return HttpStatus(201, _case_out(case, user, report))


@router.get("/{case_id}", response=CaseOut, summary="One case")
def get_case(request: HttpRequest, case_id: int):
    case = _case(request, case_id)
    body = _case_out(case, request.user)
    record_read(
        request.user,
        f"case {case.pk}",
        subjects=[body["person_id"]] if body["person_id"] else [],
        unit=case.unit_id,
        reason="case record",
        request=request,
    )
    return body


@router.post("/{case_id}/trace", response=TracedOut, summary="Trace again (degree 2: with F2)")
def retrace(request: HttpRequest, case_id: int, degree: Degree = 2):
    case = _worked_case(request, case_id)
    body = _case_out(case, request.user, services.trace_case(case, degree))
    record_read(
        request.user,
        f"case {case.pk} trace (degree {degree})",
        subjects=[case.person_id, *(crowd["met_person_id"] for crowd in body["crowds"])],
        action="trace",
        unit=case.unit_id,
        reason="case traced again",
        request=request,
    )
    return body


@router.get(
    "/{case_id}/contacts",
    response=list[ContactOut],
    summary="The case's contacts in your area (personal data: each read is logged)",
)
@paginate(AuditedPage)
def contacts(request: HttpRequest, case_id: int, filters: Query[ContactFilter]):
    case = _case(request, case_id)
    qs = Contact.objects.visible_to(request.user).filter(case=case)
    if filters.degree:
        qs = qs.filter(degree=filters.degree)
    if filters.commune:
        qs = qs.filter(commune_id=filters.commune)
    read = Read(
        f"case {case.pk} contacts",
        unit=filters.commune or request.user.unit_id or case.unit_id,
        reason="contact list",
    )
    request.audit_page = lambda rows: record_reads(
        request.user, [replace(read, subjects=[row["person_id"] for row in rows])], request
    )
    return [_contact_out(c) for c in qs.select_related("person", "venue").order_by("degree", "pk")]


@router.patch(
    "/{case_id}/contacts/{contact_id}",
    response=ContactOut,
    summary="Set a contact's status or notes (positive: the contact becomes a case)",
)
def update_contact(request: HttpRequest, case_id: int, contact_id: int, payload: ContactPatch):
    case = _case(request, case_id)
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user).select_related("person", "venue"),
        pk=contact_id,
        case=case,
    )
    services.update_contact(request.user, contact, payload.status, payload.notes)
    record_read(
        request.user,
        f"contact {contact.pk}",
        subjects=[contact.person_id],
        action="update",
        unit=contact.commune_id,
        reason="contact follow-up",
        request=request,
    )
    return _contact_out(contact)


class WarningPreviewOut(SmsCostOut):
    """The cost fields are the sample's; `total_sms` counts each recipient's own text."""

    recipients: int = Field(description="Contacts not warned yet who have a phone: one SMS each.")
    without_phone: int = Field(description="Contacts not warned yet without a phone number.")
    sample: str = Field(description="The first recipient's SMS as it arrives ('' if none).")


class NotifyIn(Schema):
    confirm: bool = Field(
        False,
        description="Must be true: the warnings cannot be called back. Preview them first.",
    )
    recipients: int = Field(
        ge=0,
        le=10_000_000,
        description="The `recipients` of the preview you confirm: if the list changed since, "
        "409 `recipients_changed` and nothing is sent.",
    )


@router.post(
    "/{case_id}/notify/preview",
    response=WarningPreviewOut,
    summary="What warning the contacts would send, without sending",
)
def notify_preview(request: HttpRequest, case_id: int):
    preview = services.preview_warning(_worked_case(request, case_id))
    return {
        "recipients": preview.recipients,
        "without_phone": preview.without_phone,
        "sample": preview.sample,
        **sms_cost(preview.segments, preview.total_sms),
    }


@router.post(
    "/{case_id}/notify",
    summary="Warn every contact not yet warned (SMS outbox)",
    description=(
        "Give `confirm: true` and the `recipients` of `POST /notify/preview` (without confirm: "
        "422 naming `confirm`, nothing sent). 409 `recipients_changed`: the contacts to warn "
        "changed since the preview; nothing sent."
    ),
)
def notify(request: HttpRequest, case_id: int, payload: NotifyIn) -> dict:
    case = _worked_case(request, case_id)
    if not payload.confirm:
        raise FieldError(
            "confirm", _("Look at the preview (recipients, text, cost) first, then confirm.")
        )
    warned = services.notify_contacts(case, payload.recipients)
    audit.contacts_warned(request, case, warned)
    return {"queued": len(warned)}
