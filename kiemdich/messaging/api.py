"""`/api/v1/campaigns`: preview a reminder campaign, start it, follow its progress, list them.

For officers of an area (to units they administer and the organizations there) and organization
admins (to their organization); everyone else gets 403. The same form as the page checks the
input, so the API and the page say the same thing about the same mistake. As on the page, a
campaign messages many people and cannot be called back: `POST /preview` says what it would do
(recipients, the text as it arrives, its SMS parts) and queues nothing, and `POST ""` starts one
only with `confirm: true`. The same reminder to the same people within the repeat interval is a
409 `campaign_repeated` (campaigns.refuse_repeat).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus
from ninja.pagination import paginate

from kiemdich.core.errors import invalid_form
from kiemdich.core.pagination import Page

from . import campaigns
from .forms import CampaignForm
from .models import Campaign
from .segments import SmsSegments

router = Router(tags=["campaigns"])

#: API field names of the form's fields.
API_NAMES = {"unit": "unit_code", "organization": "organization_code"}


class CampaignIn(Schema):
    client_id: uuid.UUID | None = Field(
        None, description="Made by the caller; sending the same campaign again starts nothing."
    )
    kind: Literal["install", "declaration"]
    unit_code: str = Field(
        "", max_length=10, description="Send to the people living in this unit (and under it)."
    )
    organization_code: str = Field(
        "", max_length=40, description="Or: send to the people of this organization."
    )
    channel: Literal["sms", "zalo", "push"] = "sms"
    text: str = Field(
        "", max_length=Campaign.MAX_TEXT, description="Empty: the standard text of the reminder."
    )
    name: str = Field("", max_length=200)
    confirm: bool = Field(
        False,
        description=(
            "Must be true to start the campaign: the messages cannot be called back. Preview it "
            "first (POST /api/v1/campaigns/preview)."
        ),
    )


class SmsCostOut(Schema):
    """What a text to many phones costs, in every preview of something that messages people
    (a campaign, the warning to a case's contacts): counted by messaging.segments."""

    encoding: Literal["GSM-7", "UCS-2"] = Field(
        description="GSM-7: 160 characters per SMS (153 per part); UCS-2 (Vietnamese "
        "diacritics): 70 (67)."
    )
    length: int = Field(description="Length of the text shown in its encoding's units.")
    segments: int = Field(description="SMS each phone gets (billed parts).")
    total_sms: int = Field(description="SMS billed for all recipients; 0 for Zalo and push.")


def sms_cost(segments: SmsSegments, total_sms: int) -> dict:
    """The `SmsCostOut` fields of a preview."""
    return {
        "encoding": segments.encoding,
        "length": segments.length,
        "segments": segments.parts,
        "total_sms": total_sms,
    }


class CampaignPreviewOut(SmsCostOut):
    kind: str
    channel: str
    unit_code: str | None
    organization_code: str | None
    text: str = Field(description="The text stored and queued (the standard one if none given).")
    delivered_text: str = Field(description="The text as it arrives, with what the sender adds.")
    recipients: int = Field(description="Distinct phones the campaign would go to.")


class CampaignOut(Schema):
    id: int
    name: str
    kind: str
    channel: str
    text: str
    unit_code: str | None
    organization_code: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    status: str
    total: int = Field(description="Distinct phones the campaign goes to.")
    queued: int = Field(description="Of those, how many have their message in the outbox.")

    @staticmethod
    def resolve_unit_code(campaign: Campaign) -> str | None:
        return campaign.unit_id

    @staticmethod
    def resolve_organization_code(campaign: Campaign) -> str | None:
        return campaign.organization.code if campaign.organization_id else None


class CampaignProgressOut(CampaignOut):
    status_display: str
    sent: int = Field(description="Messages the sender has sent.")
    failed: int = Field(description="Messages the sender gave up on.")
    finished: bool = Field(description="Nothing will change any more: stop polling.")


def _progress(campaign: Campaign) -> Campaign:
    """The campaign with its live counters (sent, failed...) attached for the schema."""
    for name, value in campaigns.progress(campaign).items():
        setattr(campaign, name, value)
    return campaign


def _checked(request: HttpRequest, payload: CampaignIn) -> dict:
    """The payload through the page's form: the values `preview` and `create` take."""
    campaigns.require_campaigner(request.user)
    data = payload.dict(exclude={"confirm"})
    data["unit"], data["organization"] = data.pop("unit_code"), data.pop("organization_code")
    form = CampaignForm(data=data)
    if not form.is_valid():
        raise invalid_form(form, API_NAMES)
    return {k: form.cleaned_data[k] for k in campaigns.FORM_FIELDS}


@router.post(
    "/preview",
    response=CampaignPreviewOut,
    summary="What a campaign would do, without sending",
    description=(
        "The same body as starting one; nothing is queued. The same refusals as starting it "
        "(403, 422, 409 `campaign_repeated`)."
    ),
)
def preview_campaign(request: HttpRequest, payload: CampaignIn):
    preview = campaigns.preview(request.user, **_checked(request, payload))
    return {
        "kind": preview.kind,
        "channel": preview.channel,
        "unit_code": preview.unit.code if preview.unit else None,
        "organization_code": preview.organization.code if preview.organization else None,
        "text": preview.text,
        "delivered_text": preview.delivered,
        "recipients": preview.recipients,
        **sms_cost(preview.segments, preview.total_sms),
    }


@router.post(
    "",
    response={200: CampaignProgressOut, 201: CampaignProgressOut},
    summary="Start a reminder campaign",
    description=(
        "Give `unit_code` or `organization_code`, and `confirm: true` (without it: 422 naming "
        "`confirm`, nothing sent). 201: started in the background. 200: this client_id was "
        "started before; its campaign comes back. 409 `campaign_repeated`: the same reminder "
        "went to the same people within KIEMDICH_CAMPAIGN_REPEAT_INTERVAL hours."
    ),
)
def create_campaign(request: HttpRequest, payload: CampaignIn):
    values = _checked(request, payload)
    campaign, created = campaigns.create(request.user, confirmed=payload.confirm, **values)
    campaign.refresh_from_db()
    return HttpStatus(201 if created else 200, _progress(campaign))


@router.get(
    "/{campaign_id}",
    response=CampaignProgressOut,
    url_name="campaign",
    summary="One campaign and its progress",
)
def get_campaign(request: HttpRequest, campaign_id: int):
    campaigns.require_campaigner(request.user)
    qs = Campaign.objects.visible_to(request.user).select_related("organization")
    return _progress(get_object_or_404(qs, pk=campaign_id))


@router.get("", response=list[CampaignOut], summary="Campaigns you may see, newest first")
@paginate(Page)
def list_campaigns(request: HttpRequest):
    campaigns.require_campaigner(request.user)
    return Campaign.objects.visible_to(request.user).select_related("organization")
