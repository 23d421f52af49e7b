"""Checkpoint pages: register, list, detail (print, pause, close, approve), import, scan landing.

Closing, rejecting and revoking cannot be taken back by whoever does it: a confirmation page says
what will happen first (`venue_action`).
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kiemdich.accounts.access import OFFICER_ROLES, is_official, may_scan_at
from kiemdich.accounts.audit import record_read
from kiemdich.core.files import file_response
from kiemdich.core.uploads import XLSX, job_page, queue_upload
from kiemdich.geo import imports
from kiemdich.geo.models import Unit
from kiemdich.ratelimit import limit

from . import imports as venue_imports
from . import poster, services
from .forms import VenueForm
from .models import VEHICLE_CATEGORIES, Category, Status, Venue


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    qs = Venue.objects.visible_to(request.user).select_related("commune")
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()
    if status in Status.values:
        qs = qs.filter(status=status)
    if category in Category.values:
        qs = qs.filter(category=category)
    if query:
        qs = qs.filter(name__icontains=query)
    page = Paginator(qs.order_by("status", "commune_id", "name"), 50).get_page(
        request.GET.get("page")
    )
    user_unit = request.user.unit if request.user.role in OFFICER_ROLES else None
    filters = {k: v for k, v in {"status": status, "category": category, "q": query}.items() if v}
    return render(
        request,
        "venues/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "categories": Category.choices,
            "filters": filters,
            "filter_query": urlencode(filters),
            "pending": qs.filter(status=Status.PENDING).count() if user_unit else 0,
            "area": user_unit,
        },
    )


@limit("venue-register", key=lambda request: f"user:{request.user.pk}")
def venue_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('signup')}?{urlencode({'next': request.path})}")
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        venue = services.register(request.user, form.cleaned_data)
        if venue.status == Status.PENDING:
            messages.info(request, _("Registered. A commune officer will approve it soon."))
        else:
            messages.success(request, _("Registered. Print the poster and put it at the entrance."))
        return redirect("venues:detail", venue.pk)
    return render(
        request,
        "venues/form.html",
        {
            "form": form,
            "provinces": Unit.objects.provinces(),
            "vehicle_categories": vehicle_codes(),
        },
    )


def vehicle_codes() -> str:
    return " ".join(sorted(VEHICLE_CATEGORIES))


@login_required
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = services.visible_or_404(request.user, venue_id)
    if not services.may_manage(request.user, venue):
        raise PermissionDenied(_("You may not change this checkpoint."))
    form = VenueForm(request.POST or None, instance=venue)
    if request.method == "POST" and form.is_valid():
        try:
            services.update(request.user, venue, form.cleaned_data)
        except services.TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("venues:detail", venue.pk)
    return render(
        request,
        "venues/form.html",
        {
            "form": form,
            "venue": venue,
            "provinces": Unit.objects.provinces(),
            "vehicle_categories": vehicle_codes(),
        },
    )


@login_required
def venue_detail(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = services.visible_or_404(request.user, venue_id)
    url = services.qr_url(venue)
    may_manage = services.may_manage(request.user, venue)
    if venue.owner_id != request.user.pk and is_official(request.user):
        record_read(
            request.user,
            f"venue {venue.pk}",
            unit=venue.commune,
            reason="checkpoint page (contact phone)",
            request=request,
        )
    return render(
        request,
        "venues/detail.html",
        {
            "venue": venue,
            "qr_url": url,
            "qr_svg": poster.qr_svg(url, scale=4).decode() if url else "",
            "actions": [
                (action, ACTION_BUTTONS[action])
                for action in services.available_actions(request.user, venue)
            ],
            "needs_reason": {"reject", "revoke"},
            "may_manage": may_manage,
            "may_scan": may_scan_at(request.user, venue),  # as the scan API
            "area": services.area_line(venue),
            "staff": venue.staff.select_related("user") if may_manage else (),
        },
    )


@login_required
@require_POST
# Each try answers whether a phone number has an account: counted per user, like sign-ups.
@limit("venue-staff", key=lambda request: f"user:{request.user.pk}")
def venue_staff(request: HttpRequest, venue_id: int) -> HttpResponse:
    """Add (by login) or remove someone who scans visitors in at this checkpoint."""
    venue = services.visible_or_404(request.user, venue_id)
    try:
        if request.POST.get("remove", "").isdigit():
            services.remove_staff(request.user, venue, int(request.POST["remove"]))
            messages.success(request, _("Removed from the checkpoint's staff."))
        else:
            staff = services.add_staff(request.user, venue, request.POST.get("login", ""))
            messages.success(
                request,
                _("%(login)s can now scan visitors in here.") % {"login": staff.user.username},
            )
    except services.StaffError as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('venues:detail', args=[venue.pk])}#staff")


ACTION_BUTTONS = {
    "approve": gettext_lazy("Approve"),
    "reject": gettext_lazy("Reject"),
    "revoke": gettext_lazy("Revoke"),
    "pause": gettext_lazy("Pause"),
    "resume": gettext_lazy("Resume"),
    "close": gettext_lazy("Close for good"),
    "reopen": gettext_lazy("Reopen"),
}


def _consequences(request: HttpRequest, venue: Venue, action: str) -> list[str]:
    """What the confirmation page says will happen, in the words of the one who decides."""
    commune = venue.commune.full_name
    if action == "close":
        if services.may_do(request.user, venue, "reopen"):
            back = _("You, or another official of %(commune)s, can reopen it later.")
        else:
            back = _(
                "You cannot reopen it yourself: only an official of %(commune)s can, if it was "
                "closed by mistake."
            )
        return [
            _("Its QR poster stops working: visitors who scan it are told it has closed."),
            _("Its staff can no longer scan anyone in here, and its details cannot be changed."),
            _("Its visits and statistics so far are kept."),
            back % {"commune": commune},
        ]
    if action == "revoke":
        return [
            _("Its QR code is revoked: every scan is refused and the poster cannot be printed."),
            _("The owner sees your reason. Its visits so far are kept."),
            _("This cannot be undone: the owner would have to register the place again."),
        ]
    return [
        _("The registration is refused: no poster, no scans."),
        _("The owner sees your reason, so they know what to fix."),
        _("This cannot be undone: the owner would have to register the place again."),
    ]


def _confirm_page(
    request: HttpRequest, venue: Venue, action: str, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "venues/confirm.html",
        {
            "venue": venue,
            "action": action,
            "label": ACTION_BUTTONS[action],
            "consequences": _consequences(request, venue, action),
            "needs_reason": action in {"reject", "revoke"},
            "reason": request.POST.get("reason", ""),
            "error": error,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def venue_action(request: HttpRequest, venue_id: int, action: str) -> HttpResponse:
    """Apply a status action. One that its doer cannot take back (services.CONFIRM_FIRST)
    first shows what will happen and asks to confirm; only its confirmation applies it."""
    venue = services.visible_or_404(request.user, venue_id)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "1"
    available = action in services.available_actions(request.user, venue)
    if action in services.CONFIRM_FIRST and not confirmed:
        if available:
            return _confirm_page(request, venue, action)
        if not services.may_do(request.user, venue, action):
            raise PermissionDenied(_("You may not do this for this checkpoint."))
        if request.method != "POST":  # it no longer applies: its page says how it stands
            return redirect("venues:detail", venue.pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.transition(request.user, venue, action, request.POST.get("reason", ""))
    except services.TransitionError as exc:
        if action in services.CONFIRM_FIRST and available:  # no reason given: say it there
            return _confirm_page(request, venue, action, exc.message, 422)
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The checkpoint was %(action)s.") % {"action": services.action_label(action)},
        )
    return redirect("venues:detail", venue.pk)


@login_required
def venue_import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A checkpoint import's progress, then its result (only for the official who uploaded)."""
    return job_page(
        request,
        imports.job_for(request.user, job_id, kind="venues"),
        title=_("Import checkpoints"),
        again_url=reverse("venues:import"),
        done_url=reverse("venues:list"),
    )


def _import_allowed(request: HttpRequest) -> None:
    if request.user.role not in OFFICER_ROLES and not request.user.is_superuser:
        raise PermissionDenied(_("Only officials can import checkpoint lists."))


@login_required
def venue_import_template(request: HttpRequest) -> HttpResponse:
    """The Excel file to fill in, with the Vietnamese headers the import reads and names."""
    _import_allowed(request)
    return file_response(venue_imports.template(), XLSX, "mau-danh-sach-diem-kiem-dich.xlsx")


@login_required
def venue_import(request: HttpRequest) -> HttpResponse:
    """Officials upload an existing list (.xlsx or .csv); nothing is saved if a line is wrong."""
    _import_allowed(request)
    file_error = ""
    if request.method == "POST":
        # Checked and saved in the background (a province's list takes minutes): the job's
        # page follows it.
        job, file_error = queue_upload(
            request, partial(imports.start_import, "venues", request.user)
        )
        if job is not None:
            return redirect("venues:import-job", job_id=job.pk)
    return render(
        request,
        "venues/import.html",
        {
            "file_error": file_error,
            "columns": venue_imports.COLUMNS,
            "categories": Category.choices,
        },
    )
