"""Organization pages: an admin's own organization (report installs), officers' list of the
organizations in their area with each group's rate against its target. Routed under /orgs/ in
the `orgs` namespace (kiemdich/urls.py), beside orgs' own list import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kiemdich.orgs import services
from kiemdich.orgs.models import Organization, OrgKind

from . import org_figures
from .org_forms import InstalledForm


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """`/orgs/`: an org admin's organization, or an officer's organizations of the area."""
    if services.is_org_admin(request.user):
        org = services.visible_or_404(request.user, request.user.organization.code)
        return organization_page(request, org)
    if services.is_area_officer(request.user):
        return organization_list(request)
    raise PermissionDenied(_("Only organization admins and officials see organizations."))


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    org = services.visible_or_404(request.user, code)
    return organization_page(request, org)


def organization_page(request: HttpRequest, org: Organization) -> HttpResponse:
    targets = org_figures.group_targets()
    figures = org_figures.group_figures(org, targets)
    editable = services.may_edit(request.user, org)
    form = None
    if editable:
        form = InstalledForm(figures, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():  # all groups or none
                    for group, installed in form.changed_groups().items():
                        services.set_installed(request.user, org, group, installed)
            except services.InstalledError as exc:
                # The headcount changed under the form (an import): show the fresh figures.
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
            return redirect(request.path)
    elif request.method == "POST":
        raise PermissionDenied(_("You may not change this organization's figures."))
    fields = {name: form[name] for name in form.fields} if form else {}
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "rows": [(f, fields.get(f.group)) for f in figures],
            "form": form,
            "registered_installs": org_figures.registered_installs(org),
            "below": [f for f in figures if f.below_target],
            "back_to_list": services.is_area_officer(request.user),
        },
    )


def organization_list(request: HttpRequest) -> HttpResponse:
    qs = Organization.objects.visible_to(request.user).select_related("unit")
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    if kind in OrgKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__iexact=query))
    totals = org_figures.group_totals(qs)
    page = Paginator(
        org_figures.with_registered_installs(qs.prefetch_related("headcounts")).order_by(
            "unit__path", "name", "pk"
        ),
        50,
    ).get_page(request.GET.get("page"))
    targets = org_figures.group_targets()
    today = timezone.localdate()
    items = [(org, org_figures.group_figures(org, targets, today)) for org in page.object_list]
    filters = {k: v for k, v in {"kind": kind, "q": query}.items() if v}
    return render(
        request,
        "orgs/list.html",
        {
            "page": page,
            "items": items,
            "totals": totals,
            "kinds": OrgKind.choices,
            "filters": filters,
            "filter_query": urlencode(filters),
            "area": request.user.unit,
        },
    )
