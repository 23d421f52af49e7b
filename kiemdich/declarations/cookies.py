"""How a phone's browser remembers its person: the person token in a cookie, no account needed.

The cookie is HttpOnly (page scripts never see it) and SameSite=Lax (another site cannot scan in
on a visitor's behalf); it lives as long as the retention period allows the person to exist.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import Person
from .services import person_for_token, person_token

__all__ = ["PERSON_COOKIE", "forget", "person_from", "person_token", "remember", "token_from"]

PERSON_COOKIE = "kd_person"


def token_from(request: HttpRequest) -> str:
    return request.COOKIES.get(PERSON_COOKIE, "")


def person_from(request: HttpRequest) -> Person | None:
    """The person this browser declared as, if the token is genuine and they still exist."""
    return person_for_token(token_from(request))


def remember(response: HttpResponse, person: Person) -> None:
    response.set_cookie(
        PERSON_COOKIE,
        person_token(person),
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def forget(response: HttpResponse) -> None:
    response.delete_cookie(PERSON_COOKIE, samesite="Lax")
