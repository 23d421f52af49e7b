"""Vietnamese first: the language is Vietnamese unless the person picked another one.

Django's LocaleMiddleware follows the browser's Accept-Language, and many phones in Vietnam run
an English system language; officials and citizens would then get an English site they never
asked for. So only the choice made with the language switch (its cookie) counts.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from kiemdich.clientip import from_trusted_proxy


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ForwardedProtoMiddleware:
    """`X-Forwarded-Proto` (settings.SECURE_PROXY_SSL_HEADER: "this came in over HTTPS") is
    believed only from the trusted proxies (kiemdich.clientip), like `X-Forwarded-For`: from
    anyone else it is dropped before Django's security middleware reads it, so a client that
    reaches the server past the proxy cannot pass plain HTTP off as HTTPS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request.META):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class RequestHygieneMiddleware:
    """Two rules every endpoint needs, enforced once instead of in every view.

    - A NUL character can never be stored in PostgreSQL text, and no person types one: a query
      string or body containing it is refused with 400 before any view runs.
    - Under /api/ every error is JSON in the API's shape (DESIGN.md §3), also the 404 of an
      unknown path and the 405 of a wrong method, which Django would answer in HTML.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith("/api/")
        if has_nul(request):
            detail = _("The request contains a NUL character.")
            if is_api:
                return JsonResponse({"detail": detail, "code": "invalid"}, status=400)
            return HttpResponseBadRequest(detail)
        response = self.get_response(request)
        if (
            is_api
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = "not_found" if response.status_code == 404 else "method_not_allowed"
            detail = _("Not found.") if response.status_code == 404 else _("Method not allowed.")
            replaced = JsonResponse({"detail": detail, "code": code}, status=response.status_code)
            if "Allow" in response:
                replaced["Allow"] = response["Allow"]
            return replaced
        return response


def has_nul(request: HttpRequest) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
        return True
    if request.method not in ("POST", "PUT", "PATCH"):
        return False
    if request.content_type == "application/json" or request.path.startswith("/api/"):
        # The API reads every body as JSON. Reading the raw body first (a form's too) keeps it
        # for the endpoint, which then refuses a form with a 4xx; parsing it as a form here
        # would consume it, and the endpoint would fail with a 500.
        body = request.body
        return b"\\u0000" in body or b"\x00" in body
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in value for _key, values in request.POST.lists() for value in values)
    return False
