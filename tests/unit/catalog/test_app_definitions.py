"""Reading definition files: a new connector is a file, a malformed one is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from install_service.catalog.app_definitions import ConnectorDefinitionError, load_apps_from

MINIMAL_APP = """\
key: {key}
name: Example
icon: /static/icons/example.svg
auth_type: apiKey
docs_url: https://example.com/docs
api_base: https://api.example.com
fields:
  - name: apiKey
    label: API key
    secret: true
connection_test:
  url: "{{api_base}}/me"
  headers:
    Authorization: "Bearer {{apiKey}}"
"""


def test_a_new_connector_is_just_a_file(tmp_path: Path) -> None:
    (tmp_path / "example.yaml").write_text(MINIMAL_APP.format(key="example"))
    (tmp_path / "notes.txt").write_text("ignored")

    apps = load_apps_from(tmp_path)

    assert list(apps) == ["example"]
    test = apps["example"].connection_test
    assert (test.method, test.auth, dict(test.headers)) == (
        "GET",
        "header",
        {"Authorization": "Bearer {apiKey}"},
    )


MODULE_TESTED = """\
key: {key}
name: Example database
icon: /static/icons/example.svg
auth_type: connectionString
docs_url: https://example.com/docs
fields:
  - name: url
    label: Database URL
    secret: true
connection_test:
  auth: module
"""


def test_an_app_tested_in_code_needs_its_module_and_no_api_base(tmp_path: Path) -> None:
    (tmp_path / "sql.yaml").write_text(MODULE_TESTED.format(key="sql"))  # sql.py exists
    (tmp_path / "nomodule.yaml").write_text(MODULE_TESTED.format(key="nomodule"))

    with pytest.raises(ConnectorDefinitionError) as caught:
        load_apps_from(tmp_path)
    (tmp_path / "nomodule.yaml").unlink()
    apps = load_apps_from(tmp_path)

    assert caught.value.file_name == "nomodule.yaml" and "needs the module" in str(caught.value)
    assert (apps["sql"].connection_test.auth, apps["sql"].api_base) == ("module", "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("key: [unclosed", "not valid YAML"),
        ("- a list", "must be a mapping"),
        (MINIMAL_APP.format(key="other"), "must match the file name"),
        (MINIMAL_APP.format(key="broken").replace("{apiKey}", "{apiSecret}"), "apiSecret"),
        (
            MINIMAL_APP.format(key="broken").replace("auth_type: apiKey", "auth_type: magic"),
            "auth_type",
        ),
        (MINIMAL_APP.format(key="broken").replace("    secret: true\n", ""), "secret"),
        (MINIMAL_APP.format(key="broken") + "colour: red\n", "colour"),
        (
            MINIMAL_APP.format(key="broken").replace('"{api_base}/me"', "https://evil.example/me"),
            "must start with {api_base}",
        ),
        (
            MINIMAL_APP.format(key="broken").replace(
                "    secret: true\n", "    secret: true\n    pattern: '['\n"
            ),
            "regular expression",
        ),
        (
            MODULE_TESTED.format(key="broken").replace(
                "  auth: module", "  auth: module\n  url: x"
            ),
            "takes no other keys",
        ),
        (
            MINIMAL_APP.format(key="broken").replace("api_base: https://api.example.com\n", ""),
            "api_base",
        ),
    ],
)
def test_a_malformed_file_is_named_in_the_error(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "broken.yaml").write_text(text)

    with pytest.raises(ConnectorDefinitionError) as caught:
        load_apps_from(tmp_path)

    assert isinstance(caught.value, ValueError)
    assert caught.value.file_name == "broken.yaml"
    assert str(caught.value).startswith("broken.yaml: ")
    assert problem in str(caught.value)
