"""Downloads: posters, exports."""

from __future__ import annotations

from django.http import HttpResponse


def file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """A download (posters, exports) that browsers save under `filename`."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
