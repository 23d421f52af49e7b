"""The client's address, as far as the proxies in front of us may be believed.

Behind nginx every request comes from nginx's address, so rate limits keyed on REMOTE_ADDR put a
whole province in one bucket, and audit records all name the proxy. `X-Forwarded-For` is what the
proxies say, but anyone can send one: only the proxies listed in `KIEMDICH_TRUSTED_PROXIES`
(settings.TRUSTED_PROXIES, IP addresses or networks) are believed. From a trusted peer, the
header is read from the right (each proxy appends the address it saw) and the first address that
is not itself a trusted proxy is the client; anything left of it may be forged. From any other
peer, and when the header says nothing usable, the socket's address (REMOTE_ADDR) is the client.
When every hop is trusted (a client inside a trusted network), the farthest one is the client.

Imports no app: used by the rate limits (kiemdich.ratelimit), the WSGI scan shortcut and the
audit log.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def parse_proxies(value: str | Iterable[str]) -> tuple[str, ...]:
    """`KIEMDICH_TRUSTED_PROXIES` as a tuple of networks' texts; a bad entry fails at start-up."""
    items = value.split(",") if isinstance(value, str) else value
    proxies = tuple(item.strip() for item in items if item.strip())
    _networks(proxies)  # raises ValueError naming the bad entry
    return proxies


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def from_trusted_proxy(meta: Mapping[str, str]) -> bool:
    """Did this request come straight from one of the trusted proxies?"""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    peer = _address(meta.get("REMOTE_ADDR") or "")
    return peer is not None and _trusted(peer, networks)


def client_ip(meta: Mapping[str, str]) -> str:
    """The client's address for a request's META (or a WSGI environ); "" if none is known."""
    remote = meta.get("REMOTE_ADDR") or ""
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks:
        return remote
    peer = _address(remote)
    if peer is None or not _trusted(peer, networks):
        return remote
    client = remote
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",")):
        address = _address(hop)
        if address is None:
            break  # garbage: what is left of it cannot be read either
        client = str(address)
        if not _trusted(address, networks):
            break
    # All trusted: the client sits inside a trusted network itself; the farthest hop is it.
    return client
