"""Pages of the export files: the officials' status page and the public keys for everyone.

The status page holds no personal data (counts of keys per file, never which are decoys, no
key bytes), but how many keys arrive each hour is the epidemic's own figure, for the officials
who act on it: officers of an area and health tracers, signed in (`access.may_see_exports`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kiemdich.accounts.access import may_see_exports

from . import publishing, signing


@login_required
def export_status(request: HttpRequest) -> HttpResponse:
    if not may_see_exports(request.user):
        raise PermissionDenied(_("The export status is for officials and health tracers."))
    now = timezone.now()
    return render(
        request,
        "proximity/exports.html",
        {
            "o": publishing.overview(now),
            "now": now,
            "delay": settings.PROXIMITY_EXPORT_DELAY_MINUTES,
            "min_keys": settings.PROXIMITY_EXPORT_MIN_KEYS,
        },
    )


def public_keys(request: HttpRequest) -> HttpResponse:
    """The public keys, readable by anyone: to check a file by hand, or configure an app."""
    return render(request, "proximity/public_keys.html", {"keys": signing.published()})
