"""The SSRF guard for webhook URLs: no loopback, private, link-local or metadata targets.

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

from install_service.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata endpoints that are not already private or link-local.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)


class UnsafeWebhookUrl(InvalidInput):
    """The URL is malformed, or its host resolves to an address webhooks may not reach."""

    code = "unsafe_webhook_url"


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """Where to connect: ``connect_url`` has the checked IP in place of the host name."""

    url: str
    connect_url: str
    host_header: str
    server_name: str


def is_forbidden(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in METADATA_ADDRESSES
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
                f"Webhook host {host!r} resolves to {', '.join(bad)}: loopback, private, "
                "link-local and metadata addresses are refused"
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
