"""Who is calling: `Authorization: Bearer kd_...` tokens or the browser session.

The core imports no app, so the token lookup is the accounts app's, handed over when Django
starts (`AccountsConfig.ready` calls `use_token_lookup(accounts.tokens.user_for_token)`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, django_auth
from ninja.utils import check_csrf

_token_lookup: Callable[[str], object | None] | None = None


def use_token_lookup(lookup: Callable[[str], object | None]) -> None:
    """Set the function that turns a bearer token into its active user, or None."""
    global _token_lookup
    _token_lookup = lookup


def user_for_token(token: str):
    """The active user behind a valid, unrevoked token, or None (the registered lookup)."""
    if _token_lookup is None:
        raise ImproperlyConfigured("No token lookup: is kiemdich.accounts in INSTALLED_APPS?")
    return _token_lookup(token)


class BearerAuth(HttpBearer):
    """`Authorization: Bearer kd_...` tokens from `kiemdich token create`."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


#: Endpoints that need a signed-in caller accept a bearer token or the browser session.
auth_required = [BearerAuth(), django_auth]


def optional_caller(request: HttpRequest):
    """The caller of a public endpoint (`auth=None`) that does more for signed-in staff.

    A bearer token must be valid (401 otherwise). A browser session counts only with its CSRF
    token, as in django_auth; without one the request is treated as anonymous, so a page on
    another site can never act with a visitor's session.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise AuthenticationError()
        return user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and check_csrf(request) is None:
        return user
    return AnonymousUser()
