"""The SSRF guard: which addresses a webhook may go to, IPv4 inside IPv6 included."""

from __future__ import annotations

import ipaddress

import pytest

from install_service.security.ssrf import UnsafeWebhookUrl, check_webhook_url, is_forbidden, pin

REFUSED = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # RFC 1918
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # CGNAT (RFC 6598)
    "100.100.100.200",  # Alibaba Cloud metadata, inside CGNAT
    "169.254.169.254",  # link-local: cloud metadata
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",  # multicast
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "2002:0808:0808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_global_addresses_are_refused(address: str) -> None:
    assert is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    ["http://100.64.0.1/hook", "https://[2002:7f00:1::1]/hook", "http://[64:ff9b::a00:1]:8080/h"],
)
async def test_setting_a_url_to_a_hidden_internal_address_is_refused(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match="only global addresses") as raised:
        await check_webhook_url(url, allow_private=False)
    assert raised.value.code == "unsafe_webhook_url" and raised.value.status_code == 422
    await check_webhook_url(url, allow_private=True)  # development: allowed


async def test_a_global_address_is_pinned_with_the_original_host_header() -> None:
    target = await pin("https://[2606:4700:4700::1111]:8443/hooks?a=1", allow_private=False)
    assert target.connect_url == "https://[2606:4700:4700::1111]:8443/hooks?a=1"
    assert target.host_header == "[2606:4700:4700::1111]:8443"
