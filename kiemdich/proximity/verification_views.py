"""The tracer's pages for verification codes: from a case's page ("Issue a verification code"),
or by hand for a confirmed person not recorded as a case here.

GET asks first (which case, the area's codes left today); only the POST of that page issues,
and its answer shows the code once, large, with its expiry: the server keeps only an HMAC, so
nobody can show it again (the page is not cached). Thin: `verification.issue_code` decides who
may and writes.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kiemdich.accounts.access import may_see_person, visible_or_404, works_with_personal_data
from kiemdich.accounts.audit import record_read
from kiemdich.tracing.models import Case

from . import verification
from .verification_forms import CodeForm


def _page(request: HttpRequest, case: Case | None) -> HttpResponse:
    user = request.user
    try:
        unit = verification.issuing_unit(user, case)
    except verification.CodeRefused as exc:
        raise PermissionDenied(exc.message) from None
    sees_f0 = case is not None and may_see_person(user, unit=case.unit)
    if sees_f0:
        record_read(
            user,
            f"case {case.pk} verification code",
            subjects=[case.person_id],
            action="issue" if request.method == "POST" else "view",
            unit=case.unit,
            reason="verification code for the Bluetooth app",
            request=request,
        )
    form = CodeForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = verification.issue_code(
                user, case=case, symptom_onset=form.cleaned_data["symptom_onset"]
            )
        except verification.CodeFieldError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except verification.CodeRefused as exc:
            form.add_error(None, exc.message)
    context = {
        "case": case,
        "sees_f0": sees_f0,
        "unit": unit,
        "form": form,
        "issued": issued,
        "issued_today": verification.issued_today(unit),
        "quota": verification.daily_quota(),
        "short_minutes": int(verification.SHORT_VALID.total_seconds() // 60),
    }
    return render(request, "proximity/code.html", context, status=201 if issued else 200)


@never_cache
@login_required
def case_code(request: HttpRequest, case_id: int) -> HttpResponse:
    if not works_with_personal_data(request.user):
        raise PermissionDenied(_("Verification codes are issued by health tracers of an area."))
    case = visible_or_404(Case.objects.select_related("person", "unit"), request.user, pk=case_id)
    return _page(request, case)


@never_cache
@login_required
def hand_code(request: HttpRequest) -> HttpResponse:
    return _page(request, None)
