"""One step function per block type (the grammar is in README, "Workflow blocks").

:func:`run_block` is the body of a block's DBOS step: it renders the block's templates over
the run's scope, does the block's work, records the block's result and returns its output
(what later blocks see as ``blocks.<id>``). Failures raise:

- :class:`~install_service.catalog.app_actions.AppCallError` from an app or the Stream Data
  receiver; DBOS retries it when ``transient``;
- :class:`BlockFailed`: anything else that will not get better by retrying (a bad
  expression, a refused URL, a 4xx answer); :class:`Filtered`: a filter said no.

An app action decrypts the end user's credential here, inside the step, and keeps it in
local variables only: it is never a step input or output, nor in a message or log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from install_service.catalog.app_actions import call_action
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.app_triggers import (
    CallbackRejected,
    HookCall,
    call_hook_operation,
    trigger_app,
)
from install_service.db.models import Credential
from install_service.grammar.expressions import (
    ExpressionError,
    evaluate_condition,
    evaluate_number,
    render,
)
from install_service.metrics.series import counted_app_call
from install_service.runtime import engine, records
from install_service.runtime.sql_destination import insert_row
from install_service.runtime.stream_data import post_signed

APP_ACTION = "appAction"
APP_TRIGGER = "appTrigger"
T = TypeVar("T")


class BlockFailed(Exception):
    """A block failed in a way retrying will not fix; ``message`` says why (no secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Filtered(Exception):
    """A filter block's condition was false: the execution ends as ``filtered``."""


async def run_block(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    """Run ``block`` of the execution ``raw_job`` over ``scope`` (``{event, trigger, blocks,
    user}``); returns its output, after recording it.

    Raises:
        AppCallError, BlockFailed, Filtered: see the module docstring.
    """
    started = records.now()
    kind = block.get("type")
    try:
        output = await _BLOCKS[kind](raw_job, plan, block, scope)
    except ExpressionError as exc:
        raise BlockFailed(str(exc)) from None
    except Filtered:
        await _record(raw_job, block, started, "filtered", {"passed": False})
        raise
    await _record(raw_job, block, started, "success", output)
    return output


async def _record(
    raw_job: dict[str, Any], block: dict[str, Any], started: Any, status: str, output: Any
) -> None:
    entry = {
        "blockId": block.get("id"),
        "name": block.get("name") or block.get("id"),
        "type": block.get("type"),
        "status": status,
        "startedAt": records.iso(started),
        "stoppedAt": records.iso(records.now()),
        "output": records.stored_output(output),
        "error": None,
    }
    await records.record_block(
        raw_job["execution_id"], entry, app_action=block.get("type") == APP_ACTION
    )


async def _app_action(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    inputs = await render(block.get("mapping") or {}, scope)
    app_key = block.get("app") or plan["app"]
    app = load_apps().get(app_key)
    if app is None:
        raise BlockFailed(f"Unknown app {app_key!r}")
    ctx = engine.context()
    credential_id = plan["credentialId"]
    values = await credential_values(credential_id)
    try:
        with counted_app_call(app.key):
            return await call_action(
                app,
                str(block.get("action")),
                inputs,
                values,
                api_base_override=ctx.settings.api_base_for(app.key),
                client=ctx.client,
                timeout_s=ctx.settings.app_call_timeout_s,
            )
    finally:
        del values


async def _app_trigger(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    """Fetch what the app's callback (the run's trigger data) is about, e.g. the order."""
    app_key = block.get("app") or plan["app"]
    app, hooks = load_apps().get(app_key), trigger_app(app_key)
    if app is None or hooks is None:
        raise BlockFailed(f"App {app_key!r} has no triggers")
    try:
        callback = hooks.parse_callback(json.dumps(raw_job["trigger"]).encode())
    except CallbackRejected as exc:
        raise BlockFailed(exc.message) from None
    values = await credential_values(plan["credentialId"])
    try:
        with counted_app_call(app.key):
            return await hook_operation(
                app.key, values, lambda call: hooks.fetch_trigger_data(call, callback)
            )
    finally:
        del values


async def hook_operation(
    app_key: str,
    credential: dict[str, str],
    operation: Callable[[HookCall], Awaitable[T]],
    *,
    secrets: Iterable[str] = (),
) -> T:
    """``operation`` on the app's webhooks API with this process's HTTP client, the app's API
    base (setting or definition) and the app-call timeout; errors as
    ``catalog.app_triggers.call_hook_operation`` (AppCallError, ``secrets`` redacted)."""
    ctx = engine.context()
    return await call_hook_operation(
        load_apps()[app_key],
        credential,
        operation,
        api_base_override=ctx.settings.api_base_for(app_key),
        client=ctx.client,
        timeout_s=ctx.settings.app_call_timeout_s,
        secrets=secrets,
    )


async def credential_values(credential_id: str) -> dict[str, str]:
    """The credential's fields, secrets decrypted (for the calling step only)."""
    ctx = engine.context()
    async with ctx.session_maker() as session:
        credential = await session.get(Credential, UUID(credential_id))
    if credential is None:
        raise BlockFailed("The end user's credential for this app was deleted: reconnect it")
    secrets = ctx.cipher.open(
        credential.key_id,
        credential.ciphertext,
        isv_id=str(credential.isv_id),
        user_id=str(credential.user_id),
        credential_id=str(credential.id),
    )
    return {**credential.public_fields, **secrets}


async def _stream_data(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    url = str((block.get("config") or {}).get("url") or "")
    mapping = block.get("mapping")
    body = await render(mapping, scope) if mapping else default_stream_body(raw_job, scope)
    message_id = f"msg_{raw_job['execution_id'].replace('-', '')}_{block.get('id')}"
    status = await post_signed(url, body, raw_job["isv_id"], message_id)
    return {"status": status}


def default_stream_body(raw_job: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """What Stream Data sends without a mapping: ``{"workflowId", "executionId", "userId",
    "data"}``, ``data`` being the trigger's data (the event's, or the app's record such as
    the BigCommerce order), and ``blocks``, the outputs so far."""
    return {
        "workflowId": raw_job["workflow_id"],
        "executionId": raw_job["execution_id"],
        "userId": raw_job["user_id"],
        "data": scope["trigger"],
        "blocks": scope["blocks"],
    }


async def _data_mapping(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    return await render(block.get("mapping") or {}, scope)


async def _math(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    return {"result": await evaluate_number(str(block.get("expression") or ""), scope)}


async def _filter(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    if not await evaluate_condition(str(block.get("condition") or ""), scope):
        raise Filtered()
    return {"passed": True}


async def _sql_destination(
    raw_job: dict[str, Any], plan: dict[str, Any], block: dict[str, Any], scope: dict[str, Any]
) -> Any:
    row = await render(block.get("mapping") or {}, scope)
    return {"rowCount": await insert_row(raw_job, plan, block, row)}


_BLOCKS = {
    APP_TRIGGER: _app_trigger,
    APP_ACTION: _app_action,
    "streamData": _stream_data,
    "dataMapping": _data_mapping,
    "math": _math,
    "filter": _filter,
    "sqlDestination": _sql_destination,
}
