"""`/api/v1/declarations`: declare, then see, correct and export one's own declarations.

Public: a person needs no account. Declaring returns a `person_token` that the phone keeps and
sends back in the `X-Person-Token` header to read or correct its own data, and a `qr_url`, the
personal QR that staff scanners read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate
from ninja.security import APIKeyHeader

from kiemdich.core.errors import ApiError, invalid_form
from kiemdich.core.files import file_response
from kiemdich.core.pagination import Page
from kiemdich.orgs.models import Organization
from kiemdich.ratelimit import hit

from . import services
from .exports import my_data_xlsx
from .forms import DeclarationForm, FamilyDeclarationForm
from .models import Declaration, Person

router = Router(tags=["declarations"])


class PersonToken(APIKeyHeader):
    """The `X-Person-Token` header: the phone's proof that it is this person."""

    param_name = "X-Person-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        return services.person_for_token(key)


class DeclarationAnswers(Schema):
    """The answers every declaration gives, one's own or a family member's."""

    full_name: str = Field(max_length=100)
    birth_year: int = Field(ge=0, le=10_000)
    gender: Literal["male", "female", "other"]
    nationality: str = Field("VN", max_length=2, description="ISO 3166 alpha-2.")
    commune_code: str = Field(max_length=10)
    address: str = Field("", max_length=255)
    purpose: Literal["domestic", "visit", "entry"] = "domestic"
    symptoms: list[
        Literal["fever", "cough", "shortness_of_breath", "sore_throat", "loss_of_taste_smell"]
    ] = Field(default_factory=list, max_length=5)
    contact_with_case: bool = False
    travel_outbreak_area: bool = False


class DeclarationIn(DeclarationAnswers):
    client_id: uuid.UUID | None = Field(
        None, description="Made by the device; sending the same declaration again is harmless."
    )
    person_token: str = Field(
        "", max_length=200, description="From an earlier declaration on this phone, if any."
    )
    id_number: str = Field("", max_length=20, description="CMND (9), CCCD (12) or passport.")
    phone: str = Field(max_length=20)
    organization_code: str = Field(
        "",
        max_length=40,
        description="Where the person works or studies, if they say: its campaigns reach them.",
    )


class DeclarationOut(Schema):
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    full_name: str
    birth_year: int
    gender: str
    nationality: str
    id_number: str
    phone: str
    commune_code: str = Field(alias="commune_id")
    address: str
    purpose: str
    symptoms: list[str]
    contact_with_case: bool
    travel_outbreak_area: bool


class DeclaredOut(Schema):
    person_token: str
    qr_url: str
    organization_code: str | None = Field(None, description="The person's organization, if any.")
    declaration: DeclarationOut


def _form(payload: Schema, form_class: type[DeclarationForm] = DeclarationForm) -> DeclarationForm:
    data = payload.dict(exclude={"client_id", "person_token", "organization_code", "member_id"})
    form = form_class(data=data)
    if not form.is_valid():
        raise invalid_form(form)
    return form


def _organization(code: str) -> Organization | None:
    """The organization a declaration names, or a 422 saying its code is unknown."""
    code = code.strip()
    if not code:
        return None
    organization = Organization.objects.filter(code=code).first()
    if organization is None:
        msg = _("No organization with code %(code)s.") % {"code": code}
        raise ApiError(422, [{"loc": ["body", "organization_code"], "msg": msg}], "invalid")
    return organization


@router.post(
    "",
    auth=None,
    response={200: DeclaredOut, 201: DeclaredOut},
    summary="Make a health declaration",
    description=(
        "201: stored. 200: this client_id was stored before; the same answer comes back. "
        "With the `person_token` of an earlier declaration the same person is updated."
    ),
)
def declare(request: HttpRequest, payload: DeclarationIn):
    hit(request, ["declare"])
    person = None
    if payload.person_token:
        person = services.person_for_token(payload.person_token)
        if person is None:
            raise ApiError(
                400,
                _("This phone's declaration is not recognised. Please declare again."),
                "bad_token",
            )
    form = _form(payload)
    organization = _organization(payload.organization_code)
    declaration, created = services.declare(
        form.cleaned_data, person=person, client_id=payload.client_id, organization=organization
    )
    declared = declaration.person
    body = {
        "person_token": services.person_token(declared),
        "qr_url": services.personal_qr_url(declared),
        "organization_code": declared.organization.code if declared.organization_id else None,
        "declaration": declaration,
    }
    return HttpStatus(201 if created else 200, body)


@router.get(
    "/mine",
    auth=PersonToken(),
    response=list[DeclarationOut],
    summary="My declarations, newest first (X-Person-Token)",
)
@paginate(Page)
def mine(request: HttpRequest):
    return request.auth.declarations.all()


@router.get(
    "/mine.xlsx",
    auth=PersonToken(),
    summary="Everything kept about me, as a spreadsheet (X-Person-Token)",
)
def export_mine(request: HttpRequest):
    return file_response(
        my_data_xlsx(request.auth),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "khai-bao-y-te.xlsx",
    )


@router.put(
    "/mine/{declaration_id}",
    auth=PersonToken(),
    response=DeclarationOut,
    summary="Correct one of my declarations (X-Person-Token)",
)
def correct(request: HttpRequest, declaration_id: int, payload: DeclarationIn):
    hit(request, ["declare"])
    declaration = get_object_or_404(Declaration, pk=declaration_id, person=request.auth)
    return services.correct(declaration, _form(payload).cleaned_data)


# Family members: people declared from this phone (children, elderly parents without a
# smartphone), each with a personal QR of their own. Only the phone that declared for them
# sees them (accounts.access.family_q); their own person token is never handed out.


class FamilyDeclarationIn(DeclarationAnswers):
    client_id: uuid.UUID | None = Field(
        None, description="Made by the device; sending the same declaration again is harmless."
    )
    member_id: int | None = Field(
        None,
        description="A member declared before from this phone: this declaration replaces "
        "their last one. Absent: a new member.",
    )
    id_number: str = Field("", max_length=20, description="Children may have none.")
    phone: str = Field(
        "", max_length=20, description="Their own phone; empty: the declaring phone's person's."
    )


class MemberOut(Schema):
    id: int
    full_name: str
    birth_year: int | None
    qr_url: str = Field(description="Their personal QR, for staff scanners.")
    declared_at: dt.datetime | None = Field(description="Their latest declaration.")


class MemberDeclaredOut(Schema):
    member: MemberOut
    declaration: DeclarationOut


def member_out(member: Person) -> dict:
    declared_at = getattr(member, "declared_at", None)
    if declared_at is None:
        latest = member.declarations.first()
        declared_at = latest.created_at if latest else None
    return {
        "id": member.pk,
        "full_name": member.full_name,
        "birth_year": member.birth_year,
        "qr_url": services.personal_qr_url(member),
        "declared_at": declared_at,
    }


@router.get(
    "/family",
    auth=PersonToken(),
    response=list[MemberOut],
    summary="The family members this phone declares for (X-Person-Token)",
)
@paginate(Page)
def family(request: HttpRequest):
    return [member_out(member) for member in services.family(request.auth)]


@router.post(
    "/family",
    auth=PersonToken(),
    response={200: MemberDeclaredOut, 201: MemberDeclaredOut},
    summary="Declare for a family member (X-Person-Token)",
    description=(
        "Without `member_id` a new member is made, with a personal QR of their own; with it, "
        "the member's next declaration, which replaces their last one. 201: stored; 200: this "
        "client_id was stored before from this phone; 404: not a member of this phone's family; "
        "409 `family_full`: at most ten members per phone."
    ),
)
def declare_for_member(request: HttpRequest, payload: FamilyDeclarationIn):
    hit(request, ["declare"])
    form = _form(payload, FamilyDeclarationForm)
    declaration, created = services.declare_for_member(
        request.auth, form.cleaned_data, member_id=payload.member_id, client_id=payload.client_id
    )
    body = {"member": member_out(declaration.person), "declaration": declaration}
    return HttpStatus(201 if created else 200, body)
