"""Monitoring's pages: the person's daily report (signed link, /me/), and the officials' pages.

The report page needs no account: the signed link is the person's credential for their own
monitoring only (links.py). A household head reports for the family members their phone
declares for (`access.family_q`) from /monitoring/me/. Officials' pages show personal data
only through `visible_to` and audit each read.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kiemdich.accounts.access import (
    may_administer,
    may_see_unit,
    visible_or_404,
    works_with_personal_data,
)
from kiemdich.accounts.audit import common_unit, record_read
from kiemdich.core.files import file_response
from kiemdich.core.idempotency import posted_client_id
from kiemdich.declarations import cookies
from kiemdich.declarations.models import Declaration, Person
from kiemdich.geo.areas import requested_unit, units_to_pick
from kiemdich.geo.models import Level, Unit
from kiemdich.hotline.models import Ticket
from kiemdich.official_docs import letterhead
from kiemdich.ratelimit import limit
from kiemdich.tracing.models import Case, Contact
from kiemdich.tracing.services import CaseError, find_person

from . import exports, services, stats
from .forms import EnrolForm, ReportForm, TeamReportForm
from .links import read_link
from .models import CloseReason, Facility, Monitoring, Reporter, Source, Transfer

PER_PAGE = 50


def _report(request: HttpRequest, monitoring: Monitoring, reporter: str) -> HttpResponse:
    """The tiny report page: symptoms, temperature, send. A resent form replays the first."""
    done = None
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                done, _created = services.record_report(
                    monitoring,
                    reporter=reporter,
                    symptoms=form.cleaned_data["symptoms"],
                    temperature=form.cleaned_data["temperature"],
                    client_id=posted_client_id(request),
                )
            except services.MonitoringError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except services.MonitoringConflict as exc:
                form.add_error(None, exc.message)
    else:
        form = ReportForm()
    status = 200 if request.method == "GET" or done or not form.errors else 422
    return render(
        request,
        "monitoring/report.html",
        {"monitoring": monitoring, "form": form, "done": done, "client_id": _fresh_id()},
        status=status,
    )


def _fresh_id() -> str:
    return str(uuid.uuid4())


@limit("monitoring-report")
def report_page(request: HttpRequest, token: str) -> HttpResponse:
    link = read_link(token)
    if link is None:
        raise Http404(_("This link is not valid."))
    if not link.current:
        # A leaked SMS's link, replaced by the team: like a closed one, it names nobody.
        return render(request, "monitoring/report.html", {"replaced": True}, status=410)
    if not link.monitoring.is_active:
        # The link never expires and lives on in an SMS: closed, it names nobody.
        return render(request, "monitoring/report.html", {"closed": True}, status=410)
    return _report(request, link.monitoring, Reporter.SELF)


def my_monitorings(request: HttpRequest) -> HttpResponse:
    """/monitoring/me/: the phone's person and the family members it declares for, each with
    the link to report for them today."""
    person = cookies.person_from(request)
    if person is None:
        return redirect("declare")
    people = [person.pk, *Person.objects.family_of(person).values_list("pk", flat=True)]
    rows = [
        (m, m.person_id != person.pk)
        for m in Monitoring.objects.active()
        .filter(person_id__in=people)
        .select_related("person")
        .order_by("pk")
    ]
    return render(
        request,
        "monitoring/mine.html",
        {"person": person, "rows": rows, "today": timezone.localdate()},
    )


@limit("monitoring-report")
def my_report(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    """A report from /me/: the person's own, or a household head's for a family member."""
    person = cookies.person_from(request)
    if person is None:
        return redirect("declare")
    family = Person.objects.family_of(person).values("pk")
    monitoring = (
        Monitoring.objects.active()
        .filter(Q(person=person) | Q(person_id__in=family), pk=monitoring_id)
        .select_related("person")
        .first()
    )
    if monitoring is None:
        raise Http404(_("Not found."))
    reporter = Reporter.SELF if monitoring.person_id == person.pk else Reporter.HOUSEHOLD
    return _report(request, monitoring, reporter)


# Officials' pages


def require_health_worker(user) -> None:
    """Officials of an area whose role reads personal data; everyone else is refused."""
    if not works_with_personal_data(user):
        raise PermissionDenied(_("Monitoring is for health workers and officials of an area."))


def monitoring_or_404(user, monitoring_id: int) -> Monitoring:
    require_health_worker(user)
    return visible_or_404(
        Monitoring.objects.select_related("person", "commune", "facility"), user, pk=monitoring_id
    )


def _read(request: HttpRequest, subject: str, people: list[int], unit, reason: str, **kw) -> None:
    if people:
        record_read(
            request.user, subject, subjects=people, unit=unit, reason=reason, request=request, **kw
        )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Under monitoring, reported today, not reporting, symptomatic, ending today, per unit."""
    require_health_worker(request.user)
    unit = requested_unit(request, _("Monitoring is for health workers and officials of an area."))
    board = stats.dashboard(unit)
    chart = {
        "labels": [label for _value, label, _n in board.by_regime],
        "values": [n for _value, _label, n in board.by_regime],
    }
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "board": board,
            "chart": chart,
            "units": units_to_pick(request.user, unit),
            "pending": Transfer.objects.visible_to(request.user)
            .pending()
            .filter(to_commune__path__startswith=unit.path)
            .count(),
        },
    )


@login_required
def dashboard_export(request: HttpRequest) -> HttpResponse:
    require_health_worker(request.user)
    unit = requested_unit(request, _("Monitoring is for health workers and officials of an area."))
    board = stats.dashboard(unit)
    return file_response(
        exports.dashboard_xlsx(board, letterhead(request.user, unit)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"theo-doi-cach-ly-{unit.code}-{board.today:%Y%m%d}.xlsx",
    )


SHOWS = {
    "": gettext_lazy("Everyone under monitoring"),
    "not_reported_today": gettext_lazy("Not reported today"),
    "not_reporting": gettext_lazy("Not reporting (24 hours)"),
    "symptomatic": gettext_lazy("Symptoms or fever"),
    "ending_today": gettext_lazy("Ending today"),
}


@login_required
def commune_list(request: HttpRequest, code: str) -> HttpResponse:
    """A commune's follow-up list: who to call or visit, and what the last call found."""
    user = request.user
    require_health_worker(user)
    commune = get_object_or_404(Unit, code=code, level=Level.COMMUNE)
    if not may_see_unit(user, commune):
        raise Http404(_("This commune is outside your area."))
    show = request.GET.get("show", "") if request.GET.get("show", "") in SHOWS else ""
    rows = stats.follow_up(Monitoring.objects.visible_to(user).filter(commune=commune), show)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    _read(
        request,
        f"monitoring list {commune.code} page {page.number}",
        [m.person_id for m in page.object_list],
        commune,
        "monitoring follow-up list",
    )
    declared = services.declarations_to_enrol(user, commune)[:PER_PAGE]
    _read(
        request,
        f"monitoring declarations {commune.code}",
        [d.person_id for d in declared],
        commune,
        "declarations from outbreak areas",
    )
    return render(
        request,
        "monitoring/commune.html",
        {
            "commune": commune,
            "page": page,
            "show": show,
            "shows": SHOWS.items(),
            "query": urlencode({"show": show}),
            "today": timezone.localdate(),
            "declared": declared,
        },
    )


@login_required
def work_list(request: HttpRequest) -> HttpResponse:
    """The team's list for the day, on a phone: alerts first, then everyone not heard from
    today, each with the call or visit form."""
    user = request.user
    require_health_worker(user)
    today = timezone.localdate()
    rows = stats.follow_up(Monitoring.objects.visible_to(user), "not_reported_today", today)
    alerted = Monitoring.objects.visible_to(user).filter(symptomatic_since__isnull=False)
    people = list(
        stats.follow_up(Monitoring.objects.filter(pk__in=alerted.values("pk") | rows.values("pk")))[
            :PER_PAGE
        ]
    )
    _read(
        request,
        "monitoring work list",
        [m.person_id for m in people],
        user.unit_id or common_unit(m.commune_id for m in people),
        "work list",
    )
    return render(
        request,
        "monitoring/work.html",
        {"people": people, "form": TeamReportForm(), "client_id": _fresh_id(), "today": today},
    )


@login_required
def detail(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    monitoring = monitoring_or_404(request.user, monitoring_id)
    return _detail(request, monitoring, TeamReportForm())


def _detail(request, monitoring, team_form, status=200, **context) -> HttpResponse:
    """The person's page, also shown again with a refused step's error: audited either way."""
    _read(
        request,
        f"monitoring {monitoring.pk}",
        [monitoring.person_id],
        monitoring.commune,
        "monitoring page",
    )
    return render(
        request,
        "monitoring/detail.html",
        {
            "m": monitoring,
            "reports": monitoring.reports.select_related("recorded_by")[:30],
            "alerts": monitoring.alerts.all()[:10],
            "transfers": monitoring.transfers.select_related("to_commune", "from_commune"),
            "form": team_form,
            "client_id": _fresh_id(),
            "reasons": CloseReason.choices,
            **context,
        },
        status=status,
    )


def _back_to(request: HttpRequest, default: str) -> str:
    """The page a form came from (`next`), if it is one of this site's: never another host's
    (a crafted form would bounce a signed-in official to a look-alike sign-in page)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def team_report(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    """A team member's call or visit, from the work list or the person's page."""
    monitoring = monitoring_or_404(request.user, monitoring_id)
    form = TeamReportForm(request.POST)
    if form.is_valid():
        try:
            services.record_report(
                monitoring,
                reporter=form.cleaned_data["reporter"],
                outcome=form.cleaned_data["outcome"],
                symptoms=form.cleaned_data["symptoms"],
                temperature=form.cleaned_data["temperature"],
                recorded_by=request.user,
                client_id=posted_client_id(request),
            )
        except (services.MonitoringError, services.MonitoringConflict) as exc:
            form.add_error(
                getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None,
                exc.message,
            )
        else:
            messages.success(request, _("The call or visit was recorded."))
            return redirect(_back_to(request, reverse("monitoring:detail", args=[monitoring.pk])))
    return _detail(request, monitoring, form, status=422)


@login_required
@require_POST
def transfer(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    monitoring = monitoring_or_404(request.user, monitoring_id)
    to = Unit.objects.filter(code=request.POST.get("to_commune", "").strip()).first()
    try:
        if to is None:
            raise services.MonitoringError("to_commune", _("Unknown commune code."))
        services.request_transfer(request.user, monitoring, to)
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        return _detail(
            request, monitoring, TeamReportForm(), status=422, transfer_error=exc.message
        )
    messages.success(request, _("Transfer requested: the receiving commune must accept it."))
    return redirect("monitoring:detail", monitoring.pk)


@login_required
@require_POST
def close(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    monitoring = monitoring_or_404(request.user, monitoring_id)
    try:
        case = services.close(request.user, monitoring, request.POST.get("reason", ""))
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        return _detail(request, monitoring, TeamReportForm(), status=422, close_error=exc.message)
    except CaseError as exc:
        return _detail(request, monitoring, TeamReportForm(), status=422, close_error=exc.message)
    messages.success(request, _("The monitoring was closed."))
    if case is not None:
        return redirect("tracing:detail", case.pk)
    return redirect("monitoring:commune", monitoring.commune_id)


@login_required
@require_POST
def exposure(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    """Exposure continues (keep open) or stopped now (the period counts again from now)."""
    monitoring = monitoring_or_404(request.user, monitoring_id)
    continues = request.POST.get("continues") == "1"
    try:
        services.set_exposure(
            request.user,
            monitoring,
            continues=continues,
            exposure_at=None if continues else timezone.now(),
        )
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        return _detail(request, monitoring, TeamReportForm(), status=422, close_error=exc.message)
    return redirect("monitoring:detail", monitoring.pk)


@login_required
def new_link(request: HttpRequest, monitoring_id: int) -> HttpResponse:
    """Send the person a new report link, the old one stopping at once (an SMS read by someone
    else). GET is the confirmation page, as anything that messages a person has one."""
    monitoring = monitoring_or_404(request.user, monitoring_id)
    error = None
    if request.method == "POST":
        try:
            services.send_new_link(request.user, monitoring)
        except (services.MonitoringError, services.MonitoringConflict) as exc:
            error = exc.message
        else:
            _read(
                request,
                f"monitoring {monitoring.pk} report link",
                [monitoring.person_id],
                monitoring.commune,
                "new report link sent",
                action="new link",
            )
            messages.success(request, _("A new link was sent; the old one no longer works."))
            return redirect("monitoring:detail", monitoring.pk)
    _read(
        request,
        f"monitoring {monitoring.pk}",
        [monitoring.person_id],
        monitoring.commune,
        "new report link, confirmation",
    )
    return render(
        request,
        "monitoring/new_link.html",
        {"m": monitoring, "error": error},
        status=422 if error else 200,
    )


@login_required
def transfers(request: HttpRequest) -> HttpResponse:
    """Transfers waiting for the user's area to accept them, and those it sent."""
    user = request.user
    require_health_worker(user)
    pending = (
        Transfer.objects.visible_to(user)
        .pending()
        .select_related("monitoring__person", "from_commune", "to_commune")
    )
    rows = [(t, may_see_unit(user, t.to_commune)) for t in pending[:PER_PAGE]]
    _read(
        request,
        "monitoring transfers",
        [t.monitoring.person_id for t, _a in rows],
        user.unit_id or common_unit(t.to_commune_id for t, _a in rows),
        "transfers to accept",
    )
    return render(request, "monitoring/transfers.html", {"rows": rows})


@login_required
@require_POST
def accept(request: HttpRequest, transfer_id: int) -> HttpResponse:
    require_health_worker(request.user)
    found = visible_or_404(
        Transfer.objects.select_related("monitoring", "to_commune"), request.user, pk=transfer_id
    )
    try:
        services.accept_transfer(request.user, found)
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Transfer accepted: the person is now on your list."))
    return redirect("monitoring:transfers")


@login_required
def facilities(request: HttpRequest) -> HttpResponse:
    """Centralized quarantine facilities of the area: occupancy against capacity."""
    user = request.user
    require_health_worker(user)
    error = None
    if request.method == "POST":
        commune = Unit.objects.filter(code=request.POST.get("commune", "").strip()).first()
        try:
            if commune is None:
                raise services.MonitoringError("commune", _("Unknown commune code."))
            services.create_facility(
                user,
                name=request.POST.get("name", ""),
                commune=commune,
                capacity=int(request.POST.get("capacity") or 0),
            )
        except ValueError as exc:
            error = getattr(exc, "message", _("The capacity is a whole number."))
        except services.NotYours as exc:
            error = exc.message
        else:
            messages.success(request, _("Facility registered."))
            return redirect("monitoring:facilities")
    rows = services.with_occupancy(Facility.objects.visible_to(user).select_related("commune"))
    return render(
        request,
        "monitoring/facilities.html",
        {
            "rows": rows,
            "error": error,
            "may_add": may_administer(user, user.unit),
            "typed": request.POST,
        },
        status=422 if error else 200,
    )


# Enrolment


@login_required
def enrol_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """All F1 of a case at once: the page says how many first; the button enrols them."""
    user = request.user
    require_health_worker(user)
    case = get_object_or_404(Case.objects.visible_to(user), pk=case_id)
    contacts = services.case_f1_to_enrol(user, case)
    if request.method == "POST":
        try:
            enrolled = services.enrol_contacts(user, list(contacts))
        except (services.MonitoringError, services.MonitoringConflict) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d person put under home quarantine.",
                    "%(n)d people put under home quarantine.",
                    enrolled,
                )
                % {"n": enrolled},
            )
        return redirect("tracing:detail", case.pk)
    contacts = list(contacts)
    over = len(services.past_their_period(contacts))
    return render(
        request,
        "monitoring/enrol_case.html",
        {"case": case, "count": len(contacts) - over, "over": over},
    )


@login_required
@require_POST
def enrol_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """One contact, from the case's commune list."""
    user = request.user
    require_health_worker(user)
    contact = visible_or_404(
        Contact.objects.select_related("person", "commune"), user, pk=contact_id
    )
    try:
        enrolled = services.enrol_contacts(user, [contact])
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Put under home quarantine.") if enrolled else _("Already under monitoring."),
        )
    return redirect(
        reverse("tracing:commune", args=[contact.case_id, contact.commune_id])
        + f"#contact-{contact.pk}"
    )


@login_required
@require_POST
def enrol_declaration(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """Someone who declared travel from an outbreak area, from the commune's list."""
    user = request.user
    require_health_worker(user)
    declaration = visible_or_404(
        Declaration.objects.select_related("person", "commune"), user, pk=declaration_id
    )
    try:
        services.enrol_declaration(user, declaration)
    except (services.MonitoringError, services.MonitoringConflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Put under home quarantine."))
    return redirect("monitoring:commune", declaration.commune_id)


def _ticket(request: HttpRequest):
    """The hotline ticket the form enrols from (`?ticket=` from its page, then the form's own
    hidden field), read again on each request so its phone, commune and number are the
    ticket's, not what a posted form says; None when enrolling by hand."""
    raw = request.POST.get("ticket") or request.GET.get("ticket") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404(_("Not found."))
    return visible_or_404(Ticket.objects.select_related("commune"), request.user, pk=int(raw))


@login_required
def enrol_new(request: HttpRequest) -> HttpResponse:
    """By hand: the person by phone or ID number (of the user's area), the regime, the start.
    From a hotline ticket, the caller's phone is filled in and the ticket's commune follows the
    person up, with the ticket as the source."""
    user = request.user
    require_health_worker(user)
    ticket = _ticket(request)
    places = Facility.objects.visible_to(user).order_by("name")
    initial = {"phone": ticket.caller_phone} if ticket else {}
    form = EnrolForm(request.POST or None, initial=initial)
    form.fields["facility"].widget.choices = [("", "—"), *[(f.pk, f.name) for f in places]]
    if ticket is not None and request.method == "GET":
        record_read(
            user,
            f"hotline ticket {ticket.number}",
            unit=ticket.commune,
            reason="enrol in monitoring from the hotline",
            request=request,
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = find_person(user, phone=data["phone"], id_number=data["id_number"])
            facility = places.filter(pk=data["facility"]).first() if data["facility"] else None
            monitoring, created = services.enrol(
                user,
                person,
                regime=data["regime"],
                exposure_at=data["exposure_at"],
                facility=facility,
                team=data["team"],
                source=Source.HOTLINE if ticket else Source.MANUAL,
                source_ref=f"ticket {ticket.number}" if ticket else "",
                commune=ticket.commune if ticket else None,
            )
        except (services.MonitoringError, CaseError) as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except services.MonitoringConflict as exc:
            form.add_error(None, exc.message)
        else:
            if not created:
                messages.info(request, _("Already under monitoring."))
            return redirect("monitoring:detail", monitoring.pk)
    return render(
        request,
        "monitoring/new.html",
        {"form": form, "ticket": ticket},
        status=422 if form.errors else 200,
    )
