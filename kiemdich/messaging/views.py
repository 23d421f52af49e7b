"""Campaign pages: the list, a new campaign (the form, its preview, the confirmation), and one
campaign with its progress bar.

Default deny: officers of an area and organization admins get in (campaigns.require_campaigner);
a campaign is found only through `Campaign.objects.visible_to`. A campaign messages many people
and cannot be called back, so the form leads to a preview (recipients, the text as it arrives,
its cost) and only its Confirm button sends. The preview shows a few recipients, masked: that
read is audited. Thin: the work is in campaigns.py.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.audit import record_read
from kiemdich.core.errors import DomainError

from . import campaigns
from .campaigns import CampaignError, CampaignRepeated, require_campaigner
from .forms import CampaignForm
from .models import Campaign
from .segments import sms_segments
from .services import as_delivered

PER_PAGE = 50


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    require_campaigner(request.user)
    qs = Campaign.objects.visible_to(request.user).select_related("unit", "organization")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/list.html", {"page": page})


def _form(request: HttpRequest) -> CampaignForm:
    """The campaign form, bound to what was sent; a form sent without its client id (the page
    always has one) gets one now, so that its preview confirms once."""
    data = request.POST if request.method == "POST" else None
    if data is not None and not data.get("client_id"):
        data = data.copy()
        data["client_id"] = str(uuid.uuid4())
    return CampaignForm(data, user=request.user)


def _edit(request: HttpRequest, form: CampaignForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "messaging/new.html",
        {"form": form, "max_text": Campaign.MAX_TEXT, "min_text": Campaign.MIN_TEXT},
        status=status,
    )


def _refused(request: HttpRequest, form: CampaignForm, exc: DomainError) -> HttpResponse:
    """A refusal of the campaign as a whole, above the form as it was typed (422, or 409 for
    a reminder that already went to these people)."""
    form.add_error(None, exc.message)
    return _edit(request, form, exc.status)


def _values(form: CampaignForm) -> dict:
    return {k: form.cleaned_data[k] for k in campaigns.FORM_FIELDS}


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """The form; sent, its preview (nothing is queued yet). "Back to edit" on the preview sends
    the same values here with `edit`, and the form comes back as typed."""
    user = request.user
    require_campaigner(user)
    form = _form(request)
    if request.method != "POST" or "edit" in request.POST:
        return _edit(request, form)
    if not form.is_valid():
        return _edit(request, form, 422)
    try:
        preview = campaigns.preview(user, **_values(form))
    except (CampaignError, CampaignRepeated) as exc:
        return _refused(request, form, exc)
    if preview.samples:
        record_read(
            user,
            f"campaign preview: {preview.audience}"[:200],
            subjects=[sample.person_id for sample in preview.samples],
            unit=preview.unit or preview.organization.unit,
            reason="campaign preview (masked recipients)",
            request=request,
        )
    return render(request, "messaging/preview.html", {"form": form, "preview": preview})


@login_required
@require_POST
def campaign_confirm(request: HttpRequest) -> HttpResponse:
    """Send the previewed campaign. Tapped twice, or sent again, it is the same campaign (its
    client id), queued once."""
    user = request.user
    require_campaigner(user)
    if not request.POST.get("client_id"):
        return campaign_new(request)  # not from a preview: show one first
    form = _form(request)
    if not form.is_valid():
        return _edit(request, form, 422)
    try:
        campaign, created = campaigns.create(user, confirmed=True, **_values(form))
    except (CampaignError, CampaignRepeated) as exc:
        return _refused(request, form, exc)
    if created:
        messages.success(request, _("Campaign started."))
    return redirect("campaigns:detail", campaign.pk)


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    require_campaigner(request.user)
    campaign = get_object_or_404(
        Campaign.objects.visible_to(request.user).select_related(
            "unit", "organization", "created_by"
        ),
        pk=campaign_id,
    )
    return render(
        request,
        "messaging/detail.html",
        {
            "campaign": campaign,
            "progress": campaigns.progress(campaign),
            "segments": sms_segments(as_delivered(campaign.text, campaign.channel)),
        },
    )
