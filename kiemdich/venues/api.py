"""`/api/v1/venues`: register, list, edit, approve and print checkpoints."""

import datetime as dt
import io
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticValidationError

from kiemdich.accounts.access import is_official, may_administer
from kiemdich.accounts.audit import Read, record_reads
from kiemdich.core.errors import ApiError, invalid_form
from kiemdich.core.files import file_response
from kiemdich.core.pagination import AuditedPage
from kiemdich.geo.api import unit_or_404
from kiemdich.ratelimit import hit

from . import poster, services, signing
from .forms import VenueForm
from .models import Category, Status, Venue

router = Router(tags=["venues"])


class VenueIn(Schema):
    name: str = Field(max_length=200)
    category: Category
    commune_code: str = Field(max_length=10)
    address: str = Field(max_length=255)
    contact_phone: str = Field(max_length=30)
    organization_code: str = Field("", max_length=40)
    plate_number: str = Field("", max_length=20)
    route: str = Field("", max_length=200)


class VenuePatch(Schema):
    name: str | None = Field(None, max_length=200)
    category: Category | None = None
    commune_code: str | None = Field(None, max_length=10)
    address: str | None = Field(None, max_length=255)
    contact_phone: str | None = Field(None, max_length=30)
    organization_code: str | None = Field(None, max_length=40)
    plate_number: str | None = Field(None, max_length=20)
    route: str | None = Field(None, max_length=200)


class VenueOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    commune_code: str = Field(alias="commune_id")
    commune_name: str
    address: str
    contact_phone: str
    organization_code: str | None
    plate_number: str
    route: str
    status: str
    status_note: str
    qr_url: str | None = Field(description="The URL the poster's QR holds; null until approved.")
    created_at: dt.datetime
    activated_at: dt.datetime | None
    ended_at: dt.datetime | None

    @staticmethod
    def resolve_category_label(venue: Venue) -> str:
        return venue.get_category_display()

    @staticmethod
    def resolve_commune_name(venue: Venue) -> str:
        return venue.commune.full_name

    @staticmethod
    def resolve_organization_code(venue: Venue) -> str | None:
        return venue.organization.code if venue.organization else None

    @staticmethod
    def resolve_qr_url(venue: Venue, context) -> str | None:
        request = context["request"]
        if not hasattr(request, "signing_key"):  # one key lookup per request, not per venue
            request.signing_key = signing.current_key()
        return services.qr_url(venue, request.signing_key)


class VenueFilter(Schema):
    unit: str | None = Field(None, max_length=10, description="Province, district or commune.")
    category: Category | None = None
    status: Status | None = None
    q: str | None = Field(None, max_length=100, description="Part of the name or address.")


class ActionIn(Schema):
    reason: str = Field("", max_length=300)


class PublicKeyOut(Schema):
    kid: str
    public_key: str = Field(description="Raw Ed25519 public key, base64url without padding.")
    created_at: dt.datetime


class ResolvedOut(Schema):
    id: int
    name: str
    category_label: str
    address: str
    commune_code: str
    commune_name: str
    status: str
    accepts_scans: bool


def form_data(payload: Schema) -> dict:
    data = payload.dict(exclude_unset=True)
    renames = {"commune_code": "commune", "organization_code": "organization"}
    return {renames.get(k, k): v for k, v in data.items()}


def audit_contacts(request: HttpRequest, venues) -> None:
    """An official's read of checkpoints that are not their own logs each one, as its page
    does: the answer holds its contact phone."""
    if not is_official(request.user):
        return
    reads = [
        Read(
            f"venue {venue.pk}",
            unit=venue.commune_id,
            reason="checkpoint contact phone",
        )
        for venue in venues
        if venue.owner_id != request.user.pk
    ]
    record_reads(request.user, reads, request)


def invalid(form: VenueForm) -> ApiError:
    return invalid_form(form, {"commune": "commune_code", "organization": "organization_code"})


@router.post("", response={201: VenueOut}, summary="Register a checkpoint")
def register(request: HttpRequest, payload: VenueIn):
    hit(request, ["venue-register"], key=f"user:{request.user.pk}")
    form = VenueForm(data=form_data(payload))
    if not form.is_valid():
        raise invalid(form)
    return HttpStatus(201, services.register(request.user, form.cleaned_data))


@router.get("", response=list[VenueOut], summary="Checkpoints you may see")
@paginate(AuditedPage)
def list_venues(request: HttpRequest, filters: Query[VenueFilter]):
    request.audit_page = lambda venues: audit_contacts(request, venues)
    qs = Venue.objects.visible_to(request.user).select_related("commune", "organization")
    if filters.unit:
        qs = qs.under(unit_or_404(filters.unit))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(address__icontains=filters.q))
    return qs.order_by("commune_id", "name", "pk")


@router.get("/keys", response=list[PublicKeyOut], auth=None, summary="QR signing public keys")
def keys(request: HttpRequest):
    """For scanners that verify posters offline: every key whose posters are still valid."""
    return signing.public_keys()


@router.get(
    "/resolve/{payload}", response=ResolvedOut, auth=None, summary="Check a poster's QR payload"
)
def resolve(request: HttpRequest, payload: str):
    """What a scanning app calls first: is this poster genuine, and which checkpoint is it?"""
    venue = services.resolve_payload(payload)
    return {
        "id": venue.pk,
        "name": venue.name,
        "category_label": venue.get_category_display(),
        "address": venue.address,
        "commune_code": venue.commune_id,
        "commune_name": venue.commune.full_name,
        "status": venue.status,
        "accepts_scans": services.accepts_scans(venue.status),
    }


@router.get("/posters.pdf", summary="All posters of an area in one PDF")
def area_posters_pdf(request: HttpRequest, unit: str = Query(..., max_length=10)):
    area = unit_or_404(unit)
    if not may_administer(request.user, area):
        raise PermissionDenied(_("This unit is outside your area."))
    venues = Venue.objects.under(area).printable()
    if not venues.exists():
        raise ApiError(404, _("No approved checkpoints to print in this area."), "empty")
    buffer = io.BytesIO()
    poster.write_posters(services.area_posters(venues.iterator()), buffer)
    return file_response(buffer.getvalue(), "application/pdf", f"posters-{area.code}.pdf")


@router.get("/{venue_id}", response=VenueOut, summary="One checkpoint")
def get_venue(request: HttpRequest, venue_id: int):
    venue = services.visible_or_404(request.user, venue_id)
    audit_contacts(request, [venue])
    return venue


@router.patch("/{venue_id}", response=VenueOut, summary="Change a checkpoint's details")
def update_venue(request: HttpRequest, venue_id: int, payload: VenuePatch):
    venue = services.visible_or_404(request.user, venue_id)
    data = {
        "name": venue.name,
        "category": venue.category,
        "commune": venue.commune_id,
        "address": venue.address,
        "contact_phone": venue.contact_phone,
        "organization": venue.organization.code if venue.organization else "",
        "plate_number": venue.plate_number,
        "route": venue.route,
    }
    data |= {k: v for k, v in form_data(payload).items() if v is not None}
    form = VenueForm(data=data, instance=venue)
    if not form.is_valid():
        raise invalid(form)
    return services.update(request.user, venue, form.cleaned_data)


@router.get("/{venue_id}/poster.pdf", summary="The A4 poster to print")
def poster_pdf(request: HttpRequest, venue_id: int):
    venue = services.visible_or_404(request.user, venue_id)
    return file_response(
        poster.poster_pdf(services.poster_info(venue)), "application/pdf", f"poster-{venue.pk}.pdf"
    )


@router.get("/{venue_id}/qr.png", summary="The QR code alone, PNG")
def qr_png(request: HttpRequest, venue_id: int, scale: int = Query(10, ge=2, le=40)):
    venue = services.visible_or_404(request.user, venue_id)
    url = services.poster_info(venue).qr_url
    return file_response(poster.qr_png(url, scale), "image/png", f"qr-{venue.pk}.png")


@router.get("/{venue_id}/qr.svg", summary="The QR code alone, SVG")
def qr_svg(request: HttpRequest, venue_id: int):
    venue = services.visible_or_404(request.user, venue_id)
    url = services.poster_info(venue).qr_url
    return file_response(poster.qr_svg(url), "image/svg+xml", f"qr-{venue.pk}.svg")


def action_reason(request: HttpRequest) -> str:
    """The optional JSON body {"reason": "..."}; no body is fine (pause, resume, close, reopen)."""
    if request.content_type != "application/json" or not request.body.strip():
        return request.POST.get("reason", "")[:300] if request.method == "POST" else ""
    try:
        return ActionIn.model_validate_json(request.body).reason
    except PydanticValidationError as exc:
        raise ApiError(
            422, [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors()], "invalid"
        ) from None


# Last: "/{venue_id}/{action}" would otherwise shadow "/{venue_id}/poster.pdf" and the others.
@router.post(
    "/{venue_id}/{action}",
    response=VenueOut,
    summary="Approve, reject, revoke, pause, resume, close or reopen",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": ActionIn.model_json_schema()}},
        }
    },
)
def act(
    request: HttpRequest,
    venue_id: int,
    action: Literal["approve", "reject", "revoke", "pause", "resume", "close", "reopen"],
):
    venue = services.visible_or_404(request.user, venue_id)
    return services.transition(request.user, venue, action, action_reason(request))
