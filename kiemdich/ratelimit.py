"""A small per-IP rate limit for public writes (sign-up, registration, scans).

Uses Django's cache (per process by default; point CACHES at Redis in production so all workers
share the counts). A blocked request gets 429 with a message, and nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def allow(scope: str, key: str, per_minute: int) -> bool:
    """Count one hit for (scope, key) in the current minute; False once over the limit."""
    bucket = f"rl:{scope}:{key}:{int(time.time() // 60)}"
    if cache.add(bucket, 1, timeout=90):
        return True
    try:
        return cache.incr(bucket) <= per_minute
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=90)
        return True


def limit(scope: str, per_minute: int) -> Callable:
    """Limit POSTs to a view per client IP."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and not allow(
                scope, request.META.get("REMOTE_ADDR", "?"), per_minute
            ):
                return HttpResponse(
                    _("Too many attempts. Wait a minute and try again."), status=429
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
