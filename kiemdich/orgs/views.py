"""Organization list import pages (officials upload their area's list). The organizations'
own pages, with each group's installs against its target, are adoption's
(kiemdich/adoption/org_views.py), under the same /orgs/ paths and `orgs` names."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kiemdich.core.files import file_response
from kiemdich.core.uploads import XLSX, job_page, queue_upload
from kiemdich.geo import imports

from . import services
from .models import Group, OrgKind


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """An organization import's progress, then its result (only for its uploader)."""
    return job_page(
        request,
        imports.job_for(request.user, job_id, kind="orgs"),
        title=_("Import organizations"),
        again_url=reverse("orgs:import"),
        done_url=reverse("orgs:mine"),
    )


def _import_allowed(request: HttpRequest) -> None:
    if not services.is_area_officer(request.user):
        raise PermissionDenied(_("Only officials can import organization lists."))


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The Excel file to fill in, with the Vietnamese headers the import reads and names."""
    _import_allowed(request)
    return file_response(services.template(), XLSX, "mau-danh-sach-don-vi.xlsx")


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Officers upload the organization list of their area (.xlsx or .csv); all or nothing."""
    _import_allowed(request)
    file_error = ""
    if request.method == "POST":
        # Checked and saved in the background; the job's page follows it.
        job, file_error = queue_upload(request, partial(imports.start_import, "orgs", request.user))
        if job is not None:
            return redirect("orgs:import-job", job_id=job.pk)
    return render(
        request,
        "orgs/import.html",
        {
            "file_error": file_error,
            "columns": services.COLUMNS,
            "kinds": OrgKind.choices,
            "groups": Group.choices,
        },
    )
