"""Officials' spreadsheet uploads (checkpoint and organization lists): the same size limit, the
same temporary file for the all-or-nothing importers, the same messages."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kiemdich.tabular import ImportFileError, ImportReport

#: Larger lists are split by district; a province's checkpoints fit well under this.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def import_upload(
    request: HttpRequest, importer: Callable[..., ImportReport]
) -> tuple[ImportReport | None, str]:
    """Run `importer(path, actor=user)` on the POSTed `file`: (its report, or None; a message
    about the file as a whole, or "")."""
    upload = request.FILES.get("file")
    if upload is None:
        return None, _("Choose a .xlsx or .csv file.")
    if upload.size > MAX_UPLOAD_BYTES:
        return None, _("The file is larger than 10 MB.")
    with tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix.lower()) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        try:
            return importer(Path(tmp.name), actor=request.user), ""
        except ImportFileError as exc:
            return None, str(exc)
