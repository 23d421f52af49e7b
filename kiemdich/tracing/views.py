"""The health tracers' pages: cases, recording one, the case (timeline, area, graph) and each
commune's work list with its Excel file.

Default deny: only officials of an area in a role that works with personal data get in. A case
is visible to the officials of its area and to those of every commune holding some of its
contacts; contacts only ever come through `Contact.objects.visible_to`, so a commune officer sees
the commune's own list and nothing else. Every page showing personal data writes an audit record.
Thin: searches and writes are in services.py and search.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kiemdich.accounts.access import (
    area_q,
    may_issue_codes_by_hand,
    may_see_person,
    may_see_unit,
    may_trace,
    works_with_personal_data,
)
from kiemdich.accounts.audit import common_unit, record_read
from kiemdich.geo.models import Unit
from kiemdich.official_docs import letterhead
from kiemdich.venues.models import Venue

from . import audit, exports, search, services
from .forms import CaseForm, ContactForm
from .models import Case, Contact, Evidence, Status
from .services import CaseError, TraceReport, open_case, trace_case

PER_PAGE = 50
#: The graph draws at most this many contacts (the lowest degrees first): a phone lays out a few
#: hundred nodes in a blink; the lists below it hold everyone.
GRAPH_LIMIT = 300
#: Crowds of the last trace kept in the session for the case page (the trace does not store them).
CROWDS_KEPT = 100


def require_tracer(user) -> None:
    """Officials of an area whose role reads personal data; everyone else is refused."""
    if not works_with_personal_data(user):
        raise PermissionDenied(_("Tracing is for health workers and officials of an area."))


def case_or_404(user, case_id: int) -> Case:
    require_tracer(user)
    cases = Case.objects.visible_to(user).select_related("person__commune", "unit")
    return get_object_or_404(cases, pk=case_id)


def commune_or_404(user, code: str) -> Unit:
    commune = get_object_or_404(Unit, code=code)
    if not may_see_unit(user, commune):
        raise Http404(_("This commune is outside your area."))
    return commune


def initials(name: str) -> str:
    """'Nguyễn Văn An' -> 'NVA': how the graph names people."""
    letters = [word[0] for word in name.split() if word[:1].isalpha()]
    return "".join(letters[:4]).upper() or "?"


def keep_crowds(request: HttpRequest, case: Case, report: TraceReport) -> None:
    request.session[f"tracing-crowds-{case.pk}"] = [
        [c.venue_id, c.hour.isoformat(), c.people] for c in report.crowds[:CROWDS_KEPT]
    ]


def kept_crowds(request: HttpRequest, case: Case) -> list[dict]:
    rows = request.session.get(f"tracing-crowds-{case.pk}") or []
    venues = Venue.objects.in_bulk({venue_id for venue_id, _h, _n in rows})
    return [
        {"venue": venues.get(venue_id), "hour": dt.datetime.fromisoformat(hour), "people": people}
        for venue_id, hour, people in rows
    ]


def traced_message(request: HttpRequest, report: TraceReport) -> None:
    messages.success(
        request,
        _("Traced: %(f1)d F1 and %(f2)d F2 found.") % {"f1": report.f1, "f2": report.f2},
    )
    if report.crowds:
        messages.warning(
            request,
            _("Some checkpoints were too crowded to list everyone: see the crowds below."),
        )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_tracer(user)
    contacts = area_q(user, "contacts__commune__path")
    qs = (
        Case.objects.visible_to(user)
        .select_related("person", "unit")
        .annotate(
            f1=Count("contacts", filter=contacts & Q(contacts__degree=1)),
            f2=Count("contacts", filter=contacts & Q(contacts__degree=2)),
        )
        .order_by("-confirmed_at", "-pk")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(case, may_see_person(user, unit=case.unit)) for case in page.object_list]
    named = [case for case, sees in rows if sees]
    if named:
        record_read(
            user,
            f"case list page {page.number}",
            subjects=[case.person_id for case in named],
            unit=user.unit_id or common_unit(case.unit_id for case in named),
            reason="case list (names)",
            request=request,
        )
    return render(
        request,
        "tracing/list.html",
        {"page": page, "rows": rows, "may_hand_code": may_issue_codes_by_hand(user)},
    )


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_tracer(user)
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case, report = open_case(
                user,
                phone=data["phone"],
                id_number=data["id_number"],
                person_qr=data["person_qr"],
                confirmed_at=data["confirmed_at"],
                onset_at=data["onset_at"],
                infectious_from=data["infectious_from"],
                infectious_to=data["infectious_to"],
            )
        except CaseError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            audit.case_recorded(request, case)
            keep_crowds(request, case, report)
            traced_message(request, report)
            return redirect("tracing:detail", case.pk)
    return render(request, "tracing/new.html", {"form": form})


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = case_or_404(user, case_id)
    sees_f0 = may_see_person(user, unit=case.unit)
    contacts = Contact.objects.visible_to(user).filter(case=case)

    by_commune = list(
        contacts.values("commune_id")
        .annotate(
            f1=Count("pk", filter=Q(degree=1)),
            f2=Count("pk", filter=Q(degree=2)),
            unreached=Count("pk", filter=Q(status=Status.NOT_REACHED)),
            bluetooth=Count("pk", filter=Q(evidence=Evidence.BLUETOOTH)),
        )
        .order_by("commune_id")
    )
    communes = Unit.objects.in_bulk([row["commune_id"] for row in by_commune])
    for row in by_commune:
        row["commune"] = communes[row["commune_id"]]

    timeline, visited = [], []
    if sees_f0:
        visits = search.visits_of(case.person_id, case.infectious_from, case.infectious_to)
        venues = Venue.objects.select_related("commune").in_bulk({v.venue_id for v in visits})
        timeline = [(venues[v.venue_id], v.t_in, v.end) for v in visits]
        places: dict[Unit, dict[Venue, int]] = defaultdict(lambda: defaultdict(int))
        for venue, _start, _end in timeline:
            places[venue.commune][venue] += 1
        visited = [
            (commune, sorted(v.items(), key=lambda i: i[0].name)) for commune, v in places.items()
        ]
        visited.sort(key=lambda item: item[0].path)

    graph = graph_data(case, contacts, sees_f0)
    shown = [node["id"] for node in graph["nodes"] if node["f"] > 0 and not node.get("out")]
    record_read(
        user,
        f"case {case.pk}",
        subjects=[case.person_id, *shown] if sees_f0 else shown,
        unit=case.unit,
        reason="case page",
        request=request,
    )
    totals = {
        "f1": sum(row["f1"] for row in by_commune),
        "f2": sum(row["f2"] for row in by_commune),
        "bluetooth": sum(row["bluetooth"] for row in by_commune),
    }
    return render(
        request,
        "tracing/case.html",
        {
            "case": case,
            "sees_f0": sees_f0,
            "may_trace": may_trace(user, case),
            "by_commune": by_commune,
            "totals": totals,
            "timeline": timeline,
            "visited": visited,
            "crowds": kept_crowds(request, case),
            "graph": graph,
            "graph_limit": GRAPH_LIMIT,
        },
    )


def graph_data(case: Case, contacts, sees_f0: bool) -> dict:
    """Nodes (initials only) and edges source -> person of the contacts the user may see.

    A source the user may not see (an F1 of another area met by one of theirs F2) is drawn as
    an unnamed node, so the chain stays whole without telling who it is.
    """
    rows = list(
        contacts.order_by("degree", "pk").values_list(
            "person_id", "source_id", "degree", "person__full_name"
        )[:GRAPH_LIMIT]
    )
    f0 = case.person_id
    nodes = {f0: {"id": f0, "label": initials(case.person.full_name) if sees_f0 else "F0", "f": 0}}
    for person_id, _source, degree, name in rows:
        nodes[person_id] = {"id": person_id, "label": initials(name), "f": degree}
    links = []
    for person_id, source_id, degree, _name in rows:
        if source_id not in nodes:
            nodes[source_id] = {
                "id": source_id,
                "label": f"F{degree - 1}",
                "f": degree - 1,
                "out": True,
            }
        links.append({"source": source_id, "target": person_id})
    return {"nodes": list(nodes.values()), "links": links, "total": contacts.count()}


@login_required
@require_POST
def trace_f2(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_or_404(request.user, case_id)
    if not may_trace(request.user, case):
        raise PermissionDenied(_("Only the case's own area traces it."))
    report = trace_case(case, degree=2)
    keep_crowds(request, case, report)
    traced_message(request, report)
    return redirect("tracing:detail", case.pk)


def commune_contacts(user, case: Case, commune: Unit):
    return (
        Contact.objects.visible_to(user)
        .filter(case=case, commune=commune)
        .select_related("person", "venue", "source")
        .order_by("degree", "pk")
    )


@login_required
def commune_list(request: HttpRequest, case_id: int, code: str) -> HttpResponse:
    user = request.user
    case = case_or_404(user, case_id)
    commune = commune_or_404(user, code)
    qs = commune_contacts(user, case, commune)
    status = request.GET.get("status", "")
    shown = qs.filter(status=status) if status in Status.values else qs
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    record_read(
        user,
        f"case {case.pk} contacts {commune.code}",
        subjects=[contact.person_id for contact in page.object_list],
        unit=commune,
        reason="contact list",
        request=request,
    )
    return render(
        request,
        "tracing/commune.html",
        {
            "case": case,
            "commune": commune,
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "query": urlencode({"status": status}) if status else "",
            "total": qs.count(),
            # The outbox warns every contact of the case at once, so the case's own area does.
            "unnotified": (services.unwarned(case).count() if may_trace(user, case) else 0),
        },
    )


@login_required
def commune_export(request: HttpRequest, case_id: int, code: str) -> HttpResponse:
    user = request.user
    case = case_or_404(user, case_id)
    commune = commune_or_404(user, code)
    contacts = list(commune_contacts(user, case, commune))
    record_read(
        user,
        f"case {case.pk} contacts {commune.code}",
        subjects=[contact.person_id for contact in contacts],
        action="export",
        unit=commune,
        reason="contact list export",
        request=request,
    )
    response = HttpResponse(
        exports.contacts_xlsx(case, commune, contacts, letterhead(user, commune)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"truy-vet-ca-{case.pk}-{commune.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def contact_update(request: HttpRequest, case_id: int, contact_id: int) -> HttpResponse:
    user = request.user
    case = case_or_404(user, case_id)
    contact = get_object_or_404(
        Contact.objects.visible_to(user).select_related("commune"), pk=contact_id, case=case
    )
    form = ContactForm(request.POST)
    if form.is_valid():
        became = services.update_contact(
            user, contact, form.cleaned_data["status"], form.cleaned_data["notes"]
        )
        record_read(
            user,
            f"contact {contact.pk}",
            subjects=[contact.person_id],
            action="update",
            unit=contact.commune,
            reason="contact follow-up",
            request=request,
        )
        messages.success(request, _("Saved."))
        if became is not None:
            messages.warning(
                request,
                _("Recorded as a new confirmed case: F0 #%(n)d. Trace their contacts on its page.")
                % {"n": became.pk},
            )
    else:
        messages.error(request, _("Not saved: choose a status from the list."))
    url = reverse("tracing:commune", args=[case.pk, contact.commune.code])
    page = request.POST.get("page", "")
    query = f"?{urlencode({'page': page})}" if page.isdigit() else ""
    return redirect(f"{url}{query}#contact-{contact.pk}")


@login_required
def notify(request: HttpRequest, case_id: int, code: str) -> HttpResponse:
    """Warning a case's contacts by SMS: GET shows who will get what and what it costs; the
    POST of that page, carrying the number of recipients confirmed, sends it. The messages
    cannot be called back, so nothing goes out without the tracer having seen them."""
    user = request.user
    case = case_or_404(user, case_id)
    commune = commune_or_404(user, code)
    if not may_trace(user, case):
        raise PermissionDenied(_("Only the case's own area notifies its contacts."))
    back = reverse("tracing:commune", args=[case.pk, commune.code])
    if request.method == "POST":
        confirmed = request.POST.get("recipients", "")
        if request.POST.get("confirm") == "1" and confirmed.isdigit():
            try:
                warned = services.notify_contacts(case, int(confirmed))
            except services.WarningChanged as changed:
                messages.warning(request, changed.message)
            else:
                audit.contacts_warned(request, case, warned)
                messages.success(request, _("%(n)d messages queued.") % {"n": len(warned)})
                return redirect(back)
        else:
            messages.error(request, _("Nothing was sent: confirm on this page to send."))
        return redirect("tracing:notify", case.pk, commune.code)
    context = {"case": case, "commune": commune, "preview": services.preview_warning(case)}
    return render(request, "tracing/notify.html", {**context, "back": back})
