"""Public API of the export files: the index, the files, the signing keys' public halves.

`/api/v1/proximity/exports/index.txt`, `/api/v1/proximity/exports/<start>-<end>.zip` and
`/api/v1/proximity/public-keys`, all public (phones download them without an account) and
read-only. The files are the ones on disk, byte for byte, so the app and an nginx or CDN in
front (docs/README.md) serve the same thing; the app only serves names the index lists.

Caching: a published file never changes (a rerun writes nothing new), so it is cached a day
and marked immutable; the index changes each hour, so it is cached 5 minutes; the public keys
an hour (a new key is published days before it signs).
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from . import publishing, signing

router = Router(tags=["proximity"])

FILE_CACHE = "public, max-age=86400, immutable"
INDEX_CACHE = "public, max-age=300"
KEYS_CACHE = "public, max-age=3600"


class ExportSigningKeyOut(Schema):
    id: str
    version: str
    pem: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None


@router.get(
    "/exports/index.txt",
    auth=None,
    summary="The export files a phone downloads, one name a line, oldest first",
)
def export_index(request: HttpRequest) -> HttpResponse:
    path = publishing.index_path()
    if not path.is_file():
        raise Http404(_("No export has been published yet."))
    response = HttpResponse(path.read_bytes(), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = INDEX_CACHE
    return response


@router.get(
    "/exports/{name}",
    auth=None,
    summary="One export file (GAEN zip: export.bin and export.sig)",
)
def export_file(request: HttpRequest, name: str) -> FileResponse:
    path = publishing.served_file(name)
    if path is None:
        raise Http404(_("No such export file."))
    response = FileResponse(path.open("rb"), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    response["Cache-Control"] = FILE_CACHE
    return response


@router.get(
    "/public-keys",
    auth=None,
    response=list[ExportSigningKeyOut],
    summary="The public keys export files are signed with (ECDSA P-256, PEM)",
)
def public_keys(request: HttpRequest, response: HttpResponse) -> list[dict]:
    response["Cache-Control"] = KEYS_CACHE
    return signing.published()
