"""A WSGI shortcut for the commonest request of the service: a person scanning in with a token.

Measured (bench/ `scans`): Django's middleware, URL resolution and ninja cost about as much CPU
as the scan itself, so entries went through at a quarter of a trivial endpoint's rate. This
wrapper answers exactly one kind of request itself: `POST /api/v1/checkins` whose body the API's
own schema accepts, for an allowed host, within the rate limits, that `services.fast_entry`
stores. Everything else, and anything it is unsure about (a replay, a refused code, a bad
body), goes to Django unchanged, with the body it read put back; so the API's answers, errors
and documentation stay Django's.

The rate limits of a scan (`api.scan_limits`) are counted here, before the scan is stored, and
the outcome is left in the environ (kiemdich.ratelimit.COUNTED): over a limit, the request goes
to Django, whose view answers the 429 without counting again; handed over for another reason,
the view does not count it a second time either.

An unreachable database (kiemdich/unavailable.py) is answered here, as Django would answer it:
503 with `Retry-After`, in the API's error shape. Handing it over would only try the database
a second time, and keep the phone waiting twice as long for the same answer. The connection
that failed is dropped when the next request starts (`close_old_connections`).
"""

from __future__ import annotations

import io
import json
import logging
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.db import close_old_connections
from django.http.request import split_domain_port, validate_host

from kiemdich import unavailable

PATH = "/api/v1/checkins"
#: A scan body is a few hundred bytes; anything bigger is left to Django's own limits.
MAX_BODY = 16 * 1024
HEADERS = [
    ("Content-Type", "application/json"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
log = logging.getLogger(__name__)


class ScanFastPath:
    def __init__(self, django_app) -> None:
        self.django_app = django_app
        # The URLs import the API in its own order (routers registered after the shared
        # pieces). Loaded lazily, a worker whose first request was a scan imported the scan
        # API first, ran into that cycle, and failed every scan until another page loaded them.
        import_module(settings.ROOT_URLCONF)

    def __call__(self, environ: dict, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.django_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self.django_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # Django reads it again if we pass
        try:
            answer = self.answer(environ, body)
        except unavailable.ERRORS as exc:
            unavailable.report(exc, "scan fast path")
            language = unavailable.language(unavailable.cookies_of(environ))
            content = unavailable.json_body(language)
            start_response(
                "503 Service Unavailable",
                [
                    *HEADERS,
                    ("Retry-After", str(unavailable.RETRY_AFTER)),
                    ("Content-Language", language),
                    ("Content-Length", str(len(content))),
                ],
            )
            return [content]
        if answer is None:
            return self.django_app(environ, start_response)
        start_response("201 Created", [*HEADERS, ("Content-Length", str(len(answer)))])
        return [answer]

    def answer(self, environ: dict, body: bytes) -> bytes | None:
        """The 201 body of a stored entry, or None to let Django answer. Raises what
        kiemdich.unavailable.ERRORS holds when the database cannot be reached."""
        from kiemdich.ratelimit import COUNTED, RateLimited, hit

        from .api import ScanIn, scan_from, scan_limits, stored_entry_json
        from .services import fast_entry

        host, _port = split_domain_port(environ.get("HTTP_HOST", ""))
        if not host or not validate_host(host, settings.ALLOWED_HOSTS) or b"\x00" in body:
            return None
        try:
            payload = ScanIn.model_validate(json.loads(body))
        except ValueError:  # not JSON, or not a scan: Django says what is wrong
            return None
        close_old_connections()  # what Django does when a request starts (CONN_MAX_AGE, errors)
        try:  # counted in the cache Django's view would use, keyed on the same environ
            hit(SimpleNamespace(META=environ), scan_limits(payload.at))
        except RateLimited as exc:
            environ[COUNTED] = exc  # Django's view answers it (429, in the request's language)
            return None
        except unavailable.ERRORS:
            raise
        except Exception:  # the cache failed: Django's view counts again and answers
            log.exception("rate limit failed on the fast scan path; handing over to Django")
            return None
        environ[COUNTED] = True
        try:
            entry = fast_entry(scan_from(payload))
        except unavailable.ERRORS:
            raise
        except Exception:  # let Django answer (and log) whatever went wrong
            log.exception("fast scan path failed; handing over to Django")
            return None
        if entry is None:
            return None
        return stored_entry_json(entry, str(payload.client_id)).encode()
