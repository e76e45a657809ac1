"""The OpenAPI document at ``/schema``: Litestar builds it from the routes; this adds the
error answers every API route can give, in the spec's JSON error shape.

Litestar documents what a handler returns; the errors come from dependencies (API key,
user token, rate limit) and services, which it cannot see. Source of the shapes and codes:
the spec's "Conventions" (``{"message", "code"}``; 400, 401, 404, 409, 422, 429).
"""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

ERROR_SCHEMA = "Error"
COMMON_ERRORS = {
    "400": "Malformed request (e.g. a body that is not JSON)",
    "401": "Missing or invalid API key or user token",
    "404": "Unknown id, or another ISV's (or environment's) object",
    "422": "Valid JSON with invalid values; `message` names the field",
    "429": "Rate limited; wait for `Retry-After` seconds",
}
WRITE_ERRORS = {
    "409": "Conflicts with the current state (e.g. a duplicate username, a credential in use)"
}
WRITE_METHODS = ("post", "put", "patch", "delete")


def openapi_config(version: str) -> OpenAPIConfig:
    """``/schema``: the document, with the two ways to authenticate (spec, "Conventions"):
    the ISV's API key as a bearer token, or an end user's JWT in ``x-alloy-user-token``
    (the end-user routes)."""
    return OpenAPIConfig(
        title="install-service",
        version=version,
        path="/schema",
        description='The Alloy Embedded API, self-hosted. Errors are {"message", "code"}.',
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(
                    type="http", scheme="bearer", description="The ISV's API key"
                ),
                "userToken": SecurityScheme(
                    type="apiKey",
                    name="x-alloy-user-token",
                    security_scheme_in="header",
                    description="An end user's JWT from GET /users/{userId}/token (end-user routes only)",
                ),
            }
        ),
        security=[{"apiKey": []}, {"userToken": []}],
    )


def document_errors(app: Litestar, prefixes: tuple[str, ...]) -> None:
    """Add the error answers to every operation whose path starts with one of ``prefixes``
    (``/2023-12/`` ...). Call once at startup, before the schema is first served."""
    openapi = app.openapi_schema
    openapi.components = openapi.components or Components()
    openapi.components.schemas = dict(openapi.components.schemas or {})
    openapi.components.schemas[ERROR_SCHEMA] = Schema(
        type=OpenAPIType.OBJECT,
        required=["message", "code"],
        properties={
            "message": Schema(type=OpenAPIType.STRING, description="For people"),
            "code": Schema(type=OpenAPIType.STRING, description="For programs: snake_case"),
        },
    )
    body = {
        "application/json": OpenAPIMediaType(
            schema=Reference(ref=f"#/components/schemas/{ERROR_SCHEMA}")
        )
    }
    for path, item in (openapi.paths or {}).items():
        if not path.startswith(prefixes):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            errors = COMMON_ERRORS | (WRITE_ERRORS if method in WRITE_METHODS else {})
            operation.responses = dict(operation.responses or {})
            for status, description in errors.items():
                operation.responses.setdefault(
                    status, OpenAPIResponse(description=description, content=body)
                )
