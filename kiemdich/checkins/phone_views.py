"""The checkpoint's page for visitors without a smartphone: staff type the visitor's phone, a code
goes to it, the visitor reads it out, and they are checked in with their stored declaration
(checkins.phonecheck has the rules and why the answers are what they are).

Who may open it: whoever may scan others at the checkpoint (the scanner page's rule); anyone
else who can see the checkpoint gets 403, anyone who cannot the same 404 as for a missing one.
Each page that shows someone of the phone (after the code) logs that read.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_scan_at, visible_or_404
from kiemdich.accounts.audit import record_reads
from kiemdich.core.errors import DomainError
from kiemdich.phones import display_phone
from kiemdich.ratelimit import RateLimited, hit
from kiemdich.venues import services as venues
from kiemdich.venues.models import Venue

from . import phonecheck
from .forms import CodeForm, PhoneForm, PickForm
from .models import PhoneCheck


def _venue(request: HttpRequest, venue_id: int) -> Venue:
    venue = venues.visible_or_404(request.user, venue_id)
    if not may_scan_at(request.user, venue):
        raise PermissionDenied(_("Only the checkpoint's staff and officials may scan here."))
    return venue


def audit(request: HttpRequest, outcome: phonecheck.Outcome) -> None:
    """Log the staff's read of the people the page shows once the code is confirmed."""
    record_reads(request.user, phonecheck.reads(outcome, outcome.check.venue), request)


def limited(request: HttpRequest, phone: str) -> RateLimited | None:
    """Count a code asked for, per staff account and per phone (settings.RATELIMITS)."""
    try:
        hit(request, ["phone-code"], key=f"user:{request.user.pk}")
        hit(request, ["phone-code-phone"], key=f"phone:{phone}")
    except RateLimited as exc:
        return exc
    return None


@login_required
def phone_start(request: HttpRequest, venue_id: int) -> HttpResponse:
    """Type the visitor's phone; a code is sent to it if someone declared with it."""
    venue = _venue(request, venue_id)
    scannable = venues.accepts_scans(venue.status)
    status, over = 200, None
    if request.method == "POST" and scannable:
        form = PhoneForm(request.POST)
        if form.is_valid():
            phone = form.cleaned_data["phone"]
            over = limited(request, phone)
            if over is not None:
                form.add_error("phone", over.detail)
                status = 429
            else:
                try:
                    check = phonecheck.start(request.user, venue.pk, phone)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                    status = exc.status
                else:
                    return redirect("venues:phone-code", venue.pk, check.pk)
        else:
            status = 422
    else:
        form = PhoneForm(initial={"phone": request.GET.get("phone", "")[:20]})
        if request.method == "POST":  # a paused or closed checkpoint: nothing is sent
            status = 409
    context = {
        "venue": venue,
        "scannable": scannable,
        "form": form,
        "minutes": phonecheck.CODE_MINUTES,
    }
    response = render(request, "checkins/phone.html", context, status=status)
    if over is not None:
        response["Retry-After"] = str(over.retry_after)
    return response


def _code_page(
    request: HttpRequest,
    check: PhoneCheck,
    form: CodeForm,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    return render(
        request,
        "checkins/phone_code.html",
        {
            "venue": check.venue,
            "check": check,
            "form": form,
            "phone": display_phone(check.phone),
            "expired": timezone.now() >= check.expires_at,
            "error": error,
        },
        status=status,
    )


def _result_page(request: HttpRequest, outcome: phonecheck.Outcome) -> HttpResponse:
    audit(request, outcome)
    rows = [
        {
            "shown": r.shown,
            "direction": r.direction,
            "checkin": r.checkin,
            "declaration": outcome.declarations.get(r.person.pk) if r.person else None,
            "replayed": r.status == 200,
        }
        for r in outcome.recorded
    ]
    return render(
        request,
        "checkins/phone_done.html",
        {"venue": outcome.check.venue, "check": outcome.check, "rows": rows},
        status=201 if any(r.status == 201 for r in outcome.recorded) else 200,
    )


def _pick_page(
    request: HttpRequest, outcome: phonecheck.Outcome, form: PickForm, status: int = 200
) -> HttpResponse:
    audit(request, outcome)
    picked = {str(v) for v in (form["person_ids"].value() or [])}
    return render(
        request,
        "checkins/phone_pick.html",
        {
            "venue": outcome.check.venue,
            "check": outcome.check,
            "form": form,
            "people": [
                {
                    "candidate": c,
                    "declaration": c.declaration,
                    "checked": str(c.person.pk) in picked,
                }
                for c in outcome.people
            ],
        },
        status=status,
    )


@login_required
def phone_code(request: HttpRequest, venue_id: int, check_id: int) -> HttpResponse:
    """Type the code the visitor read out: one person is checked in at once, a phone several
    people declared with asks who is here. Only the account that asked for the code gets here."""
    _venue(request, venue_id)
    check = visible_or_404(PhoneCheck.objects.select_related("venue"), request.user, pk=check_id)
    if check.venue_id != venue_id:
        return redirect("venues:phone-code", check.venue_id, check.pk)
    if request.method != "POST":
        if check.done_at is not None:  # what it stored (replays: nothing new)
            try:
                outcome = phonecheck.confirm(request.user, check.pk, "")
            except DomainError as exc:
                return _code_page(request, check, CodeForm(), exc.status, exc.message)
            return _outcome_page(request, check, outcome)
        if check.confirmed_at is not None:
            people = phonecheck.candidates(check.phone)
            outcome = phonecheck.Outcome(check, people=people)
            return _pick_page(request, outcome, PickForm(people=people))
        return _code_page(request, check, CodeForm())
    if "person_ids" in request.POST:
        return _pick(request, check)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, check, form, 422)
    try:
        outcome = phonecheck.confirm(
            request.user, check.pk, form.cleaned_data["code"], form.cleaned_data["direction"]
        )
    except phonecheck.WrongCode as exc:
        form.add_error("code", exc.message)
        return _code_page(request, check, form, 422)
    except DomainError as exc:
        check.refresh_from_db()
        return _code_page(request, check, form, exc.status, exc.message)
    return _outcome_page(request, check, outcome)


def _outcome_page(
    request: HttpRequest, check: PhoneCheck, outcome: phonecheck.Outcome
) -> HttpResponse:
    outcome.check.venue = check.venue
    if outcome.people:
        direction = request.POST.get("direction", "")
        return _pick_page(
            request, outcome, PickForm(people=outcome.people, initial={"direction": direction})
        )
    return _result_page(request, outcome)


def _pick(request: HttpRequest, check: PhoneCheck) -> HttpResponse:
    """The people picked among a shared phone's, checked in."""
    people = phonecheck.candidates(check.phone) if check.confirmed_at else []
    form = PickForm(request.POST, people=people)
    if not form.is_valid():
        outcome = phonecheck.Outcome(check, people=people)
        if not people:
            return _code_page(request, check, CodeForm(), 409, phonecheck.NotConfirmed().message)
        return _pick_page(request, outcome, form, 422)
    try:
        outcome = phonecheck.check_in(
            request.user, check.pk, form.cleaned_data["person_ids"], form.cleaned_data["direction"]
        )
    except DomainError as exc:
        check.refresh_from_db()
        return _code_page(request, check, CodeForm(), exc.status, exc.message)
    outcome.check.venue = check.venue
    return _result_page(request, outcome)
