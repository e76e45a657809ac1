"""What an ``appAction`` block calls: an app's actions, found by convention, and their errors.

An app with actions has a module ``install_service.catalog.apps.<key>`` beside its
definition file. It exposes ``ACTIONS: Mapping[str, Action]`` (lower-case names such as
"update order status"; looked up case-insensitively) and optionally
``RATE_LIMIT = (requests, seconds)``, the most calls one credential may make in any window
of that many seconds. An action is ``async (call: ActionCall) -> Any`` returning the app's
JSON answer; it may raise :class:`AppCallError` itself (invalid inputs) and lets httpx's
errors out, which :func:`call_action` turns into an :class:`AppCallError`.

The rate limit counts one call per action run (each BigCommerce action makes one request).
It is enforced by the runtime, not here: each call is a DBOS workflow on the app's queue,
partitioned by credential (runtime/engine.py), so it holds across processes. Should the app
still answer 429 (``Retry-After``, BigCommerce's ``X-Rate-Limit-Time-Reset-Ms``), that comes
back as a transient error with ``retry_after_s``, which the runtime's retry honours.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import httpx

from install_service.catalog.app_definitions import ConnectorDefinitionError, load_apps
from install_service.catalog.connection_test import http_reason, network_problem, redact
from install_service.catalog.connectors import App, app_module, render_template

MAX_RETRY_AFTER_S = 3600.0  # a longer wait an app asks for is capped to this


class AppCallError(Exception):
    """An app action failed; ``message`` is readable by an ISV and never holds a secret.

    ``transient``: worth retrying (no answer in time, connection failed, 429, 5xx).
    ``retry_after_s``: how long the app asked to wait, in seconds, if it said.
    ``status_code``: the app's HTTP status, None if it was not reached or not asked.
    Picklable (DBOS pickles what a step raises).
    """

    def __init__(
        self,
        message: str,
        transient: bool = False,
        retry_after_s: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after_s = retry_after_s
        self.status_code = status_code

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.message, self.transient, self.retry_after_s, self.status_code),
        )

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, transient={self.transient}, "
            f"retry_after_s={self.retry_after_s}, status_code={self.status_code})"
        )


@dataclass(frozen=True, slots=True)
class ActionCall:
    """One call of an action. ``credential`` holds decrypted values: it is left out of repr."""

    inputs: Mapping[str, Any]  # the block's rendered mapping
    credential: Mapping[str, str] = field(repr=False)  # e.g. {"storeHash", "accessToken"}
    api_base: str  # resolved, no trailing slash, e.g. "https://api.bigcommerce.com"
    client: httpx.AsyncClient = field(repr=False)
    timeout_s: float = 15.0


Action = Callable[[ActionCall], Awaitable[Any]]


async def request_json(
    call: ActionCall,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json_body: Any = None,
) -> Any:
    """Send one request with ``call.client`` (no redirects, ``call.timeout_s``) and return
    the decoded JSON answer (None for an empty body).

    Raises httpx.HTTPStatusError for a non-2xx answer, httpx.TransportError /
    TimeoutException when no answer came, json.JSONDecodeError for a body that is not JSON;
    :func:`call_action` maps each to an AppCallError.
    """
    response = await call.client.request(
        method,
        url,
        headers=dict(headers),
        json=json_body,
        timeout=call.timeout_s,
        follow_redirects=False,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def quote_path(value: str) -> str:
    """``value`` percent-encoded for one URL path segment ("/" too)."""
    return quote(value, safe="")


@functools.cache
def actions_for(app_key: str) -> Mapping[str, Action]:
    """The app's actions by lower-case name, {} for an app without a module or ACTIONS.

    Raises ConnectorDefinitionError when the module's ACTIONS is malformed.
    """
    module = app_module(app_key)
    if module is None:
        return MappingProxyType({})
    actions = getattr(module, "ACTIONS", {})  # a module may hold only a connection test
    if not isinstance(actions, Mapping) or not all(
        isinstance(name, str) and name == name.strip().lower() and callable(action)
        for name, action in actions.items()
    ):
        raise ConnectorDefinitionError(
            f"{app_key}.py", "ACTIONS must map lower-case names to async functions"
        )
    return MappingProxyType(dict(actions))


def rate_limit_for(app_key: str) -> tuple[int, float] | None:
    """The module's ``RATE_LIMIT`` as (requests, seconds), None when it sets none.

    Raises ConnectorDefinitionError when it is malformed (seconds must be whole).
    """
    module = app_module(app_key)
    limit = getattr(module, "RATE_LIMIT", None) if module is not None else None
    if limit is None:
        return None
    match limit:
        case (int() as requests, int() | float() as period_s) if (
            requests > 0 and period_s >= 1 and float(period_s).is_integer()
        ):
            return requests, float(period_s)
    raise ConnectorDefinitionError(
        f"{app_key}.py", "RATE_LIMIT must be (requests, whole seconds), both positive"
    )


def app_action_names() -> dict[str, frozenset[str]]:
    """Every shipped app's action names, e.g. {"bigcommerce": {"get order", ...}, "shopify": {}}."""
    return {key: frozenset(actions_for(key)) for key in load_apps()}


async def call_action(
    app: App,
    action: str,
    inputs: Mapping[str, Any],
    credential: Mapping[str, str],
    *,
    api_base_override: str | None,
    client: httpx.AsyncClient,
    timeout_s: float = 15.0,
) -> Any:
    """Run ``app``'s ``action`` (case-insensitive) and return the app's JSON answer.

    ``api_base_override`` (``INSTALL_SERVICE_<APP>_API_BASE``) replaces ``app.api_base``;
    either is rendered with the credential's template values. ``timeout_s`` bounds the call.

    Raises AppCallError: unknown action or invalid inputs (not transient, naming the
    accepted values); no answer in time, connection failure, 429 or 5xx (transient, with
    ``retry_after_s`` when the app said); another non-2xx (not transient, the app's own
    message); an answer that is not JSON (not transient). No message holds a secret value.
    """
    actions = actions_for(app.key)
    found = actions.get(action.strip().lower())
    if found is None:
        known = ", ".join(sorted(actions)) or "none"
        raise AppCallError(f"{app.name} has no action {action!r} (known: {known})")
    template_values = app.template_values(credential)
    base = render_template(api_base_override or app.api_base, template_values, escape=quote_path)
    call = ActionCall(
        inputs=MappingProxyType(dict(inputs)),
        credential=MappingProxyType(dict(credential)),
        api_base=base.rstrip("/"),
        client=client,
        timeout_s=timeout_s,
    )
    secrets = [str(credential.get(f.name) or "") for f in app.fields if f.secret]
    async with app_errors(app, secrets, timeout_s):
        return await found(call)


@contextlib.asynccontextmanager
async def app_errors(app: App, secrets: list[str], timeout_s: float) -> AsyncIterator[None]:
    """Bound the body to ``timeout_s`` and turn what a call to ``app`` raises into an
    AppCallError, as :func:`call_action` documents; ``secrets`` are redacted from messages."""
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except AppCallError as exc:
        raise AppCallError(
            redact(exc.message, secrets), exc.transient, exc.retry_after_s, exc.status_code
        ) from None
    except (TimeoutError, httpx.TimeoutException):
        message = f"{app.name} did not answer within {timeout_s:g} s"
        raise AppCallError(message, transient=True) from None
    except httpx.HTTPStatusError as exc:
        raise _status_error(app, exc.response, secrets) from None
    except httpx.TransportError as exc:
        message = f"Could not reach {app.name}: {network_problem(exc)}"
        raise AppCallError(message, transient=True) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AppCallError(f"{app.name} answered with something that is not JSON") from None


def _status_error(app: App, response: httpx.Response, secrets: list[str]) -> AppCallError:
    status = response.status_code
    reason = http_reason(app.name, response, response.content, app.connection_test.error_paths)
    transient = status == 429 or status >= 500
    return AppCallError(
        redact(reason, secrets),
        transient=transient,
        retry_after_s=retry_after_s(response.headers) if transient else None,
        status_code=status,
    )


def retry_after_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``X-Rate-Limit-Time-Reset-Ms`` (BigCommerce, milliseconds) or
    ``Retry-After`` (seconds or an HTTP date, RFC 9110 §10.2.3); None if neither is usable.
    Capped to MAX_RETRY_AFTER_S."""
    headers = httpx.Headers(headers)
    seconds: float | None = None
    reset_ms = headers.get("x-rate-limit-time-reset-ms", "").strip()
    retry_after = headers.get("retry-after", "").strip()
    try:
        if reset_ms:
            seconds = float(reset_ms) / 1000
        elif retry_after.isdigit():
            seconds = float(retry_after)
        elif retry_after:
            when = parsedate_to_datetime(retry_after)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
    except (ValueError, TypeError, OverflowError):
        return None
    if seconds is None or seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
