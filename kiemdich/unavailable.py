"""The database (or Redis) cannot be reached: answer 503 with `Retry-After`, never a 500 and
never a hang.

PostgreSQL restarting, refusing connections or dropping them (a failover, a restart for an
upgrade, a full disk) is not a bug of the request: it comes out of Django and psycopg as an
`OperationalError` or `InterfaceError`. Phones and scanners are built to send the same
`client_id` again later, so what they need to hear is "not now, try again in a few seconds":

- under /api/: 503 `{"detail": ..., "code": "unavailable"}` with `Retry-After: RETRY_AFTER`;
- pages: a short 503 page in the visitor's language, with the same header.

One rule, applied where requests end: the API's exception handler (kiemdich/api.py, errors in
views and authentication), Django's handler500 (`kiemdich.api.server_error`: errors in
middleware, pages) and the WSGI scan shortcut (checkins/fastpath.py), which answers before
Django. A request never waits long for the database: settings.py gives PostgreSQL connections a
connect timeout (`DB_CONNECT_TIMEOUT`). Django drops a connection that failed at the end of the
request, so the next request connects again.

Nothing was written when a request is answered 503: a scan's commit either happened before its
answer (and the retry gets the stored scan back, 200) or not at all.

Imports no app, so every layer may use it.
"""

from __future__ import annotations

import json
import logging

import psycopg
import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.cookie import parse_cookie
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

#: Seconds a client should wait before it tries again: about what a PostgreSQL restart takes.
RETRY_AFTER = 3
#: What an unreachable database raises: Django's wrappers, and psycopg's own from code that
#: talks to psycopg directly; and what an unreachable Redis (the shared cache with REDIS_URL,
#: where rate limits count) raises, which stops a request just as surely.
ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

log = logging.getLogger(__name__)


def is_unavailable(exc: BaseException | None) -> bool:
    """Is `exc` the database being unreachable (or one raised straight from such an error)?"""
    return exc is not None and (isinstance(exc, ERRORS) or isinstance(exc.__cause__, ERRORS))


def language(cookies: dict[str, str]) -> str:
    """The visitor's language as kiemdich.web.middleware.LanguageMiddleware picks it (its
    cookie, else Vietnamese), for answers given before or outside that middleware."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    available = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in available else settings.LANGUAGE_CODE


def detail() -> str:
    return _("The service is briefly unavailable. Please try again in a few seconds.")


def json_body(lang: str) -> bytes:
    """The API's 503 body in `lang`, for the WSGI shortcut (which has no Django request)."""
    with translation.override(lang):
        return json.dumps({"detail": detail(), "code": "unavailable"}).encode()


def report(exc: BaseException, where: str) -> None:
    """One warning line for operators (Django also logs the requests that reach handler500)."""
    log.warning("database unavailable (%s): %s: %s", where, type(exc).__name__, exc)


def response(request: HttpRequest) -> HttpResponse:
    """The 503 for `request`: JSON under /api/, a short page elsewhere; never touches the
    database (no session, no user), since it is what answers when there is none."""
    with translation.override(language(request.COOKIES)):
        if request.path.startswith("/api/"):
            answer: HttpResponse = JsonResponse(
                {"detail": detail(), "code": "unavailable"}, status=503
            )
        else:
            answer = HttpResponse(page(), status=503)
        answer["Content-Language"] = translation.get_language()
    answer["Retry-After"] = str(RETRY_AFTER)
    return answer


def page() -> str:
    """The 503 page; if even its template fails (a static file missing from the manifest, say),
    the same words on a bare page: this answer must not become a 500 of its own."""
    try:
        return render_to_string("503.html", {"detail": detail()})
    except Exception:
        log.exception("the 503 page could not be rendered; answering a bare one")
        lang = escape(translation.get_language())
        return (
            f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
            f"<title>503</title><p>{escape(detail())}</p></html>"
        )


def cookies_of(environ: dict) -> dict[str, str]:
    return parse_cookie(environ.get("HTTP_COOKIE", ""))
