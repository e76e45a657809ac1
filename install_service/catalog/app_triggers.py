"""What an ``appTrigger`` block subscribes to: an app's webhooks, found by convention.

An app with triggers exposes them in its module ``install_service.catalog.apps.<key>``
(the one its actions live in):

- ``TRIGGERS: Mapping[str, str]``: lower-case event name ("order created") → the app's
  own name for it, its *scope* ("store/order/created");
- ``SECRET_HEADER: str``: the header the app sends back on every callback holding our
  random per-subscription secret (we give it to the app when creating the hook);
- ``async create_hook(call, scope, destination, secret) -> Hook``;
- ``async delete_hook(call, hook_id) -> None`` (a hook already gone is success);
- ``async list_hooks(call) -> list[Hook]`` (every hook of the credential's account);
- ``async set_hook_active(call, hook_id, active) -> Hook``;
- ``async fetch_trigger_data(call, callback) -> Any``: the resource a callback is about,
  as the app's JSON answer;
- ``parse_callback(body: bytes) -> Callback``: a callback's raw body, checked; raises
  :class:`CallbackRejected`.

``call`` is a :class:`HookCall`. Like actions, the async operations let httpx's errors
out; :func:`call_hook_operation` runs one and turns them into an AppCallError.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import httpx

from install_service.catalog.app_actions import app_errors, quote_path
from install_service.catalog.app_definitions import ConnectorDefinitionError, load_apps
from install_service.catalog.connectors import App, app_module, render_template

T = TypeVar("T")

OPERATIONS = (
    "create_hook",
    "delete_hook",
    "list_hooks",
    "set_hook_active",
    "fetch_trigger_data",
    "parse_callback",
)


@dataclass(frozen=True, slots=True)
class HookCall:
    """One call to an app's webhook API. ``credential`` holds decrypted values: not in repr."""

    credential: Mapping[str, str] = field(repr=False)  # e.g. {"storeHash", "accessToken"}
    api_base: str  # resolved, no trailing slash, e.g. "https://api.bigcommerce.com"
    client: httpx.AsyncClient = field(repr=False)
    timeout_s: float = 15.0


@dataclass(frozen=True, slots=True)
class Hook:
    """A webhook subscription as the app holds it; ``id`` is the app's, as text."""

    id: str
    scope: str  # the app's event name, e.g. "store/order/created"
    destination: str  # the URL the app calls back
    is_active: bool


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback body the app's ``parse_callback`` accepted."""

    scope: str
    resource_id: str  # what the event is about, e.g. the order id "250"
    dedupe_key: str  # the same for a redelivery of one event (BigCommerce's ``hash``)
    payload: dict  # the decoded body, as received


class CallbackRejected(Exception):
    """A callback body is not the app's shape; ``message`` says why (readable, no secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class TriggerApp:
    """An app's triggers and webhook operations, from its module (see this module's doc)."""

    key: str
    triggers: Mapping[str, str]
    secret_header: str
    create_hook: Callable[[HookCall, str, str, str], Awaitable[Hook]]
    delete_hook: Callable[[HookCall, str], Awaitable[None]]
    list_hooks: Callable[[HookCall], Awaitable[list[Hook]]]
    set_hook_active: Callable[[HookCall, str, bool], Awaitable[Hook]]
    fetch_trigger_data: Callable[[HookCall, Callback], Awaitable[Any]]
    parse_callback: Callable[[bytes], Callback]

    def scope_for(self, event: str) -> str | None:
        """The app's scope for ``event`` (case-insensitive, spaces around ignored), None if
        the app has no such trigger."""
        return self.triggers.get(event.strip().lower())


@functools.cache
def trigger_app(app_key: str) -> TriggerApp | None:
    """The app's triggers and operations; None for an app without a module or ``TRIGGERS``.

    Raises ConnectorDefinitionError when ``TRIGGERS`` is malformed or, given triggers,
    ``SECRET_HEADER`` or one of the operations is missing.
    """
    module = app_module(app_key)
    triggers = getattr(module, "TRIGGERS", None) if module is not None else None
    if triggers is None:
        return None
    if not isinstance(triggers, Mapping) or not all(
        isinstance(name, str)
        and name == name.strip().lower()
        and name
        and isinstance(scope, str)
        and scope.strip()
        for name, scope in triggers.items()
    ):
        raise ConnectorDefinitionError(
            f"{app_key}.py", "TRIGGERS must map lower-case event names to the app's scopes"
        )
    if not triggers:
        return None
    header = getattr(module, "SECRET_HEADER", None)
    missing = [name for name in OPERATIONS if not callable(getattr(module, name, None))]
    if not isinstance(header, str) or not header.strip():
        missing.insert(0, "SECRET_HEADER")
    if missing:
        raise ConnectorDefinitionError(
            f"{app_key}.py", f"an app with TRIGGERS must define {', '.join(missing)}"
        )
    operations = {name: getattr(module, name) for name in OPERATIONS}
    return TriggerApp(
        key=app_key,
        triggers=MappingProxyType(dict(triggers)),
        secret_header=header,
        **operations,
    )


def triggers_for(app_key: str) -> Mapping[str, str]:
    """The app's triggers, lower-case event name → scope; {} for an app without triggers.

    Cached (through :func:`trigger_app`). Raises ConnectorDefinitionError as it does.
    """
    app = trigger_app(app_key)
    return app.triggers if app is not None else MappingProxyType({})


def app_trigger_names() -> dict[str, frozenset[str]]:
    """Every shipped app's trigger names, e.g. {"bigcommerce": {"order created", ...},
    "shopify": {}}."""
    return {key: frozenset(triggers_for(key)) for key in load_apps()}


async def call_hook_operation(
    app: App,
    credential: Mapping[str, str],
    operation: Callable[[HookCall], Awaitable[T]],
    *,
    api_base_override: str | None,
    client: httpx.AsyncClient,
    timeout_s: float = 15.0,
    secrets: Iterable[str] = (),
) -> T:
    """Run ``operation`` (e.g. ``lambda call: bc.create_hook(call, scope, url, secret)``)
    with a HookCall for ``credential`` and return what it returns.

    ``api_base_override`` (``INSTALL_SERVICE_<APP>_API_BASE``) replaces ``app.api_base``;
    either is rendered with the credential's template values. ``timeout_s`` bounds the
    whole operation (a listing of several pages too). ``secrets`` are values to keep out
    of messages besides the credential's secret fields (the hook's secret).

    Raises AppCallError as :func:`~install_service.catalog.app_actions.call_action` does:
    no answer in time, connection failure, 429 or 5xx (transient, with ``retry_after_s``
    when the app said); another non-2xx (not transient, the app's own message); an answer
    that is not JSON (not transient); the operation's own AppCallError. No message holds
    a secret value.
    """
    template_values = app.template_values(credential)
    base = render_template(api_base_override or app.api_base, template_values, escape=quote_path)
    call = HookCall(
        credential=MappingProxyType(dict(credential)),
        api_base=base.rstrip("/"),
        client=client,
        timeout_s=timeout_s,
    )
    hidden = [str(credential.get(f.name) or "") for f in app.fields if f.secret]
    async with app_errors(app, [*hidden, *secrets], timeout_s):
        return await operation(call)
