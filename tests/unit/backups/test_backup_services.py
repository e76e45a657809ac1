"""Backup and restore on real SQLite files: a round trip, and every refusal leaving things
as they were."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from install_service.backups.services import create_backup, restore_backup
from install_service.db.config import migrate_database
from install_service.errors import BackupRefused
from install_service.security.keys import load_keys
from install_service.settings import Settings


def deployment(var_dir: Path, **overrides: object) -> Settings:
    """A deployment under ``var_dir``: its migrated database, a DBOS system database with one
    row, and generated development keys."""
    settings = replace(Settings(var_dir=var_dir), **overrides).resolved()
    migrate_database(settings.database_url)
    with closing(sqlite3.connect(var_dir / "install-service.dbos.sqlite")) as dbos:
        dbos.execute("CREATE TABLE workflow_status (workflow_uuid TEXT, status TEXT)")
        dbos.execute("INSERT INTO workflow_status VALUES ('run-1', 'PENDING')")
        dbos.commit()
    load_keys(settings)
    return settings


def empty(var_dir: Path) -> Settings:
    return Settings(var_dir=var_dir).resolved()


def query(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def source(tmp_path: Path) -> Settings:
    return deployment(tmp_path / "var")


@pytest.fixture
def backup(source: Settings, tmp_path: Path) -> Path:
    create_backup(source, tmp_path / "backup")
    return tmp_path / "backup"


def test_a_restore_gives_back_the_databases_and_the_keys(
    source: Settings, backup: Path, tmp_path: Path
) -> None:
    manifest = json.loads((backup / "manifest.json").read_text())
    assert [f["path"] for f in manifest["files"]] == [
        "dbos.sqlite",
        "database.sqlite",
        "keys/jwt-ed25519.pem",
        "keys/webhook-rsa.pem",
        "keys/credential-key.b64",
        "keys/link-key.txt",
    ]
    assert (
        manifest["alembicRevision"]
        == query(source.var_dir / "install-service.db", "SELECT version_num FROM alembic_version")[
            0
        ][0]
    )
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700

    restored = restore_backup(empty(tmp_path / "new-var"), backup)

    new = tmp_path / "new-var"
    assert restored.written["database.sqlite"] == new / "install-service.db"
    assert query(new / "install-service.dbos.sqlite", "SELECT * FROM workflow_status") == [
        ("run-1", "PENDING")
    ]
    assert query(new / "install-service.db", "PRAGMA integrity_check") == [("ok",)]
    for name in ("jwt-ed25519.pem", "webhook-rsa.pem", "credential-key.b64", "link-key.txt"):
        key = new / "keys" / name
        assert key.read_bytes() == (source.var_dir / "keys" / name).read_bytes()
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert restored.keys_missing == ()


def test_a_non_empty_data_directory_is_refused(backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "used-var"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    with pytest.raises(BackupRefused, match="is not empty"):
        restore_backup(empty(target), backup)
    assert tree(target) == {"notes.txt": b"mine"}


def test_an_existing_database_outside_the_data_directory_is_refused(
    backup: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "db" / "live.db"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"someone's database")
    settings = replace(
        Settings(var_dir=tmp_path / "new-var"), database_url=f"sqlite+aiosqlite:///{elsewhere}"
    ).resolved()

    with pytest.raises(BackupRefused, match="already exists"):
        restore_backup(settings, backup)
    assert elsewhere.read_bytes() == b"someone's database"
    assert not (tmp_path / "new-var").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("flip a byte of the database", "database.sqlite: checksum mismatch"),
        ("truncate a key", "keys/credential-key.b64: 0 bytes"),
        ("delete the system database", "dbos.sqlite: missing"),
        ("delete the manifest", "no manifest.json"),
        ("list a file outside the backup", "lists files a backup does not have"),
        ("garble the manifest", "not a readable manifest"),
    ],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(
    backup: Path, tmp_path: Path, damage: str, message: str
) -> None:
    manifest = backup / "manifest.json"
    if damage == "flip a byte of the database":
        with (backup / "database.sqlite").open("r+b") as db:
            db.seek(5000)
            byte = db.read(1)
            db.seek(5000)
            db.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "truncate a key":
        (backup / "keys" / "credential-key.b64").write_bytes(b"")
    elif damage == "delete the system database":
        (backup / "dbos.sqlite").unlink()
    elif damage == "delete the manifest":
        manifest.unlink()
    elif damage == "list a file outside the backup":
        raw = json.loads(manifest.read_text())
        raw["files"][0]["path"] = "../../etc/passwd"
        manifest.write_text(json.dumps(raw))
    else:
        manifest.write_text('{"format": "install-service-backup", "formatVersion": 1, "fi')

    with pytest.raises(BackupRefused, match=message):
        restore_backup(empty(tmp_path / "new-var"), backup)
    assert not (tmp_path / "new-var").exists()


def test_a_backup_of_a_newer_schema_is_refused(source: Settings, tmp_path: Path) -> None:
    with closing(sqlite3.connect(source.var_dir / "install-service.db")) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        db.commit()
    create_backup(source, tmp_path / "backup")

    with pytest.raises(BackupRefused, match="ffffffffffff, unknown to this install-service"):
        restore_backup(empty(tmp_path / "new-var"), tmp_path / "backup")
    assert not (tmp_path / "new-var").exists()


def test_a_backup_into_a_non_empty_folder_is_refused(source: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "old-backup"
    folder.mkdir()
    (folder / "manifest.json").write_text("an older backup")

    with pytest.raises(BackupRefused, match="is not empty"):
        create_backup(source, folder)
    assert tree(folder) == {"manifest.json": b"an older backup"}


def test_a_backup_without_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupRefused, match="no database"):
        create_backup(empty(tmp_path / "var"), tmp_path / "backup")
    assert not (tmp_path / "backup").exists()


@pytest.mark.parametrize("use", [create_backup, restore_backup])
def test_postgresql_is_refused_with_the_way_to_back_it_up(use, tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    settings = replace(
        Settings(var_dir=tmp_path / "var"),
        database_url="postgresql+asyncpg://install:s3cret-password@db.internal/install",
    ).resolved()

    with pytest.raises(BackupRefused, match="pg_dump -Fc") as refused:
        use(settings, tmp_path / "backup")
    assert "s3cret-password" not in refused.value.message
    assert not (tmp_path / "var").exists()


def test_keys_from_the_environment_are_named_not_carried(tmp_path: Path) -> None:
    credential_key = base64.b64encode(os.urandom(32)).decode()
    source = deployment(tmp_path / "var", credential_keys=(credential_key,))
    manifest = create_backup(source, tmp_path / "backup")

    assert manifest.keys_from_environment == ("INSTALL_SERVICE_CREDENTIAL_KEYS",)
    assert "keys/credential-key.b64" not in {f.path for f in manifest.files}
    assert credential_key not in (tmp_path / "backup" / "manifest.json").read_text()
    restored = restore_backup(empty(tmp_path / "new-var"), tmp_path / "backup")
    assert restored.keys_missing == ("INSTALL_SERVICE_CREDENTIAL_KEYS",)
