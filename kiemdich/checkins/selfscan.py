"""`/c/<payload>`: what a phone camera opens from a poster. The person scans themself in and out.

The first time, the page asks for a short declaration and remembers the person in a cookie; after
that one tap records the entry, and scanning the poster again (or the "Ra" button) the exit. Each
form carries a client id made when the page was shown, so a double tap or a resent form is a
replay, never a second visit. No framework and no script beyond the commune picker: the page must
load fast on a cheap phone over a congested network.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.core.idempotency import posted_client_id
from kiemdich.declarations import cookies
from kiemdich.declarations.forms import DeclarationForm
from kiemdich.declarations.services import ReusedClientId, declare
from kiemdich.geo.models import Unit
from kiemdich.ratelimit import RateLimited, hit, limit, too_many
from kiemdich.venues.services import accepts_scans, area_line, resolve_payload
from kiemdich.venues.signing import InvalidPayload

from .services import IN, OUT, Scan, ScanRefused, open_visit, record_scan


@limit("scan")
def self_checkin(request: HttpRequest, payload: str) -> HttpResponse:
    try:
        venue = resolve_payload(payload)
    except InvalidPayload as exc:
        return render(
            request,
            "checkins/self_checkin.html",
            {"error": exc.message},
            status=410 if exc.gone else 400,
        )
    if not accepts_scans(venue.status):  # paused: a genuine poster whose entries wait
        context = {"venue": venue, "area": area_line(venue)}
        status = 409 if request.method == "POST" else 200
        return render(request, "checkins/self_checkin.html", context, status=status)
    person = cookies.person_from(request)
    form = None
    if request.method == "POST":
        client_id = posted_client_id(request)
        direction = request.POST.get("direction")
        if person is None:
            form = DeclarationForm(request.POST, short=True)
            if form.is_valid():
                try:  # a first scan declares too: counted as a declaration as well
                    hit(request, ["declare"])
                except RateLimited as exc:
                    return too_many(request, exc)
                try:
                    person = declare(form.cleaned_data, client_id=client_id)[0].person
                except ReusedClientId as exc:
                    form.add_error(None, exc.message)  # the page gets a new client id
                direction = IN
        if person is not None:
            response = redirect(request.path)
            cookies.remember(response, person)
            try:
                recorded = record_scan(
                    Scan(
                        client_id=client_id,
                        venue=payload,
                        direction=direction if direction in (IN, OUT) else None,
                        person_token=cookies.person_token(person),
                        source_app="web",
                    )
                )
            except ScanRefused as exc:
                messages.error(request, exc.message)
                return response
            at = timezone.localtime(
                recorded.checkin.t_in if recorded.direction == IN else recorded.checkin.t_out
            )
            text = (
                _("Entry recorded at %(time)s.")
                if recorded.direction == IN
                else _("Exit recorded at %(time)s. Thank you!")
            )
            messages.success(request, text % {"time": f"{at:%H:%M}"})
            return response
    elif person is None:
        form = DeclarationForm(short=True)
    inside = open_visit(person, venue) if person is not None else None
    context = {
        "venue": venue,
        "area": area_line(venue),
        "person": person,
        "inside": inside,
        "form": form,
        "client_id": uuid.uuid4(),
        "provinces": Unit.objects.provinces() if form is not None else [],
    }
    response = render(request, "checkins/self_checkin.html", context)
    if person is None and cookies.token_from(request):
        cookies.forget(response)  # the person was deleted after the retention period
    return response
