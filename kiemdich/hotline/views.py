"""The hotline's pages: the operator's intake and queue, the agency's inbox, the supervisor's
board, the routing rules, the statistics; and the public's report form and status lookup.

Thin: the gate (`accounts.access`) decides who reaches what, services.py writes, reading.py
reads. Every page showing a ticket's caller or report to an official writes an audit record.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.access import (
    acts_for_an_agency,
    area_path,
    is_hotline_supervisor,
    may_act_for_agency,
    may_edit_routing,
    may_monitor,
    may_open_case_from_ticket,
    may_operate_hotline,
    may_see_unit,
    may_work_ticket,
    visible_or_404,
)
from kiemdich.checkins.stats import visits_on
from kiemdich.core.errors import ApiError, DomainError
from kiemdich.core.files import file_response
from kiemdich.geo.models import Unit
from kiemdich.official_docs import letterhead
from kiemdich.ratelimit import RateLimited, hit, limit, too_many
from kiemdich.venues.models import Venue

from . import exports, reading, services
from .api import audit_ticket, period
from .forms import (
    CaseForm,
    IntakeForm,
    NoteForm,
    PublicReportForm,
    ReassignForm,
    RuleForm,
    StatsForm,
    VenueForm,
    new_challenge,
)
from .models import OPEN_STATUSES, Agency, Category, Channel, RoutingRule, Status, Ticket
from .public import find, public_view


def _operator(user) -> None:
    if not may_operate_hotline(user):
        raise PermissionDenied(_("These pages are for the hotline's operators."))


def _official(user) -> None:
    if area_path(user) is None:
        raise PermissionDenied(_("These pages are for officials of an area."))


def _rows(tickets, now: dt.datetime) -> list[reading.BoardRow]:
    return [
        reading.BoardRow(
            ticket=t,
            state=reading.board_state(t, now),
            age_minutes=int((now - t.received_at).total_seconds() // 60),
            left_minutes=int((t.due_at - now).total_seconds() // 60),
        )
        for t in tickets
    ]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The operator's queue: open tickets of the area, the ones waiting for the hotline first."""
    _operator(request.user)
    now = timezone.now()
    tickets = (
        Ticket.objects.visible_to(request.user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("commune", "agency")
    )
    waiting = _rows(tickets.filter(status=Status.UNROUTED).order_by("received_at")[:200], now)
    sent = _rows(tickets.exclude(status=Status.UNROUTED).order_by("received_at")[:200], now)
    return render(request, "hotline/queue.html", {"waiting": waiting, "sent": sent})


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """One page to log a call: the phone, the channel, the category, the commune, what happened."""
    _operator(request.user)
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.receive(services.Report(**data), actor=request.user)
        except services.TicketFieldError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Ticket %(number)s logged: due at %(due)s.")
                % {
                    "number": ticket.number,
                    "due": f"{timezone.localtime(ticket.due_at):%H:%M %d/%m}",
                },
            )
            return redirect("hotline:intake")
    return render(
        request, "hotline/intake.html", {"form": form, "provinces": Unit.objects.provinces()}
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The supervisor's board: open tickets by age, orange from the first escalation step,
    red past the limit."""
    _official(request.user)
    figures = reading.board(Ticket.objects.visible_to(request.user))
    return render(
        request,
        "hotline/board.html",
        {**figures, "supervisor": is_hotline_supervisor(request.user)},
    )


def _agencies_of(user):
    return Agency.objects.filter(pk__in=user.hotline_agencies.values("pk")) | Agency.objects.filter(
        head=user
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """An agency's inbox: the tickets its members must act on, oldest first."""
    if not acts_for_an_agency(request.user):
        raise PermissionDenied(_("This page is for the members of a receiving agency."))
    agencies = _agencies_of(request.user).distinct()
    now = timezone.now()
    tickets = (
        Ticket.objects.visible_to(request.user)
        .filter(status__in=OPEN_STATUSES, agency__in=agencies)
        .select_related("commune", "agency")
        .order_by("received_at")[:200]
    )
    return render(
        request, "hotline/inbox.html", {"rows": _rows(tickets, now), "agencies": agencies}
    )


def _actions(user, ticket: Ticket) -> set[str]:
    """What `user` may do to the ticket now: the buttons the page shows."""
    agency = may_act_for_agency(user, ticket.agency)
    hotline = may_work_ticket(user, ticket)
    found = set()
    if ticket.is_open:
        if agency and ticket.status == Status.ASSIGNED:
            found.add("acknowledge")
        if agency or hotline:
            found |= {"note", "resolve"}
        if agency:
            found.add("return")
        if hotline:
            found |= {"reassign", "venue"}
    elif hotline:
        found.add("reopen")
    if (
        ticket.category == Category.SUSPECTED_CASE
        and ticket.case_id is None
        and may_open_case_from_ticket(user)
    ):
        found.add("case")
    if may_monitor(user, ticket.commune):
        # A link to monitoring's own form, which reads the ticket: monitoring sits below the
        # hotline in the layers, so the hotline names no monitoring code.
        found.add("monitor")
    return found


def _detail(request: HttpRequest, ticket: Ticket, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    venue = ticket.venue
    scans = None
    if venue is not None:
        today = timezone.localdate()
        scans = {
            "today": visits_on([venue.pk], today).get(venue.pk, 0),
            "yesterday": visits_on([venue.pk], today - dt.timedelta(days=1)).get(venue.pk, 0),
        }
    agencies = Agency.objects.visible_to(request.user).exclude(pk=ticket.agency_id)
    context = {
        "ticket": ticket,
        "state": reading.board_state(ticket, timezone.now()) if ticket.is_open else "",
        "actions": _actions(request.user, ticket),
        "history": ticket.events.select_related("agency", "actor"),
        "segments": ticket.segments.select_related("agency"),
        "venue": venue,
        "scans": scans,
        "note_form": forms.get("note") or NoteForm(),
        "reassign_form": forms.get("reassign") or ReassignForm(agencies=agencies),
        "venue_form": forms.get("venue") or VenueForm(),
        "case_form": forms.get("case") or CaseForm(initial={"confirmed_at": timezone.localtime()}),
        "failed": forms.get("failed", ""),
    }
    audit_ticket(request, ticket)
    return render(request, "hotline/ticket.html", context, status=status)


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return visible_or_404(
        Ticket.objects.select_related("commune", "agency", "venue"), request.user, pk=ticket_id
    )


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _detail(request, _ticket(request, ticket_id))


def _step(request: HttpRequest, ticket: Ticket, action: str, forms: dict):
    """Run one step of the page's forms; a form that does not validate is returned to show."""
    user = request.user
    if action in ("acknowledge", "note", "resolve", "return", "reopen"):
        form = NoteForm(request.POST)
        forms["note"] = form
        if not form.is_valid():
            return None
        note = form.cleaned_data["note"]
        if action == "acknowledge":
            return services.acknowledge(ticket, user)
        if action == "note":
            return services.add_note(ticket, user, note)
        if action == "resolve":
            return services.resolve(ticket, user, note)
        if action == "return":
            return services.return_to_hotline(ticket, user, note)
        return services.reopen(ticket, user, note)
    if action == "reassign":
        form = ReassignForm(request.POST, agencies=Agency.objects.visible_to(user))
        forms["reassign"] = form
        if not form.is_valid():
            return None
        return services.reassign(
            ticket, form.cleaned_data["agency"], user, form.cleaned_data["note"]
        )
    if action == "venue":
        form = VenueForm(request.POST)
        forms["venue"] = form
        if not form.is_valid():
            return None
        venue = Venue.objects.visible_to(user).filter(pk=form.cleaned_data["venue"]).first()
        if venue is None:
            form.add_error("venue", _("No checkpoint of your area has this number."))
            return None
        return services.link_venue(ticket, venue, user)
    form = CaseForm(request.POST)
    forms["case"] = form
    if not form.is_valid():
        return None
    data = form.cleaned_data
    case, _report = services.to_case(
        ticket,
        user,
        confirmed_at=data["confirmed_at"],
        phone=data["phone"].strip(),
        id_number=data["id_number"].strip(),
    )
    return case


@login_required
@require_POST
def ticket_action(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    ticket = _ticket(request, ticket_id)
    if action not in _actions(request.user, ticket):
        raise PermissionDenied(_("You may not do this to this ticket."))
    forms: dict = {}
    try:
        done = _step(request, ticket, action, forms)
    except DomainError as exc:
        field = getattr(exc, "field", None)
        target = next((f for f in forms.values() if field in getattr(f, "fields", {})), None)
        if target is not None:
            target.add_error(field, exc.message)
        else:
            forms["failed"] = exc.message
        done = None
    if done is None:
        return _detail(request, ticket, {**forms, "action": action}, status=422)
    if action == "case":
        messages.success(request, _("Tracing case recorded and traced."))
        return redirect("tracing:detail", case_id=done.pk)
    messages.success(request, _("Saved."))
    return redirect("hotline:ticket", ticket_id=ticket.pk)


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The province's routing rules: category and area to the agency; the most specific wins."""
    user = request.user
    unit = user.unit or Unit.objects.provinces().first()
    if unit is None or not may_edit_routing(user, unit):
        raise PermissionDenied(
            _("The province's officers and the hotline's supervisors edit the rules.")
        )
    agencies = Agency.objects.visible_to(user)
    form = RuleForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and "delete" in request.POST:
        which = request.POST["delete"]
        if not which.isdecimal():
            raise Http404(_("Not found."))
        rule = visible_or_404(RoutingRule.objects.all(), user, pk=int(which))
        services.delete_rule(rule)
        messages.success(request, _("Rule removed."))
        return redirect("hotline:rules")
    if request.method == "POST" and form.is_valid():
        area = Unit.objects.filter(code=form.cleaned_data["unit_code"].strip()).first()
        if area is None or not may_edit_routing(user, area):
            form.add_error("unit_code", _("Give a unit of your area."))
        else:
            try:
                services.set_rule(form.cleaned_data["category"], area, form.cleaned_data["agency"])
            except services.TicketFieldError as exc:
                form.add_error("agency" if exc.field == "agency" else None, exc.message)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("hotline:rules")
    listed = RoutingRule.objects.visible_to(user).select_related("unit", "agency")
    return render(request, "hotline/rules.html", {"form": form, "rules": listed, "unit": unit})


def _stats_period(request: HttpRequest):
    user = request.user
    _official(user)
    form = StatsForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = (data.get("unit") or "").strip() or user.unit_id or "70"
    unit = Unit.objects.filter(code=code).first()
    if unit is None or not may_see_unit(user, unit):
        raise Http404(_("Not found."))
    try:
        start, end = period(data.get("start"), data.get("end"))
    except ApiError:
        start, end = period(None, None)
    return form, unit, start, end


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    form, unit, start, end = _stats_period(request)
    figures = reading.statistics(unit, start, end)
    charts = {
        "days": [row["date"] for row in figures["per_day"]],
        "per_day": [row["tickets"] for row in figures["per_day"]],
        "channels": [row["label"] for row in figures["per_channel"]],
        "per_channel": [row["tickets"] for row in figures["per_channel"]],
        "categories": [row["label"] for row in figures["per_category"]],
        "per_category": [row["tickets"] for row in figures["per_category"]],
    }
    query = f"unit={unit.code}&start={start.isoformat()}&end={end.isoformat()}"
    return render(
        request,
        "hotline/stats.html",
        {
            "form": form,
            "unit": unit,
            "start": start,
            "end": end,
            "figures": figures,
            "charts": charts,
            "query": query,
        },
    )


@login_required
def statistics_file(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404(_("Not found."))
    _form, unit, start, end = _stats_period(request)
    figures = reading.statistics(unit, start, end)
    head = letterhead(request.user, unit)
    name = f"hotline-1022-{unit.code}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        content = exports.statistics_xlsx(figures, unit.full_name, head)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return file_response(content, kind, name)
    return file_response(
        exports.statistics_pdf(figures, unit.full_name, head), "application/pdf", name
    )


# The public


@limit("hotline-report")
def public_report(request: HttpRequest) -> HttpResponse:
    """A citizen's report: no account, a small sum to answer (no JavaScript needed), a choice
    of whether it may be shown publicly. The answer is the ticket's number."""
    form = PublicReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.Report(
            channel=Channel.WEB,
            category=data["category"],
            commune_code=data["commune_code"],
            location=data["location"],
            description=data["description"],
            caller_phone=data["phone"],
            public=data["public"],
        )
        try:
            ticket = services.receive(report)
        except services.TicketFieldError as exc:
            names = {"caller_phone": "phone"}
            field = names.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            return render(request, "hotline/public_filed.html", {"view": public_view(ticket)})
    question, token = new_challenge()
    if form.is_bound:
        form.data = form.data.copy()
        form.data["challenge"] = token
        form.data["answer"] = ""
    else:
        form.initial["challenge"] = token
    return render(
        request,
        "hotline/public_report.html",
        {"form": form, "question": question, "provinces": Unit.objects.provinces()},
    )


def public_status(request: HttpRequest) -> HttpResponse:
    """A report's status by its number: no personal data (public.py). Lookups count in
    `hotline-status`, as Open311's do: one address does not try numbers at will."""
    number = request.GET.get("number", "").strip()
    if number:
        try:
            hit(request, ["hotline-status"])
        except RateLimited as exc:
            return too_many(request, exc)
    ticket = find(number) if number else None
    view = public_view(ticket) if ticket else None
    return render(
        request,
        "hotline/public_status.html",
        {"number": number, "view": view, "missing": bool(number) and view is None},
    )
