"""The daily-report page: /reports/?unit=CODE&date=YYYY-MM-DD.

One page for every level, because every level asks the same two questions: "who under me has
reported today?" (the table of children, with their figures and the total) and "what do I send
up?" (the unit's own report: a commune's prefilled with the platform's figures, a district's
compiled from its communes' reports, both editable before sending). A province only reads.

Thin: states and sums come from reports.services, permissions from accounts.access.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kiemdich.accounts.access import may_see_unit
from kiemdich.geo.areas import requested_unit
from kiemdich.geo.models import Level

from .forms import DayForm, ReportForm
from .services import (
    FIGURES,
    ImplausibleFigures,
    Overview,
    ReportState,
    figures_key,
    may_report,
    overview,
    reports_up,
    submit,
    system_figures,
)

STATE_LABELS = {
    ReportState.ON_TIME: gettext_lazy("on time"),
    ReportState.LATE: gettext_lazy("late"),
    ReportState.DRAFT: gettext_lazy("draft, not sent"),
    ReportState.WAITING: gettext_lazy("not yet"),
    ReportState.MISSING: gettext_lazy("missing"),
    ReportState.NOT_EXPECTED: gettext_lazy("no account"),
}

#: The badge colour of each state (site.css's .status classes).
STATE_CLASSES = {
    ReportState.ON_TIME: "active",
    ReportState.LATE: "pending",
    ReportState.DRAFT: "pending",
    ReportState.MISSING: "revoked",
}


def initial_figures(view: Overview) -> dict:
    """What the form starts with: the stored report (a draft or what was sent), else a
    district's sum of its communes' reports, else the platform's own figures for a commune."""
    if view.report is not None:
        values = {name: getattr(view.report, name) for name in FIGURES}
        values["note"] = view.report.note
        return values
    if view.unit.level == Level.DISTRICT:
        return view.total.as_dict()
    return system_figures(view.unit, view.date).as_dict()


def warn(form: ReportForm, refusal: ImplausibleFigures) -> dict[str, list[str]]:
    """Show the doubts next to their fields, keep every typed value, and ask for the
    confirmation of exactly these figures (an earlier tick does not carry over to new ones)."""
    data = form.data.copy()
    data["confirmed_figures"] = figures_key(form.figures())
    data.pop("confirm_implausible", None)
    form.data = data
    warnings: dict[str, list[str]] = {}
    for doubt in refusal.doubts:
        warnings.setdefault(doubt.field, []).append(doubt.message)
    return warnings


@login_required
def index(request: HttpRequest) -> HttpResponse:
    unit = requested_unit(request, _("Daily reports are for officials of an area."))
    today = timezone.localdate()
    day = DayForm({"date": request.GET.get("date") or today.isoformat()}, today=today)
    date = day.cleaned_data["date"] if day.is_valid() else today
    here = reverse("reports:index") + "?" + urlencode({"unit": unit.code, "date": date.isoformat()})
    can_send = may_report(request.user, unit)

    form = None
    warnings: dict[str, list[str]] = {}
    if request.method == "POST":
        if not can_send:
            raise PermissionDenied(_("You may not send the daily report of this unit."))
        if not day.is_valid():
            raise PermissionDenied(_("The date is in the future."))
        form = ReportForm(request.POST)
        if form.is_valid():
            send = request.POST.get("action") != "draft"
            try:
                report, _created = submit(
                    request.user,
                    unit,
                    date,
                    form.figures(),
                    form.cleaned_data["note"],
                    send=send,
                    confirm_implausible=form.confirmed(),
                )
            except ImplausibleFigures as exc:
                warnings = warn(form, exc)
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                if not send:
                    messages.success(request, _("Draft saved. It has not been sent yet."))
                elif report.implausible:
                    messages.warning(
                        request,
                        _(
                            "Report sent with the figures you confirmed; the district and the "
                            "province see them marked as implausible."
                        ),
                    )
                elif report.late:
                    messages.success(request, _("Report sent (late)."))
                else:
                    messages.success(request, _("Report sent."))
                return redirect(here)

    view = overview(unit, date)
    if can_send and reports_up(unit) and form is None:
        form = ReportForm(initial=initial_figures(view))
    parent = unit.parent
    rows = [
        {
            "row": r,
            "label": STATE_LABELS.get(r.state, ""),
            "css": STATE_CLASSES.get(r.state, ""),
        }
        for r in view.rows
    ]
    return render(
        request,
        "reports/index.html",
        {
            "view": view,
            "rows": rows,
            "day": day,
            "form": form if can_send else None,
            "fields": [(form[name], warnings.get(name, [])) for name in ReportForm.FIGURE_FIELDS]
            if form is not None and can_send
            else [],
            "warnings": warnings,
            "own_label": STATE_LABELS.get(view.own_state or "", ""),
            "own_css": STATE_CLASSES.get(view.own_state or "", ""),
            "compiled": unit.level == Level.DISTRICT,
            "drill": unit.level < Level.COMMUNE,
            "parent": parent if parent and may_see_unit(request.user, parent) else None,
            "is_today": date == today,
        },
    )
