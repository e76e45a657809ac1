"""``install-service admin``, run as an operator would: the password comes from stdin or a
prompt and never from an argument; short passwords are refused; list, reset, delete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from install_service.settings import PROJECT_ROOT
from tests.support.db_rows import rows

pytestmark = pytest.mark.usefixtures("backend")

COMMAND = Path(sys.executable).parent / "install-service"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def run(tmp_path: Path, database_url: str):
    """``run("admin", "list", input="...")``: the command with a clean INSTALL_SERVICE_
    environment, stdin a pipe (so not a terminal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTALL_SERVICE_")}
    env |= {
        "INSTALL_SERVICE_VAR_DIR": str(tmp_path / "cli-var"),
        "INSTALL_SERVICE_DATABASE_URL": database_url,
    }

    def run(*args: str, input: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(COMMAND), *args],
            env=env,
            cwd=PROJECT_ROOT,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def isv_id(run) -> str:
    done = run("isv", "create", "--name", "AcmeCo", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["isvId"]


def refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert message in done.stderr, done.stderr


async def test_create_reads_the_password_from_stdin_and_stores_only_an_argon2id_hash(
    run, isv_id: str, database_url: str
) -> None:
    done = run(
        "admin", "create", "--isv", isv_id, "--email", "Ann@Acme.test", input=PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Created ann@acme.test" in done.stdout
    stored = await rows(database_url, "SELECT email, password_hash FROM staff_account")
    assert stored[0]["email"] == "ann@acme.test"
    assert stored[0]["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in done.stdout + done.stderr + stored[0]["password_hash"]

    again = run("admin", "create", "--isv", isv_id, "--email", "ann@acme.test", input=PASSWORD)
    refused(again, "exists already")


async def test_a_password_is_never_taken_as_an_argument(
    run, isv_id: str, database_url: str
) -> None:
    done = run("admin", "create", "--isv", isv_id, "--email", "a@acme.test", "--password", PASSWORD)
    refused(done, "Passwords are never taken as arguments")
    assert PASSWORD not in done.stderr
    assert await rows(database_url, "SELECT id FROM staff_account") == []


async def test_a_short_password_or_an_unknown_isv_is_refused(
    run, isv_id: str, database_url: str
) -> None:
    short = run("admin", "create", "--isv", isv_id, "--email", "a@acme.test", input="elevenchars\n")
    refused(short, "Password must be at least 12 characters long (it has 11)")
    unknown = run(
        "admin",
        "create",
        "--isv",
        "01a2aaaa-0000-7000-8000-000000000000",
        "--email",
        "a@acme.test",
        input=PASSWORD,
    )
    refused(unknown, "No ISV with id")
    bad_email = run("admin", "create", "--isv", isv_id, "--email", "not-an-email", input=PASSWORD)
    refused(bad_email, "is not an email address")
    assert await rows(database_url, "SELECT id FROM staff_account") == []


async def test_list_reset_password_and_delete(run, isv_id: str, database_url: str) -> None:
    other = json.loads(run("isv", "create", "--name", "OtherCo", "--json").stdout)["isvId"]
    for isv, email in (
        (isv_id, "ann@acme.test"),
        (isv_id, "bob@acme.test"),
        (other, "olga@other.test"),
    ):
        assert (
            run("admin", "create", "--isv", isv, "--email", email, input=PASSWORD).returncode == 0
        )

    listed = json.loads(run("admin", "list", "--isv", isv_id, "--json").stdout)
    assert [a["email"] for a in listed] == ["ann@acme.test", "bob@acme.test"]
    assert all(a["lastSignInAt"] is None and a["createdAt"].endswith("Z") for a in listed)
    assert "3 account(s)" in run("admin", "list").stdout

    before = await rows(
        database_url, "SELECT password_hash FROM staff_account WHERE email = 'ann@acme.test'"
    )
    reset = run(
        "admin", "reset-password", "--email", "ann@acme.test", input="an entirely new password\n"
    )
    assert reset.returncode == 0, reset.stderr
    after = await rows(
        database_url, "SELECT password_hash FROM staff_account WHERE email = 'ann@acme.test'"
    )
    assert after[0]["password_hash"] != before[0]["password_hash"]
    refused(
        run("admin", "reset-password", "--email", "ann@acme.test", input="short\n"), "at least 12"
    )
    refused(
        run("admin", "reset-password", "--email", "zed@acme.test", input=PASSWORD),
        "No staff account",
    )

    deleted = run("admin", "delete", "--email", "bob@acme.test")
    assert deleted.returncode == 0 and "Deleted bob@acme.test" in deleted.stdout
    refused(
        run("admin", "delete", "--email", "bob@acme.test"),
        "No staff account with email bob@acme.test",
    )
    assert [a["email"] for a in json.loads(run("admin", "list", "--json").stdout)] == [
        "ann@acme.test",
        "olga@other.test",
    ]
