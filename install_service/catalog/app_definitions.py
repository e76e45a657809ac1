"""Reading and checking connector definition files (``catalog/apps/*.yaml``).

Everything a definition may say is checked here, when it is loaded, so that a mistake
in a file shows up at start-up as a :class:`ConnectorDefinitionError` naming the file,
not later as a failed install. What a definition means is in :mod:`.connectors`.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import NoReturn

import yaml

from install_service.catalog.connectors import (
    PLACEHOLDER,
    App,
    ConnectionTest,
    CredentialField,
    DerivedValue,
)

AUTH_TYPES = frozenset({"apiKey", "tokenBasedAuth", "connectionString"})
# "module": the app's module (catalog/apps/<key>.py) makes the test in code
# (``async test_connection(values, *, allow_private, timeout_s) -> ConnectionResult``).
TEST_AUTHS = frozenset({"header", "oauth1", "module"})
TEST_METHODS = frozenset({"GET", "HEAD"})
OAUTH1_SIGNATURE_METHODS = frozenset({"HMAC-SHA256", "HMAC-SHA512"})
OAUTH1_KEYS = frozenset(
    {
        "client_key",
        "client_secret",
        "resource_owner_key",
        "resource_owner_secret",
        "realm",
        "signature_method",
    }
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConnectorDefinitionError(ValueError):
    """An app definition file cannot be used; ``file_name`` says which one."""

    def __init__(self, file_name: str, problem: str) -> None:
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


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
    doc = read.mapping(
        raw,
        "the file",
        {
            "key",
            "name",
            "icon",
            "auth_type",
            "docs_url",
            "api_base",
            "fields",
            "derived",
            "connection_test",
        },
    )
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
    test = read.connection_test(doc.get("connection_test"), known | {"api_base"})
    if test.auth != "module" or "api_base" in doc:  # an app tested in code may have no API
        api_base = read.template(doc, "api_base", known)
    else:
        api_base = ""
    return App(
        key=key,
        name=read.text(doc, "name"),
        icon=read.text(doc, "icon"),
        auth_type=auth_type,
        fields=fields,
        connection_test=test,
        api_base=api_base,
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
            self.fail(
                f"{where}.{key} must be a non-empty string"
                if where
                else f"{key} must be a non-empty string"
            )
        return value

    def flag(self, doc: dict, key: str, where: str, default: bool | None = None) -> bool:
        value = doc.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key} must be true or false")
        return value

    def template(self, doc: dict, key: str, known: set[str], where: str = "") -> str:
        """A string whose ``{placeholders}`` are all in ``known``."""
        value = self.text(doc, key, where)
        unknown = set(PLACEHOLDER.findall(value)) - known
        if unknown:
            self.fail(
                f"{where + '.' if where else ''}{key} uses unknown placeholder(s): "
                f"{', '.join(sorted(unknown))}"
            )
        return value

    def credential_field(self, raw: object) -> CredentialField:
        spec = self.mapping(
            raw,
            "a field",
            {
                "name",
                "label",
                "secret",
                "required",
                "help",
                "placeholder",
                "pattern",
                "pattern_message",
            },
        )
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
        spec = self.mapping(
            raw, where, {"method", "url", "headers", "auth", "error_paths", "oauth1"}
        )
        if spec.get("auth") == "module":
            return self.module_test(spec)
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
                self.fail(
                    f"{where}.oauth1.signature_method must be one of "
                    f"{sorted(OAUTH1_SIGNATURE_METHODS)}"
                )
            oauth1 = MappingProxyType(dict(oauth1))
        elif "oauth1" in spec:
            self.fail(f"{where}.oauth1 is only allowed with auth: oauth1")
        return ConnectionTest(
            method=method,
            url=url,
            headers=MappingProxyType(dict(headers)),
            auth=auth,
            error_paths=tuple(paths),
            oauth1=oauth1,
        )

    def module_test(self, spec: dict) -> ConnectionTest:
        """``auth: module`` and nothing else: the app's module must exist (not imported here)."""
        if set(spec) != {"auth"}:
            self.fail("connection_test with auth: module takes no other keys")
        module = f"install_service.catalog.apps.{self.file_name.rsplit('.', 1)[0]}"
        if importlib.util.find_spec(module) is None:
            self.fail(f"connection_test auth: module needs the module {module}")
        return ConnectionTest(method="", url="", headers=MappingProxyType({}), auth="module")


@functools.cache
def load_apps() -> dict[str, App]:
    """All apps shipped in ``catalog/apps``, keyed by ``App.key`` (read once, then cached).

    Raises:
        ConnectorDefinitionError: a file is malformed.
    """
    return load_apps_from(resources.files("install_service.catalog").joinpath("apps"))
