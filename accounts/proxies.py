"""Forwarded headers are believed only from the proxies named in `TRUSTED_PROXIES`.

Anyone can send `X-Forwarded-Proto: https` or `X-Forwarded-For: <any address>`. Believed from a client
that reaches gunicorn directly, the first makes plain HTTP pass for HTTPS and the second lets one client
pose as any number of others (and so slip past login throttling). Only the TLS proxy in front of the
application may speak for the client, so these headers are removed from every request whose peer is not
a configured proxy, and the client address is read from `X-Forwarded-For` only as far as trusted proxies
vouch for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every header through which a proxy describes the original request.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str, proxies: Iterable[str] | None = None) -> bool:
    """True when `address` belongs to one of the configured proxies (addresses or networks)."""
    parsed = _address(address)
    if parsed is None:
        return False
    entries = tuple(settings.TRUSTED_PROXIES if proxies is None else proxies)
    return any(parsed in network for network in _networks(entries))


def client_ip(request: HttpRequest) -> str:
    """The client's address: the peer, or, while the peer is a trusted proxy, the hop it forwarded for.

    `X-Forwarded-For` is read from the right, where the proxy nearest to us appended the address it saw;
    everything left of the first address no trusted proxy vouches for may have been invented by the client.
    Also django-axes' client address (AXES_CLIENT_IP_CALLABLE).
    """
    address = request.META.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(address):
        return address
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            break
        address = str(parsed)
        if not is_trusted_proxy(address):
            break
    return address


class TrustedProxyMiddleware:
    """Drop forwarded headers that did not come from a trusted proxy (runs first, before the HTTPS check)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "") or ""):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
