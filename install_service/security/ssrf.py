"""The SSRF guard for webhook URLs: webhooks go to global addresses only.

An address is refused unless Python's ``ipaddress`` calls it global (``is_global``: not in
any IANA special-purpose block that is not globally reachable, so loopback, RFC 1918,
CGNAT ``100.64.0.0/10``, link-local and cloud metadata such as ``169.254.169.254``,
benchmarking, documentation and reserved ranges are all refused), and multicast is
refused too. An IPv6 address that carries an IPv4 address is judged by that IPv4 address
as well: IPv4-mapped ``::ffff:a.b.c.d`` (RFC 4291 §2.5.5.2), 6to4 ``2002::/16`` with the
IPv4 address in bits 16..48 (RFC 3056 §2) and NAT64 ``64:ff9b::/96`` and
``64:ff9b:1::/48`` with it in the last 32 bits (RFC 6052 §2.2, RFC 8215).

A URL is checked when it is set and again at every send. At send time the host is
resolved once, every address is checked, and the request connects to the checked address
(keeping the original ``Host`` header and TLS server name), so a DNS answer that changes
between check and connect cannot redirect the request inside the network.
``INSTALL_SERVICE_WEBHOOK_ALLOW_PRIVATE=true`` turns the address check off (development).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from install_service.error_codes import UNSAFE_WEBHOOK_URL
from install_service.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),  # well-known prefix, RFC 6052
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use prefix, RFC 8215
)


class UnsafeWebhookUrl(InvalidInput):
    """The URL is malformed, or its host resolves to an address webhooks may not reach."""

    code = UNSAFE_WEBHOOK_URL


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """Where to connect: ``connect_url`` has the checked IP in place of the host name."""

    url: str
    connect_url: str
    host_header: str
    server_name: str


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address, else None."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_forbidden(address: IpAddress) -> bool:
    """True unless ``address``, and any IPv4 address embedded in it, is global unicast."""
    inner = embedded_ipv4(address)
    return any(
        not candidate.is_global or candidate.is_multicast
        for candidate in (address, inner)
        if candidate is not None
    )


def check_syntax(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL without credentials.

    Raises:
        UnsafeWebhookUrl: anything else.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeWebhookUrl(f"Webhook URL must be an absolute http(s) URL, not {url!r}")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("Webhook URL must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeWebhookUrl(f"Webhook URL has an invalid port: {url!r}") from exc
    return parts.scheme, parts.hostname, port


async def resolve(host: str, port: int) -> list[IpAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeWebhookUrl(f"Webhook host {host!r} does not resolve") from exc
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


async def pin(url: str, *, allow_private: bool) -> PinnedTarget:
    """Resolve ``url``'s host, check every address, and pin the first one.

    Raises:
        UnsafeWebhookUrl: malformed, unresolvable, or a forbidden address (unless allowed).
    """
    scheme, host, port = check_syntax(url)
    addresses = await resolve(host, port)
    if not allow_private:
        bad = [str(a) for a in addresses if is_forbidden(a)]
        if bad:
            raise UnsafeWebhookUrl(
                f"Webhook host {host!r} resolves to {', '.join(bad)}: only global addresses "
                "are allowed (loopback, private, CGNAT, link-local and metadata are refused)"
            )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    parts = urlsplit(url)
    netloc = f"{literal}:{port}" if parts.port else literal
    return PinnedTarget(
        url=url,
        connect_url=urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=parts.netloc.rsplit("@", 1)[-1],
        server_name=host,
    )


async def check_webhook_url(url: str | None, *, allow_private: bool) -> None:
    """Refuse an unsafe webhook URL when it is set (``None`` clears it and is fine)."""
    if url:
        await pin(url, allow_private=allow_private)
