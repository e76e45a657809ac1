"""Connector (app) definitions, read from the YAML files in ``catalog/apps``.

One file per app, named after its key (``bigcommerce.yaml`` defines ``bigcommerce``).
Adding a connector is adding a file: the credential form, the connection test and the way
an app's error answers are read all come from it. Definitions are checked when loaded;
a malformed file raises :class:`ConnectorDefinitionError` naming the file.

Templates (``api_base``, the test's ``url``, ``headers`` and ``oauth1`` values) use
``{name}`` placeholders, where name is a field name, a ``derived`` value, or ``api_base``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import NoReturn

import yaml

AUTH_TYPES = frozenset({"apiKey", "tokenBasedAuth"})
TEST_AUTHS = frozenset({"header", "oauth1"})
TEST_METHODS = frozenset({"GET", "HEAD"})
OAUTH1_SIGNATURE_METHODS = frozenset({"HMAC-SHA256", "HMAC-SHA512"})
OAUTH1_KEYS = frozenset(
    {"client_key", "client_secret", "resource_owner_key", "resource_owner_secret", "realm",
     "signature_method"}
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class ConnectorDefinitionError(ValueError):
    """An app definition file cannot be used; ``file_name`` says which one."""

    def __init__(self, file_name: str, problem: str) -> None:
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


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

    ``error_paths`` are tried in order to find the app's own message in a JSON error body:
    dot-separated keys, a number indexes a list ("0.message", "o:errorDetails.0.detail").
    ``oauth1`` (when ``auth`` is "oauth1") holds templates for the ``oauthlib`` client:
    client_key, client_secret, resource_owner_key, resource_owner_secret, realm and
    signature_method.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    auth: str = "header"
    error_paths: tuple[str, ...] = ()
    oauth1: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class App:
    """A third-party app an end user can connect, and the credential it needs."""

    key: str
    name: str
    icon: str  # URL path, e.g. "/static/icons/bigcommerce.svg"
    auth_type: str  # "apiKey" | "tokenBasedAuth"
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

    return _PLACEHOLDER.sub(substitute, template)


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
def load_apps() -> dict[str, App]:
    """All apps shipped in ``catalog/apps``, keyed by ``App.key`` (read once, then cached).

    Raises:
        ConnectorDefinitionError: a file is malformed.
    """
    return load_apps_from(resources.files(__package__).joinpath("apps"))


def load_apps_from(directory: Traversable) -> dict[str, App]:
    """Every ``*.yaml``/``*.yml`` file in ``directory``, sorted by file name.

    Raises:
        ConnectorDefinitionError: a file is malformed.
    """
    apps: dict[str, App] = {}
    entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_file() and entry.name.endswith((".yaml", ".yml")):
            app = parse_app(entry.name, entry.read_text(encoding="utf-8"))
            if app.key in apps:
                raise ConnectorDefinitionError(entry.name, f"app {app.key!r} is defined twice")
            apps[app.key] = app
    return apps


def parse_app(file_name: str, text: str) -> App:
    """Build an App from one definition file's text.

    Raises:
        ConnectorDefinitionError: the text is not valid YAML or not a valid definition.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConnectorDefinitionError(file_name, f"not valid YAML ({exc})") from exc
    read = _Reader(file_name)
    doc = read.mapping(raw, "the file", {
        "key", "name", "icon", "auth_type", "docs_url", "api_base", "fields", "derived",
        "connection_test",
    })
    key = read.text(doc, "key")
    if key != file_name.rsplit(".", 1)[0]:
        read.fail(f"key {key!r} must match the file name")
    auth_type = read.text(doc, "auth_type")
    if auth_type not in AUTH_TYPES:
        read.fail(f"auth_type must be one of {sorted(AUTH_TYPES)}, not {auth_type!r}")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        read.fail("fields must be a non-empty list")
    fields = tuple(read.credential_field(item) for item in raw_fields)
    names = [f.name for f in fields]
    derived = tuple(
        read.derived_value(name, spec, names)
        for name, spec in read.mapping(doc.get("derived") or {}, "derived").items()
    )
    known = {*names, *(d.name for d in derived)}
    if len(known) != len(names) + len(derived):
        read.fail("field and derived names must be unique")
    return App(
        key=key,
        name=read.text(doc, "name"),
        icon=read.text(doc, "icon"),
        auth_type=auth_type,
        fields=fields,
        connection_test=read.connection_test(doc.get("connection_test"), known | {"api_base"}),
        api_base=read.template(doc, "api_base", known),
        docs_url=read.text(doc, "docs_url"),
        derived=derived,
    )


class _Reader:
    """Typed access to one parsed definition; every failure names the file.

    ``where`` prefixes a key in messages ("field storeHash" + "label").
    """

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def fail(self, problem: str) -> NoReturn:
        raise ConnectorDefinitionError(self.file_name, problem)

    def mapping(self, raw: object, where: str, allowed: Iterable[str] | None = None) -> dict:
        if not isinstance(raw, dict):
            self.fail(f"{where} must be a mapping")
        unknown = set(map(str, raw)) - set(allowed) if allowed is not None else set()
        if unknown:
            self.fail(f"unknown key(s) in {where}: {', '.join(sorted(unknown))}")
        return raw

    def text(self, doc: dict, key: str, where: str = "", default: str | None = None) -> str:
        """A string; required and non-blank unless a default is given."""
        value = doc.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.fail(f"{where}.{key} must be a non-empty string" if where else
                      f"{key} must be a non-empty string")
        return value

    def flag(self, doc: dict, key: str, where: str, default: bool | None = None) -> bool:
        value = doc.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key} must be true or false")
        return value

    def template(self, doc: dict, key: str, known: set[str], where: str = "") -> str:
        """A string whose ``{placeholders}`` are all in ``known``."""
        value = self.text(doc, key, where)
        unknown = set(_PLACEHOLDER.findall(value)) - known
        if unknown:
            self.fail(f"{where + '.' if where else ''}{key} uses unknown placeholder(s): "
                      f"{', '.join(sorted(unknown))}")
        return value

    def credential_field(self, raw: object) -> CredentialField:
        spec = self.mapping(raw, "a field", {
            "name", "label", "secret", "required", "help", "placeholder", "pattern",
            "pattern_message",
        })
        name = self.text(spec, "name", "field")
        if not _NAME.fullmatch(name) or name == "api_base":
            self.fail(f"field name {name!r} must be an identifier other than api_base")
        where = f"field {name}"
        pattern = self.text(spec, "pattern", where) if "pattern" in spec else None
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.fail(f"{where}.pattern is not a valid regular expression ({exc})")
        return CredentialField(
            name=name,
            label=self.text(spec, "label", where),
            secret=self.flag(spec, "secret", where),
            required=self.flag(spec, "required", where, default=True),
            help=self.text(spec, "help", where, default="").strip(),
            placeholder=self.text(spec, "placeholder", where, default=""),
            pattern=pattern,
            pattern_message=self.text(spec, "pattern_message", where, default="").strip(),
        )

    def derived_value(self, name: object, raw: object, field_names: list[str]) -> DerivedValue:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            self.fail(f"derived name {name!r} must be an identifier")
        where = f"derived {name}"
        spec = self.mapping(raw, where, {"from", "case", "replace"})
        source = self.text(spec, "from", where)
        if source not in field_names:
            self.fail(f"{where}.from must name a field, not {source!r}")
        case = spec.get("case")
        if case not in (None, "lower", "upper"):
            self.fail(f"{where}.case must be lower or upper")
        replace = self.mapping(spec.get("replace") or {}, f"{where}.replace")
        if not all(isinstance(k, str) and k and isinstance(v, str) for k, v in replace.items()):
            self.fail(f"{where}.replace must map non-empty strings to strings")
        return DerivedValue(name=name, source=source, case=case, replace=tuple(replace.items()))

    def connection_test(self, raw: object, known: set[str]) -> ConnectionTest:
        where = "connection_test"
        spec = self.mapping(raw, where, {"method", "url", "headers", "auth", "error_paths",
                                         "oauth1"})
        method = self.text(spec, "method", where, default="GET").upper()
        if method not in TEST_METHODS:
            self.fail(f"{where}.method must be one of {sorted(TEST_METHODS)}")
        url = self.template(spec, "url", known, where)
        if not url.startswith("{api_base}"):
            self.fail(f"{where}.url must start with {{api_base}}")
        headers = self.mapping(spec.get("headers") or {}, f"{where}.headers")
        for name in headers:
            self.template(headers, name, known, f"{where}.headers")
        auth = self.text(spec, "auth", where, default="header")
        if auth not in TEST_AUTHS:
            self.fail(f"{where}.auth must be one of {sorted(TEST_AUTHS)}")
        paths = spec.get("error_paths") or []
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            self.fail(f"{where}.error_paths must be a list of strings")
        oauth1 = None
        if auth == "oauth1":
            oauth1 = self.mapping(spec.get("oauth1"), f"{where}.oauth1", OAUTH1_KEYS)
            for key in OAUTH1_KEYS:
                self.template(oauth1, key, known, f"{where}.oauth1")
            if oauth1["signature_method"] not in OAUTH1_SIGNATURE_METHODS:
                self.fail(f"{where}.oauth1.signature_method must be one of "
                          f"{sorted(OAUTH1_SIGNATURE_METHODS)}")
            oauth1 = MappingProxyType(dict(oauth1))
        elif "oauth1" in spec:
            self.fail(f"{where}.oauth1 is only allowed with auth: oauth1")
        return ConnectionTest(method=method, url=url, headers=MappingProxyType(dict(headers)),
                              auth=auth, error_paths=tuple(paths), oauth1=oauth1)
