"""Officials' spreadsheet imports as background tasks, with progress a page can follow.

A province's checkpoint list can have 200,000 lines: checking and saving them takes longer than
a web worker may spend on one request. So the upload page only stores the file and queues
`run_import` (django-tasks; `kiemdich db_worker` runs it in production, the embedded default
runs it at once), and sends the official to the job's page, which refreshes itself until the
job is done. The importers are the same as the command line's (`kiemdich venues import`,
`kiemdich orgs import`) and stay all or nothing: a job either saved every line or none, and
then lists every bad line.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from kiemdich.tabular import ImportFileError

from .models import ImportJob

#: What each kind of job imports with: `importer(path, actor=..., progress=...)`.
IMPORTERS = {
    "venues": "kiemdich.venues.imports.import_venues",
    "orgs": "kiemdich.orgs.services.import_orgs",
}
#: The page's progress moves every this many lines (one UPDATE each).
PROGRESS_EVERY = 500


def upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def start_import(kind: str, actor, filename: str, chunks: Iterable[bytes]) -> ImportJob:
    """Store an uploaded file and queue its import; the job to follow."""
    if kind not in IMPORTERS:
        raise ValueError(kind)
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    job = ImportJob.objects.create(
        kind=kind,
        created_by=actor if getattr(actor, "pk", None) else None,
        filename=Path(filename).name[:255],
        path=str(path),
    )
    # Requests run in autocommit (no ATOMIC_REQUESTS): the job is committed before a worker
    # can look for it. The embedded default runs the import here, at once.
    run_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _progress(job: ImportJob):
    def follow(items: list) -> Iterator:
        job.total, job.done, job.status = len(items), 0, ImportJob.Status.RUNNING
        job.save(update_fields=["total", "done", "status"])
        for n, item in enumerate(items, start=1):
            yield item
            if n % PROGRESS_EVERY == 0:
                ImportJob.objects.filter(pk=job.pk).update(done=n)
        job.done, job.status = len(items), ImportJob.Status.SAVING
        job.save(update_fields=["done", "status"])

    return follow


def import_job(job_id: int) -> ImportJob:
    """Run a queued import to its end (the task's body; also callable directly)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.finished:
        return job  # a worker ran it already: never import a file twice
    importer = import_string(IMPORTERS[job.kind])
    path = Path(job.path)
    try:
        report = importer(path, actor=job.created_by, progress=_progress(job))
    except ImportFileError as exc:
        job.status, job.file_error = ImportJob.Status.FAILED, str(exc)[:500]
    except Exception:
        job.status = ImportJob.Status.FAILED
        job.file_error = _("The import stopped on an unexpected error; nothing was saved.")
        raise
    else:
        job.created, job.updated = report.created, report.updated
        job.errors = [[e.line, e.message] for e in report.errors]
        job.status = ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED
    finally:
        path.unlink(missing_ok=True)
        job.path, job.finished_at = "", timezone.now()
        job.save()
    return job


@task()
def run_import(job_id: int) -> dict:
    job = import_job(job_id)
    return {"status": job.status, "created": job.created, "updated": job.updated}


def job_for(user, job_id: int, kind: str | None = None) -> ImportJob | None:
    """The job (of `kind`, if given) if `user` started it (or is a superuser); None otherwise,
    as for a missing one."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        return None
    if kind is not None and job.kind != kind:
        return None
    return job
