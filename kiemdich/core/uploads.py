"""Officials' spreadsheet uploads (checkpoint and organization lists): the same size limit, the
same messages, the same progress page for the background import (kiemdich.geo.imports, which the
page passes in: this module imports no app)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

Job = TypeVar("Job")

#: The content type of an Excel file (the import templates).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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


def queue_upload(
    request: HttpRequest, start: Callable[[str, Iterable[bytes]], Job]
) -> tuple[Job | None, str]:
    """Hand the POSTed `file` to `start(filename, chunks)`, which stores it and queues its import
    in the background (`partial(geo.imports.start_import, kind, user)`): (the job to follow, or
    None; a message about the file as a whole, or "")."""
    upload, message = _checked_upload(request)
    if upload is None:
        return None, message
    return start(upload.name, upload.chunks()), ""


def job_page(
    request: HttpRequest, job, *, title: str, again_url: str, done_url: str
) -> HttpResponse:
    """A background import's page: progress while it runs (the page refreshes itself), then
    what was saved, or every bad line and that nothing was saved. `job` is the ImportJob as
    `geo.imports.job_for` gives it: None (not the caller's, or not of this kind) is a 404."""
    if job is None:
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
