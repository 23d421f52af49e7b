"""The JSON API under /api/v1/: one NinjaAPI, one router per app, one error shape.

Every error leaves as `{"detail": ..., "code": ...}` with a 4xx status (DESIGN.md §3), so apps
and scripts can branch on `code` without parsing prose, while `detail` stays readable for people.

This module only composes: it builds the NinjaAPI, registers the error handlers (one for every
`DomainError`) and mounts the apps' routers. The pieces the routers share (errors, auth,
pagination, file responses) are in `kiemdich/core/`, which imports no app; nothing imports this
module but kiemdich/urls.py (and tests that need the composed API).
"""

from __future__ import annotations

import logging
import sys
import traceback

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from kiemdich import unavailable
from kiemdich.core.auth import auth_required
from kiemdich.core.errors import DomainError, error_body
from kiemdich.ratelimit import RateLimited

api = NinjaAPI(
    title="kiemdich API",
    version="1",
    description="Checkpoints, scans, declarations, tracing and adoption reports.",
    urls_namespace="api",
    auth=auth_required,  # default deny: public endpoints opt out with auth=None
    docs_url="/docs",
    openapi_url="/openapi.json",
    # Swagger UI sets inline styles and draws its icons from data: URLs.
    docs_decorator=csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}),
)


def error(request: HttpRequest, status: int, detail, code: str) -> HttpResponse:
    return api.create_response(request, error_body(detail, code), status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, 422, exc.errors, "invalid")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, str(exc) or _("Not found."), "not_found")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, _("Sign in or send a valid bearer token."), "unauthorized")


@api.exception_handler(AuthorizationError)
def on_unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error(request, 403, _("You may not access this."), "forbidden")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, 403, str(exc) or _("You may not access this."), "forbidden")


@api.exception_handler(DomainError)
def on_refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """Every refusal of a service or an API call (kiemdich/core/errors.py): its own status and
    code, and its message (or structured detail)."""
    return error(request, exc.status, exc.detail, exc.code)


@api.exception_handler(RateLimited)
def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """429 with Retry-After (kiemdich.ratelimit); the limited request wrote nothing."""
    response = error(request, 429, exc.detail, "rate_limited")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = getattr(exc, "code", None) or f"http_{exc.status_code}"
    return error(request, exc.status_code, getattr(exc, "detail", None) or str(exc), code)


def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database cannot be reached: 503 with Retry-After (kiemdich/unavailable.py), in
    DEBUG too; nothing was written, and the client sends the same request again later."""
    unavailable.report(exc, request.path)
    return unavailable.response(request)


for _error in unavailable.ERRORS:
    api.add_exception_handler(_error, on_database_unavailable)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug. Off DEBUG, Django's own handling runs (logging, error mails) and ends in
    `server_error` below, in the API's shape; with DEBUG the traceback comes back as JSON."""
    if not settings.DEBUG:
        raise exc
    logging.getLogger("kiemdich.api").exception(exc)
    return JsonResponse(
        {
            "detail": _("Something went wrong on the server. Please try again later."),
            "code": "server_error",
            "traceback": traceback.format_exc(),
        },
        status=500,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404 (kiemdich/urls.py): JSON under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body(_("Not found."), "not_found"), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (kiemdich/urls.py): a body Django refuses to read (over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields) answers JSON under /api/, as every other
    refusal does; pages keep Django's page."""
    if _is_api(request):
        detail = _("The request is too large or cannot be read.")
        return JsonResponse(error_body(detail, "bad_request"), status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 (kiemdich/urls.py): an unexpected exception answers JSON under /api/, with
    nothing of the exception in it; pages keep Django's 500 page. An unreachable database
    (raised by a page, a middleware, or the session and user lookups) is no bug: 503 with
    Retry-After (kiemdich/unavailable.py)."""
    if unavailable.is_unavailable(sys.exc_info()[1]):
        return unavailable.response(request)
    if _is_api(request):
        detail = _("Something went wrong on the server. Please try again later.")
        return JsonResponse(error_body(detail, "server_error"), status=500)
    return defaults.server_error(request)


@api.get("/health", auth=None, summary="Is the server up? (for load balancers; no database)")
def health(request: HttpRequest) -> dict:
    return {"status": "ok"}


def register_routers() -> None:
    from kiemdich.adoption.api import installs as installs_router
    from kiemdich.adoption.api import router as adoption_router
    from kiemdich.adoption.org_api import router as orgs_router
    from kiemdich.checkins.api import router as stats_router
    from kiemdich.checkins.api import scans as scans_router
    from kiemdich.declarations.api import router as declarations_router
    from kiemdich.geo.api import router as geo_router
    from kiemdich.hotline.api import router as hotline_router
    from kiemdich.hotline.api import stats as hotline_stats_router
    from kiemdich.messaging.api import router as campaigns_router
    from kiemdich.monitoring.api import router as monitoring_router
    from kiemdich.proximity.exports_api import router as proximity_exports_router
    from kiemdich.proximity.verification_api import router as proximity_router
    from kiemdich.reports.api import router as reports_router
    from kiemdich.tracing.api import router as tracing_router
    from kiemdich.venues.api import router as venues_router

    api.add_router("/units", geo_router)
    api.add_router("/venues", venues_router)
    api.add_router("/stats/hotline", hotline_stats_router)
    api.add_router("/stats", stats_router)
    api.add_router("/checkins", scans_router)
    api.add_router("/declarations", declarations_router)
    api.add_router("/cases", tracing_router)
    api.add_router("/monitoring", monitoring_router)
    api.add_router("/installs", installs_router)
    api.add_router("/adoption", adoption_router)
    api.add_router("/reports", reports_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/campaigns", campaigns_router)
    api.add_router("/proximity", proximity_exports_router)
    api.add_router("/tickets", hotline_router)
    api.add_router("/proximity", proximity_router)


register_routers()
