"""Check an end user's credential by making the app's own test call (``App.connection_test``).

The outcome is for the end user to read: on failure ``reason`` says what the app said, or
why it could not be asked. Secret values never appear in it, even if the app echoes them.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote

import httpx
from oauthlib import oauth1

from install_service.catalog.connectors import App, app_module, render_template, validate_values

MAX_ERROR_BODY_BYTES = 64 * 1024  # read no more of a failed answer than this
MAX_DETAIL_CHARS = 200
MIN_REDACTED_CHARS = 6  # shorter secret values are not searched for in a reason
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    ok: bool
    reason: str | None = None  # e.g. "BigCommerce said: 401 Unauthorized – Invalid token"
    status_code: int | None = None  # the app's HTTP status, None if it was not reached


async def test_connection(
    app: App,
    values: Mapping[str, str],
    *,
    api_base: str | None,
    client: httpx.AsyncClient,
    timeout_s: float = 10.0,
    allow_private: bool = False,
) -> ConnectionResult:
    """Make ``app``'s test call with ``values``; ok only on a 2xx answer.

    ``api_base`` overrides ``app.api_base`` (from settings; it may use the same
    placeholders), None keeps the default. Values are stripped; in the URL they are
    percent-encoded, in headers sent as they are. Redirects are not followed: a 3xx is a
    failure. ``timeout_s`` bounds the whole exchange.

    Never raises for invalid values or HTTP/network failures: those come back as
    ``ok=False`` with a readable reason (values are validated before anything is sent).

    An app tested in code (``auth: module``) gets the stripped values from its module's
    ``test_connection``; ``allow_private`` (``WEBHOOK_ALLOW_PRIVATE``) lets it reach private
    addresses, as webhooks may.
    """
    secrets = [str(values.get(f.name) or "") for f in app.fields if f.secret]
    problems = validate_values(app, values)
    if problems:
        return _failure(" ".join(problems.values()), secrets)
    if app.connection_test.auth == "module":
        module = app_module(app.key)
        stripped = {name: value.strip() for name, value in app.template_values(values).items()}
        result = await module.test_connection(  # type: ignore[union-attr]
            stripped, allow_private=allow_private, timeout_s=timeout_s
        )
        return result if result.ok else _failure(result.reason or "", secrets)

    test = app.connection_test
    template_values = app.template_values(values)
    base = render_template(api_base or app.api_base, template_values, escape=_quote).rstrip("/")
    quoted = {name: _quote(value) for name, value in template_values.items()}
    url = render_template(test.url, {**quoted, "api_base": base})  # base is a URL: as is
    headers = {
        name: render_template(value, {**template_values, "api_base": base})
        for name, value in test.headers.items()
    }
    try:
        request = client.build_request(test.method, url, headers=headers, timeout=timeout_s)
        if test.auth == "oauth1" and test.oauth1 is not None:
            request.headers.update(_oauth1_headers(test.oauth1, template_values, request))
    except (httpx.InvalidURL, UnicodeError, ValueError):
        return _failure(f"The values entered cannot be sent to {app.name}.", secrets)

    try:
        async with asyncio.timeout(timeout_s):
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_success:
                    return ConnectionResult(ok=True, status_code=response.status_code)
                body = await _read_limited(response)
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return _failure(f"{app.name} did not answer within {timeout_s:g} s", secrets)
    except httpx.TransportError as exc:
        return _failure(f"Could not reach {app.name}: {network_problem(exc)}", secrets)

    reason = http_reason(app.name, response, body, test.error_paths)
    return _failure(reason, secrets, status_code=response.status_code)


def _quote(value: str) -> str:
    return quote(value, safe="")


def _oauth1_headers(
    templates: Mapping[str, str], template_values: Mapping[str, str], request: httpx.Request
) -> dict[str, str]:
    """The OAuth 1.0a Authorization header for exactly the URL and method being sent."""
    params = {key: render_template(value, template_values) for key, value in templates.items()}
    signer = oauth1.Client(
        params["client_key"],
        client_secret=params["client_secret"],
        resource_owner_key=params["resource_owner_key"],
        resource_owner_secret=params["resource_owner_secret"],
        signature_method=params["signature_method"],
        realm=params["realm"] or None,
    )
    _, signed, _ = signer.sign(str(request.url), http_method=request.method)
    return {"Authorization": signed["Authorization"]}


async def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status alone still makes a reason
    return b"".join(chunks)[:MAX_ERROR_BODY_BYTES]


def http_reason(
    app_name: str, response: httpx.Response, body: bytes, error_paths: Iterable[str]
) -> str:
    """E.g. "BigCommerce said: 401 Unauthorized – Invalid token": the status, then the app's
    own message from ``body`` (the first non-empty ``error_paths`` value, else the text)."""
    status = response.status_code
    phrase = response.reason_phrase
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    if response.is_redirect:
        detail = "unexpected redirect"
    else:
        detail = _error_detail(body, error_paths, response.headers.get("content-type", ""))
    reason = f"{app_name} said: {status} {phrase}".rstrip()
    if detail and detail.casefold() != phrase.casefold():
        reason += f" – {detail}"
    return reason


def _error_detail(body: bytes, error_paths: Iterable[str], content_type: str) -> str:
    """The app's own message: the first non-empty ``error_paths`` value, else the text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if data is not None:
        for path in error_paths:
            found = _flatten(_dig(data, path))
            if found:
                return _shorten(found)
    if "html" in content_type or text.startswith("<"):
        return ""  # an error page, not a message
    return _shorten(text)


def _dig(data: object, path: str) -> object:
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit():
            index = int(part)
            data = data[index] if index < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def _flatten(value: object) -> str:
    """A JSON value as one line: lists joined by "; ", objects as "key: value"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return "; ".join(part for part in map(_flatten, value) if part)
    if isinstance(value, dict):
        parts = (f"{key}: {_flatten(item)}" for key, item in value.items() if _flatten(item))
        return "; ".join(parts)
    return str(value)


def _shorten(text: str) -> str:
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 1].rstrip() + "…"
    return text


def network_problem(exc: BaseException) -> str:
    """What went wrong below HTTP, in words, from the exception chain (no addresses, no values)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, ssl.SSLCertVerificationError):
            return "its certificate could not be verified"
        if isinstance(current, ssl.SSLError):
            return "secure connection failed"
        if isinstance(current, (ConnectionResetError, BrokenPipeError)):
            return "connection closed unexpectedly"
        pending.extend(getattr(current, "exceptions", ()))  # exception groups
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "connection closed unexpectedly"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "its API address is not an http(s) URL"
    if isinstance(exc, httpx.ProxyError):
        return "proxy error"
    return "network error"


def _failure(
    reason: str, secrets: Iterable[str], status_code: int | None = None
) -> ConnectionResult:
    return ConnectionResult(ok=False, reason=redact(reason, secrets), status_code=status_code)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret value of at least ``MIN_REDACTED_CHARS`` characters (as
    entered, stripped, or percent-encoded as it went into a URL) replaced by "•••".

    Only the whole value is replaced, where it stands on its own: not where it is part of
    a longer word (``abc123`` in ``abc1234``), and never a shorter value, which could be
    any common word of the message. A percent-escape (``%20``) before or after a value
    still counts as a separator.
    """
    variants = {
        form
        for secret in secrets
        for form in (secret, secret.strip(), _quote(secret.strip()))
        if len(form.strip()) >= MIN_REDACTED_CHARS
    }
    if not variants:
        return text
    alternatives = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    standalone = re.compile(rf"(?:(?<![^\W_])|(?<=%[0-9A-Fa-f]{{2}}))(?:{alternatives})(?![^\W_])")
    return standalone.sub("•••", text)
