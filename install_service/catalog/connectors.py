"""Connector (app) definitions, read from the YAML files in ``catalog/apps``.

One file per app, named after its key (``bigcommerce.yaml`` defines ``bigcommerce``).
Adding a connector is adding a file: the credential form, the connection test and the way
an app's error answers are read all come from it. Files are read and checked by
:mod:`.app_definitions`; a malformed one raises ``ConnectorDefinitionError`` naming it.

Templates (``api_base``, the test's ``url``, ``headers`` and ``oauth1`` values) use
``{name}`` placeholders, where name is a field name, a ``derived`` value, or ``api_base``.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

APPS_PACKAGE = "install_service.catalog.apps"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One value the end user enters to connect an app."""

    name: str  # the app API's own field name, camelCase, e.g. "storeHash"
    label: str
    secret: bool  # encrypted at rest, rendered as a password input, never echoed
    required: bool = True
    help: str = ""  # where the end user finds this value
    placeholder: str = ""
    pattern: str | None = None  # regex the stripped value must fully match
    pattern_message: str = ""


@dataclass(frozen=True, slots=True)
class DerivedValue:
    """A template variable computed from a field, e.g. NetSuite's host name from its account ID.

    ``case`` ("lower" or "upper") is applied first, then each ``(old, new)`` replacement.
    """

    name: str
    source: str
    case: str | None = None
    replace: tuple[tuple[str, str], ...] = ()

    def compute(self, value: str) -> str:
        if self.case == "lower":
            value = value.lower()
        elif self.case == "upper":
            value = value.upper()
        for old, new in self.replace:
            value = value.replace(old, new)
        return value


@dataclass(frozen=True, slots=True)
class ConnectionTest:
    """A cheap read-only call that succeeds (2xx) only with working credentials.

    ``auth`` "module": the test is code, the app module's ``test_connection`` (see
    :func:`app_module`); ``method``, ``url`` and ``headers`` are then empty.

    ``error_paths`` are tried in order to find the app's own message in a JSON error body:
    dot-separated keys, a number indexes a list ("0.message", "o:errorDetails.0.detail").
    ``oauth1`` (when ``auth`` is "oauth1") holds templates for the ``oauthlib`` client:
    client_key, client_secret, resource_owner_key, resource_owner_secret, realm and
    signature_method.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    auth: str = "header"  # "header" | "oauth1" | "module"
    error_paths: tuple[str, ...] = ()
    oauth1: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class App:
    """A third-party app an end user can connect, and the credential it needs."""

    key: str
    name: str
    icon: str  # URL path, e.g. "/static/icons/bigcommerce.svg"
    auth_type: str  # "apiKey" | "tokenBasedAuth" | "connectionString"
    fields: tuple[CredentialField, ...]
    connection_test: ConnectionTest
    api_base: str  # template, e.g. "https://{shop}.myshopify.com"
    docs_url: str
    derived: tuple[DerivedValue, ...] = ()

    @property
    def api_base_setting(self) -> str:
        """Setting name overriding ``api_base`` (environment variable ``INSTALL_SERVICE_`` + it)."""
        return f"{self.key.upper()}_API_BASE"

    def field(self, name: str) -> CredentialField:
        """Raises KeyError for a name this app does not have."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def template_values(self, values: Mapping[str, str]) -> dict[str, str]:
        """Every field (stripped; "" when missing) and every derived value, by name."""
        result = {f.name: str(values.get(f.name) or "").strip() for f in self.fields}
        for derived in self.derived:
            result[derived.name] = derived.compute(result[derived.source])
        return result


def render_template(
    template: str, values: Mapping[str, str], *, escape: Callable[[str], str] | None = None
) -> str:
    """Replace each ``{name}`` with ``values[name]`` (passed through ``escape`` if given).

    Values are inserted once, never re-read as templates. Raises KeyError for a name
    missing from ``values``; definitions are checked at load so that does not happen.
    """

    def substitute(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        return escape(value) if escape else value

    return PLACEHOLDER.sub(substitute, template)


def validate_values(app: App, values: Mapping[str, str]) -> dict[str, str]:
    """Check what an end user entered for ``app``: ``{field name: readable error}``, {} if valid.

    Required fields must be non-empty after stripping; a present value must fully match the
    field's pattern and contain no control characters (they cannot go into a header or URL).
    Names ``app`` does not define are ignored.
    """
    errors: dict[str, str] = {}
    for spec in app.fields:
        value = str(values.get(spec.name) or "").strip()
        if not value:
            if spec.required:
                errors[spec.name] = f"{spec.label} is required."
        elif _CONTROL_CHARS.search(value):
            errors[spec.name] = f"{spec.label} contains characters that are not allowed."
        elif spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
            errors[spec.name] = (
                spec.pattern_message or f"{spec.label} is not in the expected format."
            )
    return errors


@functools.cache
def app_module(app_key: str) -> ModuleType | None:
    """The code beside an app's definition, ``install_service.catalog.apps.<key>``, or None.

    What it may expose: ``ACTIONS`` and ``RATE_LIMIT`` (see :mod:`.app_actions`), and, for a
    definition whose ``connection_test`` says ``auth: module``, ``async test_connection(values,
    *, allow_private: bool, timeout_s: float) -> ConnectionResult``.
    """
    name = f"{APPS_PACKAGE}.{app_key}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
