"""Monitoring's pages: the person's daily report (signed link, /me/), and the officials' pages.

The report page needs no account: the signed link is the person's credential for their own
monitoring only (links.py). A household head reports for the family members their phone
declares for (`access.family_q`) from /monitoring/me/. Officials' pages show personal data
only through `visible_to` and audit each read.
"""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.core.idempotency import posted_client_id
from kiemdich.declarations import cookies
from kiemdich.declarations.models import Person
from kiemdich.ratelimit import limit

from . import services
from .forms import ReportForm
from .links import monitoring_for_token
from .models import Monitoring, Reporter


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
    monitoring = monitoring_for_token(token)
    if monitoring is None:
        raise Http404(_("This link is not valid."))
    if not monitoring.is_active:
        return render(request, "monitoring/report.html", {"monitoring": monitoring}, status=410)
    return _report(request, monitoring, Reporter.SELF)


def my_monitorings(request: HttpRequest) -> HttpResponse:
    """/monitoring/me/: the phone's person and the family members it declares for, each with
    the link to report for them today."""
    person = cookies.person_from(request)
    if person is None:
        raise Http404(_("Declare first: this phone does not know you yet."))
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
        raise Http404(_("Declare first: this phone does not know you yet."))
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
