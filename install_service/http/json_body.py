"""Refuse a malformed JSON body with 400 ``{"message", "code": "bad_request"}`` before any
handler decodes it, so no JSON reaches a 500.

An app-level ``before_request`` hook (Litestar runs it before the handler's ``data`` is
decoded; the body it reads is cached for the handler). It checks the body of every
request sent as JSON (``Content-Type: application/json`` or ``*+json``) and of every
handler whose ``data`` is JSON, and refuses:

- nesting deeper than ``MAX_DEPTH`` arrays/objects (msgspec would otherwise recurse until
  Python's recursion limit and raise ``RecursionError``);
- a NUL character (``\\u0000``) in any string or key: PostgreSQL cannot store one in text;
- anything msgspec cannot decode: syntax errors, trailing commas, lone UTF-16 surrogates
  (``"\\ud800"``), invalid UTF-8;
- a top-level value that is not an object (every JSON body of this API is an object).

An empty body is left to the handler.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType

from install_service.error_codes import BAD_REQUEST
from install_service.errors import ServiceError

MAX_DEPTH = 64  # arrays/objects inside one another
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # \u0000 not preceded by an escaped "\"


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (0 for a scalar); brackets inside
    strings do not count. Stops counting once past ``MAX_DEPTH``."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
    return deepest


def json_body_problem(body: bytes) -> str | None:
    """Why ``body`` is not an acceptable JSON request body, or None if it is."""
    if json_depth(body) > MAX_DEPTH:
        return f"Malformed JSON: nested deeper than {MAX_DEPTH} levels"
    if _NUL_ESCAPE.search(body):
        return "Malformed JSON: strings may not contain NUL (\\u0000)"
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        return "Malformed JSON: " + str(exc).removeprefix("JSON is malformed: ")
    if not isinstance(value, dict):
        return "Malformed JSON: the body must be a JSON object"
    return None


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: raises ``ServiceError`` (400 ``bad_request``) for a JSON
    body that ``json_body_problem`` refuses; returns None (go on) otherwise."""
    if not (_sent_as_json(request) or _takes_json(request)):
        return
    body = await request.body()
    if not body.strip():
        return
    if problem := json_body_problem(body):
        raise ServiceError(problem, code=BAD_REQUEST)


def _sent_as_json(request: Request[Any, Any, Any]) -> bool:
    media_type = request.content_type[0]
    return media_type == RequestEncodingType.JSON or media_type.endswith("+json")


def _takes_json(request: Request[Any, Any, Any]) -> bool:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return False
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return media_type == RequestEncodingType.JSON
