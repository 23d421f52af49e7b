"""Campaign pages: the list, a new campaign, and one campaign with its progress bar.

Default deny: officers of an area and organization admins get in (campaigns.require_campaigner);
a campaign is found only through `Campaign.objects.visible_to`. No page lists recipients, so
no personal data is shown here. Thin: the work is in campaigns.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import campaigns
from .campaigns import CampaignError, require_campaigner
from .forms import CampaignForm
from .models import Campaign

PER_PAGE = 50


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    require_campaigner(request.user)
    qs = Campaign.objects.visible_to(request.user).select_related("unit", "organization")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/list.html", {"page": page})


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_campaigner(user)
    form = CampaignForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign, created = campaigns.create(
                user, **{k: data[k] for k in campaigns.FORM_FIELDS}
            )
        except CampaignError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("Campaign started."))
            return redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "messaging/new.html",
        {"form": form, "max_text": Campaign.MAX_TEXT},
    )


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
            "sms_parts": campaigns.sms_parts(campaign.text),
        },
    )
