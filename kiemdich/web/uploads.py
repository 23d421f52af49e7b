"""Officials' spreadsheet uploads (checkpoint and organization lists): the same size limit, the
same messages, the same background import with its progress page (kiemdich.web.imports)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kiemdich.geo.models import ImportJob
from kiemdich.tabular import ImportFileError, ImportReport

from . import imports

#: Larger lists are split by district; a province's checkpoints fit well under this.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Seconds between two refreshes of a running job's page.
REFRESH_SECONDS = 2


def _checked_upload(request: HttpRequest):
    upload = request.FILES.get("file")
    if upload is None:
        return None, _("Choose a .xlsx or .csv file.")
    if upload.size > MAX_UPLOAD_BYTES:
        return None, _("The file is larger than 10 MB.")
    if Path(upload.name).suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        return None, _("Choose a .xlsx or .csv file.")
    return upload, ""


def queue_upload(request: HttpRequest, kind: str) -> tuple[ImportJob | None, str]:
    """Store the POSTed `file` and queue its import in the background: (the job to follow, or
    None; a message about the file as a whole, or "")."""
    upload, message = _checked_upload(request)
    if upload is None:
        return None, message
    return imports.start_import(kind, request.user, upload.name, upload.chunks()), ""


def import_upload(
    request: HttpRequest, importer: Callable[..., ImportReport]
) -> tuple[ImportReport | None, str]:
    """Run `importer(path, actor=user)` on the POSTed `file` within the request: (its report,
    or None; a message about the file as a whole, or ""). For small files only: pages use
    `queue_upload`."""
    upload, message = _checked_upload(request)
    if upload is None:
        return None, message
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            return importer(Path(tmp.name), actor=request.user), ""
        except ImportFileError as exc:
            return None, str(exc)


def job_page(
    request: HttpRequest, job_id: int, *, kind: str, title: str, again_url: str, done_url: str
) -> HttpResponse:
    """A background import's page: progress while it runs (the page refreshes itself), then
    what was saved, or every bad line and that nothing was saved. Only its uploader sees it."""
    job = imports.job_for(request.user, job_id)
    if job is None or job.kind != kind:
        raise Http404
    response = render(
        request,
        "web/import_job.html",
        {
            "job": job,
            "title": title,
            "again_url": again_url,
            "done_url": done_url,
        },
    )
    if not job.finished:
        response["Refresh"] = str(REFRESH_SECONDS)  # every browser reloads the page on this
        response["Cache-Control"] = "no-store"
    return response
