"""SQLite files copied with SQLite's online backup API, and what a copy can tell of itself."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from install_service.db.config import MIGRATIONS_DIR
from install_service.errors import BackupRefused

BUSY_TIMEOUT_S = 30.0


def online_copy(source: Path, target: Path) -> None:
    """Copy the database ``source`` to the new file ``target`` while other processes write it.

    ``sqlite3.Connection.backup`` with ``pages=-1`` copies every page in one step, inside one
    read transaction: the copy is the database as of one commit (sqlite.org/backup.html). In
    WAL mode writers go on meanwhile; in rollback-journal mode (DBOS's file) they wait for the
    copy, up to their busy timeout. ``source`` is opened read-write but never written (a
    read-only connection cannot open a WAL database whose ``-shm`` file is gone), and never
    created. The copy is one file in rollback-journal mode (the service puts it back in WAL
    mode when it opens it) and is checked with ``PRAGMA integrity_check``.

    Raises:
        BackupRefused: ``source`` cannot be opened or read, or the copy is not intact.
    """
    try:
        with (
            closing(
                sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
            ) as src,
            closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            [(verdict,)] = dst.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        raise BackupRefused(f"could not copy {source}: {exc}") from exc
    if verdict != "ok":
        raise BackupRefused(f"the copy of {source} fails SQLite's integrity check: {verdict}")


def alembic_revision(database: Path) -> str:
    """The Alembic revision recorded in the SQLite file ``database``.

    Raises:
        BackupRefused: the file has no ``alembic_version`` (never migrated) or is unreadable.
    """
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise BackupRefused(f"{database} has no migrated install-service schema ({exc})") from exc
    if row is None:
        raise BackupRefused(f"{database} has no migrated install-service schema")
    return str(row[0])


def known_revision(revision: str) -> bool:
    """Whether this code's migrations include ``revision`` (a newer install-service's
    revision is unknown here: its schema cannot be read, or migrated back)."""
    try:
        script = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision)
    except CommandError:
        return False
    return script is not None and script.revision == revision  # not a mere prefix of one
