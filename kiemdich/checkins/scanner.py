"""The staff scanner page of a checkpoint: camera or typed-in visitors, queued offline.

The page itself only renders; every scan goes to `POST /api/v1/checkins/batch` from
`checkins/scanner.js`, which keeps scans in IndexedDB until the server has them. Who may open
it: whoever may record staff scans there (accounts.access.scan_q: its owner, its organization's
admins, the staff the owner added, officers of its area, who also staff control posts). Anyone
else who can see the checkpoint gets 403, anyone who cannot the same 404 as for a missing one.
"""

from __future__ import annotations

from csp.constants import WASM_UNSAFE_EVAL
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kiemdich.accounts.access import may_scan_at
from kiemdich.venues import services, signing
from kiemdich.venues.models import Venue

#: Seconds during which the camera reading the same code again does not make a new scan.
REPEAT_SECONDS = 5


def may_scan(user, venue: Venue) -> bool:
    """Those the scan API accepts staff scans at this checkpoint from (accounts.access)."""
    return may_scan_at(user, venue)


def js_strings() -> dict[str, str]:
    """Texts the script shows, translated here so the page needs no JavaScript catalogue."""
    return {
        "online": _("Online"),
        "offline": _("Offline — scans are kept on this phone"),
        "in": pgettext("scan direction", "In"),
        "out": pgettext("scan direction", "Out"),
        "waiting": _("Waiting to send"),
        "sending": _("Sending…"),
        "saved": _("Saved"),
        "again": _("Already saved"),
        "poster": _("Checkpoint poster"),
        "personal_qr": _("Personal QR code"),
        "no_person": _("Pass without a person"),
        "camera_on": _("Turn the camera on"),
        "camera_off": _("Turn the camera off"),
        "camera_error": _("The camera cannot be used: %(reason)s. Type the visitor in below."),
        "camera_insecure": _(
            "The camera only works over HTTPS. Type the visitor in below, or open the page "
            "through its https:// address."
        ),
        "detector_loading": _("Preparing the QR reader…"),
        "detector_ready": _("Point the camera at the QR code."),
        "detector_error": _("The QR reader could not start. Type the visitor in below."),
        "login_again": _("Your session has ended. Log in again in another tab; scans are kept."),
        "storage_error": _(
            "This browser cannot keep scans offline (private mode?). Stay online while scanning."
        ),
        "name_required": _("Enter the visitor's name."),
        "phone_required": _("Enter the visitor's phone number."),
        "retry_in": _("Network problem; trying again in %(seconds)s s."),
        "phone_invalid": _("%(value)s is not a valid Vietnamese phone number (e.g. 0912 345 678)."),
        "fix": _("Fix"),
        "kept_to_fix": _("Kept on this phone: correct it and record it again."),
    }


def service_worker(request: HttpRequest) -> HttpResponse:
    """The scanner's service worker (templates/checkins/scanner-sw.js). Served under /venues/,
    not /static/: a worker may only keep the pages below its own path. Never cached by the
    browser's HTTP cache, so a new version reaches the phones at their next visit online."""
    response = render(request, "checkins/scanner-sw.js", content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
# The barcode reader (vendor/barcode-detector) compiles its WebAssembly: allowed here only.
@csp_update({"script-src": [WASM_UNSAFE_EVAL]})
def venue_scanner(request: HttpRequest, venue_id: int) -> HttpResponse:
    venue = services.visible_or_404(request.user, venue_id)
    if not may_scan(request.user, venue):
        raise PermissionDenied(_("Only the checkpoint's staff and officials may scan here."))
    scannable = services.accepts_scans(venue.status)
    context = {"venue": venue, "scannable": scannable}
    if scannable:
        api_root = reverse("api:api-root")
        context.update(
            {
                "config": {
                    "venue": signing.sign(venue.pk),
                    "venueId": venue.pk,
                    "batchUrl": f"{api_root}checkins/batch",
                    "singleUrl": f"{api_root}checkins",
                    "polyfillUrl": static("vendor/barcode-detector/barcode-detector-ponyfill.js"),
                    "wasmUrl": static("vendor/barcode-detector/zxing_reader.wasm"),
                    "repeatMs": REPEAT_SECONDS * 1000,
                    "workerUrl": reverse("venues:scanner-worker"),
                    "workerScope": reverse("venues:list"),
                    "strings": js_strings(),
                },
            }
        )
    return render(request, "checkins/scanner.html", context)
