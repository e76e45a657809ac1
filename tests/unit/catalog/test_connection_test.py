"""Connection tests against a real local HTTP server standing in for each app's API.

``test_connection`` is reached through its module so pytest does not collect it as a test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from install_service.catalog import connection_test
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.connectors import App

TOKEN = "tok_5ecr3t_value"
BIGCOMMERCE_VALUES = {"storeHash": "abc123", "accessToken": TOKEN}
NETSUITE_VALUES = {
    "accountId": "1234567_sb1",
    "consumerKey": "ck-public",
    "consumerSecret": "cs-hidden-1",
    "tokenId": "tid-public",
    "tokenSecret": "ts-hidden-2",
}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names


@dataclass
class FakeApi:
    """What the local server answers, and what it was asked."""

    url: str = ""
    status: int = 200
    body: bytes = b'{"id": "abc123", "name": "Acme"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    hang: bool = False
    requests: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int, body: object, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = {"Content-Type": content_type}


def _handler_for(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append(
                Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
            )
            if api.hang:
                api.release.wait(10)
                return
            self.send_response(api.status)
            for name, value in api.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(api.body)))
            self.end_headers()
            self.wfile.write(api.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def app(key: str) -> App:
    return load_apps()[key]


async def check(
    key: str, values: dict[str, str], api_base: str | None, http: httpx.AsyncClient, **kwargs: float
) -> connection_test.ConnectionResult:
    return await connection_test.test_connection(
        app(key), values, api_base=api_base, client=http, **kwargs
    )


async def test_bigcommerce_success_sends_the_token_to_the_store_path(api, client) -> None:
    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    assert result == connection_test.ConnectionResult(ok=True, status_code=200)
    [seen] = api.requests
    assert seen.path == "/stores/abc123/v2/store"
    assert seen.headers["x-auth-token"] == TOKEN
    assert seen.headers["accept"] == "application/json"


async def test_bigcommerce_v3_error_title_is_the_reason(api, client) -> None:
    api.answer(401, {"status": 401, "title": "Invalid token", "type": "https://x/errors"})

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    assert not result.ok
    assert result.status_code == 401
    assert result.reason == "BigCommerce said: 401 Unauthorized – Invalid token"


async def test_an_echoed_secret_never_reaches_the_reason(api, client) -> None:
    api.answer(403, [{"status": 403, "message": f"Token {TOKEN} lacks the needed scope"}])

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    assert result.reason is not None
    assert "lacks the needed scope" in result.reason
    assert result.reason.startswith("BigCommerce said: 403 Forbidden – Token ")
    assert TOKEN not in result.reason


async def test_plain_text_errors_are_quoted_and_html_pages_are_not(api, client) -> None:
    api.answer(500, b"Store is   under\nmaintenance", "text/plain")
    plain = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)
    api.answer(503, b"<html><body>" + b"x" * 500 + b"</body></html>", "text/html")
    html = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    assert plain.reason == (
        "BigCommerce said: 500 Internal Server Error – Store is under maintenance"
    )
    assert html.reason == "BigCommerce said: 503 Service Unavailable"


async def test_connection_refused_is_readable(client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, f"http://127.0.0.1:{port}", client)

    assert result == connection_test.ConnectionResult(
        ok=False, reason="Could not reach BigCommerce: connection refused"
    )


async def test_a_silent_app_times_out(api, client) -> None:
    api.hang = True
    started = time.monotonic()

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client, timeout_s=0.5)

    assert time.monotonic() - started < 3
    assert result == connection_test.ConnectionResult(
        ok=False, reason="BigCommerce did not answer within 0.5 s"
    )


async def test_redirects_are_not_followed(api, client) -> None:
    api.answer(302, b"")
    api.headers["Location"] = f"{api.url}/elsewhere"

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    assert not result.ok
    assert result.status_code == 302
    assert result.reason == "BigCommerce said: 302 Found – unexpected redirect"
    assert [seen.path for seen in api.requests] == ["/stores/abc123/v2/store"]


async def test_invalid_values_are_reported_without_calling_the_app(api, client) -> None:
    result = await check("bigcommerce", {"storeHash": "", "accessToken": TOKEN}, api.url, client)

    assert not result.ok
    assert result.reason == "Store hash is required."
    assert api.requests == []


async def test_values_are_url_quoted_in_the_path(api, client) -> None:
    bigcommerce = app("bigcommerce")
    loose = replace(
        bigcommerce, fields=(replace(bigcommerce.fields[0], pattern=None), bigcommerce.fields[1])
    )

    result = await connection_test.test_connection(
        loose, {"storeHash": "a b/../c?d", "accessToken": TOKEN}, api_base=api.url, client=client
    )

    assert result.ok
    assert api.requests[0].path == "/stores/a%20b%2F..%2Fc%3Fd/v2/store"


async def test_shopify_sends_its_header_and_reads_its_errors(api, client) -> None:
    message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
    api.answer(401, {"errors": message})
    values = {"shop": "acme", "accessToken": "shpat_abc"}

    result = await check("shopify", values, api.url, client)

    [seen] = api.requests
    assert seen.path == "/admin/api/2025-01/shop.json"
    assert seen.headers["x-shopify-access-token"] == "shpat_abc"
    assert result.reason == f"Shopify said: 401 Unauthorized – {message}"


async def test_shopify_object_errors_are_flattened(api, client) -> None:
    api.answer(422, {"errors": {"shop": ["is closed", "is paused"]}})

    result = await check("shopify", {"shop": "acme", "accessToken": "shpat_abc"}, api.url, client)

    assert result.reason == "Shopify said: 422 Unprocessable Entity – shop: is closed; is paused"


def _oauth_request_as_seen(api: FakeApi, seen: Seen) -> OAuthRequest:
    """Rebuild the signed request from what arrived, as a NetSuite server would."""
    request = OAuthRequest(
        f"http://{seen.headers['host']}{seen.path}",
        "GET",
        headers={"Authorization": seen.headers["authorization"]},
    )
    request.params = signature.collect_parameters(
        uri_query=request.uri_query, headers=request.headers
    )
    request.signature = dict(
        signature.collect_parameters(headers=request.headers, exclude_oauth_signature=False)
    )["oauth_signature"]
    return request


async def test_netsuite_request_is_signed_with_oauth1_hmac_sha256(api, client) -> None:
    result = await check("netsuite", NETSUITE_VALUES, api.url, client)

    assert result.ok
    [seen] = api.requests
    assert seen.path == "/services/rest/record/v1/metadata-catalog"
    authorization = seen.headers["authorization"]
    assert authorization.startswith('OAuth realm="1234567_SB1", ')
    assert 'oauth_signature_method="HMAC-SHA256"' in authorization
    assert 'oauth_consumer_key="ck-public"' in authorization
    assert 'oauth_token="tid-public"' in authorization
    assert "hidden" not in authorization
    request = _oauth_request_as_seen(api, seen)
    assert signature.verify_hmac_sha256(request, "cs-hidden-1", "ts-hidden-2")
    assert not signature.verify_hmac_sha256(request, "cs-hidden-1", "wrong")


async def test_netsuite_error_detail_is_the_reason(api, client) -> None:
    detail = (
        "Invalid login attempt. For more details, see the Login Audit Trail in the "
        "NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail."
    )
    api.answer(
        401,
        {
            "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
            "title": "Unauthorized",
            "status": 401,
            "o:errorDetails": [{"detail": detail, "o:errorCode": "INVALID_LOGIN"}],
        },
    )

    result = await check("netsuite", NETSUITE_VALUES, api.url, client)

    assert result.reason == f"NetSuite said: 401 Unauthorized – {detail}"
    for name in ("consumerSecret", "tokenSecret", "consumerKey", "tokenId"):
        assert NETSUITE_VALUES[name] not in result.reason


async def test_long_details_are_cut_to_200_characters(api, client) -> None:
    api.answer(400, {"title": "word " * 100})

    result = await check("bigcommerce", BIGCOMMERCE_VALUES, api.url, client)

    detail = result.reason.split(" – ", 1)[1]
    assert len(detail) == 200
    assert detail.endswith("…")
