"""Forms that write carry a client id made when the page was shown, so a double tap, a resent
form or the back button replays the first submission instead of storing a second one."""

from __future__ import annotations

import uuid

from django.http import HttpRequest


def posted_client_id(request: HttpRequest) -> uuid.UUID:
    """The form's client id; a missing or mangled one gets a fresh id (then nothing to replay)."""
    try:
        return uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        return uuid.uuid4()
