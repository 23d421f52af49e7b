"""Rate limits on public writes: django-ratelimit's counters with the project's keys and answers.

The counting is django-ratelimit's (`get_usage`: fixed windows in Django's cache, `add` then
`incr`). The cache is shared by all workers (settings.CACHES: the database by default, Redis
with `REDIS_URL`), so four gunicorn workers count one total. What is left here is the glue:

- the limits by group, from settings.RATELIMITS (`KIEMDICH_RATELIMIT_<GROUP>`, e.g. `600/m`);
- the keys: the client's address (kiemdich.clientip, which believes X-Forwarded-For only from
  trusted proxies; IPv6 by its /64, what one phone or home gets) or a value the caller gives
  (a user, a username);
- the answers: `RateLimited` (429 with `Retry-After`): in the API's error shape under /api/
  (kiemdich/api.py), a plain message page elsewhere (`too_many`).

A limited request writes nothing: every check runs before the view's service call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.core import signing as django_signing
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import ngettext
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage

from kiemdich.clientip import client_ip

#: Set in a WSGI environ by the scan shortcut (checkins/fastpath.py) once it has counted the
#: request: True, or the RateLimited to answer. Clients cannot set such a key (theirs are HTTP_*),
#: and the view that gets the request after the shortcut counts it only once.
COUNTED = "kiemdich.ratelimit"


class RateLimited(Exception):
    """Over a limit: answer 429 with `Retry-After: seconds`."""

    def __init__(self, group: str, retry_after: int) -> None:
        super().__init__(group)
        self.group = group
        self.retry_after = max(1, retry_after)

    @property
    def detail(self) -> str:
        minutes = -(-self.retry_after // 60)
        until = timezone.localtime() + dt.timedelta(seconds=self.retry_after)
        if self.group.startswith("login"):
            return ngettext(
                "Too many failed sign-ins. Try again in %(minutes)d minute (after %(time)s).",
                "Too many failed sign-ins. Try again in %(minutes)d minutes (after %(time)s).",
                minutes,
            ) % {"minutes": minutes, "time": f"{until:%H:%M}"}
        if self.retry_after < 60:
            return ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                self.retry_after,
            ) % {"seconds": self.retry_after}
        return ngettext(
            "Too many requests. Try again in %(minutes)d minute.",
            "Too many requests. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


def address(request) -> str:
    """The key of a client address: the address, or for IPv6 its /64 network."""
    ip = client_ip(request.META)
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "?"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return ip


def _rate(group: str, request) -> str | None:
    return settings.RATELIMITS.get(group)


def _usage(request, group: str, value: str, increment: bool) -> dict | None:
    return get_usage(
        request,
        group=group,
        key=lambda _group, _request: value,
        rate=_rate,
        increment=increment,
    )


def hit(request, groups: Iterable[str], key: str | None = None) -> None:
    """Count one request in each group (keyed on `key`, else the client's address); raise
    RateLimited if any of them is now over its limit."""
    counted = request.META.get(COUNTED)
    if isinstance(counted, RateLimited):
        raise counted
    if counted:
        return
    value = address(request) if key is None else key
    over = None
    for group in groups:
        usage = _usage(request, group, value, increment=True)
        limited = usage is not None and usage["should_limit"]
        if limited and (over is None or usage["time_left"] > over.retry_after):
            over = RateLimited(group, usage["time_left"])
    if over is not None:
        raise over


def take(request, group: str, wanted: int, keys: Iterable[str | None] = (None,)) -> int:
    """How many of `wanted` requests counted together (a batch's back-dated scans) still fit in
    `group` under every one of `keys` (None: the client's address); those that fit are counted.

    django-ratelimit counts one per call; this uses its own window and key functions (pinned
    version) so the single requests and the batches of a group share one count. Each count is
    raised by all of `wanted` first and what does not fit is given back: concurrent batches
    then see each other's share at once, and together never pass the limit (while two are
    counting, one may see less room than there is, the safe side).
    """
    rate = _rate(group, request)
    if wanted <= 0 or rate is None or not getattr(settings, "RATELIMIT_ENABLE", True):
        return max(wanted, 0)
    limit, period = ratelimit_core._split_rate(rate)
    cache = caches[settings.RATELIMIT_USE_CACHE]
    counted: list[str] = []
    fits = wanted
    for key in keys:
        value = address(request) if key is None else key
        window = ratelimit_core._get_window(value, period)
        cache_key = ratelimit_core._make_cache_key(group, window, rate, value, ratelimit_core.ALL)
        if cache.add(cache_key, wanted, period + ratelimit_core.EXPIRATION_FUDGE):
            now = wanted
        else:
            now = cache.incr(cache_key, wanted)
        counted.append(cache_key)
        fits = min(fits, max(0, limit - (now - wanted)))
    if fits < wanted:
        for cache_key in counted:
            cache.decr(cache_key, wanted - fits)
    return fits


def retry_after(request, group: str, key: str | None = None) -> RateLimited:
    """The refusal of a request over `group`, with the seconds until its window ends."""
    value = address(request) if key is None else key
    _limit, period = ratelimit_core._split_rate(_rate(group, request))
    return RateLimited(group, ratelimit_core._get_window(value, period) - int(time.time()))


def hit_once(request, group: str, key: str, fingerprint: str) -> bool:
    """Count a write allowed once a window per `key` (`group`'s limit, e.g. 1/d) that a client
    may retry: True for the first (do it), False for the same write again (`fingerprint`
    equal: answer as the first did and do nothing), RateLimited for a different one.

    The fingerprint of the accepted write is kept in the same cache until the window ends. Two
    copies sent at once may both find the count taken before the first kept its fingerprint:
    the second is refused (429) and its retry gets the first's answer, the safe side.
    """
    cache = caches[settings.RATELIMIT_USE_CACHE]
    seen = f"kiemdich.once:{group}:" + hashlib.sha256(key.encode()).hexdigest()
    try:
        hit(request, [group], key)
    except RateLimited:
        if cache.get(seen) == fingerprint:
            return False
        raise
    window = retry_after(request, group, key).retry_after
    cache.set(seen, fingerprint, window + ratelimit_core.EXPIRATION_FUDGE)
    return True


def blocked(request, group: str, key: str) -> RateLimited | None:
    """Whether `key` has used up `group` already (without counting): a lock-out."""
    usage = _usage(request, group, key, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        return RateLimited(group, usage["time_left"])
    return None


def too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """The 429 answer: the API's error shape under /api/, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": exc.detail, "code": "rate_limited"}, status=429)
    else:
        response = HttpResponse(
            render_to_string("429.html", {"detail": exc.detail}, request=request), status=429
        )
    response["Retry-After"] = str(exc.retry_after)
    return response


def limit(group: str, key: Callable[[HttpRequest], str] | None = None) -> Callable:
    """Limit a page's POSTs by client address (or by `key(request)`)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                try:
                    hit(request, [group], key(request) if key else None)
                except RateLimited as exc:
                    return too_many(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


#: The cookie that says which username signed in from this browser before (signed, a year).
DEVICE_COOKIE = "kd_device"
_DEVICE_SALT = "kiemdich.ratelimit.device"


def _device_of(request: HttpRequest) -> str | None:
    try:
        return django_signing.loads(
            request.COOKIES.get(DEVICE_COOKIE, ""), salt=_DEVICE_SALT, max_age=365 * 86400
        )
    except django_signing.BadSignature:
        return None


def _remember_device(response: HttpResponse, username: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        django_signing.dumps(username, salt=_DEVICE_SALT),
        max_age=365 * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def login_lockout(view: Callable) -> Callable:
    """Lock out sign-ins after too many failures: of a username from one address, of a
    username from anywhere (a wider limit), and from one address.

    Keying the tight limit on the username alone would let anyone lock an official out by
    typing wrong passwords under their name. The wide limit, which many addresses (an IPv6
    network's /64s) can use up, does not apply in a browser where that username signed in
    before (a signed cookie, `DEVICE_COOKIE`): guessing from elsewhere does not lock the
    official out of their own phone.

    Before a sign-in is tried, a key that failed too often in the window is refused with 429
    and told when to retry. A failure is a POST the login view answers without redirecting (it
    shows the form again); each counts for every key.
    """

    def keys(request: HttpRequest) -> list[tuple[str, str]]:
        username = request.POST.get("username", "").strip().lower()
        client = address(request)
        return [
            ("login-user", f"{username}@{client}"),
            ("login-account", username),
            ("login-address", client),
        ]

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        username = request.POST.get("username", "").strip().lower()
        known = _device_of(request) == username
        for group, value in keys(request):
            if group == "login-account" and known:
                continue
            locked = blocked(request, group, value)
            if locked is not None:
                return too_many(request, locked)
        response = view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if response.status_code == 302 and user is not None and user.is_authenticated:
            _remember_device(response, username)
        if response.status_code == 200:  # the form again: a failed sign-in
            for group, value in keys(request):
                # The failure that uses up the limit is answered as usual; the next is refused.
                with contextlib.suppress(RateLimited):
                    hit(request, [group], value)
        return response

    return wrapped
