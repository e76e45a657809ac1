"""The two use cases: back up a running SQLite deployment, restore one into an empty place.

Both work on files, not through a session: SQLite's online backup API copies a database
that other processes keep writing (``backups.sqlite_files``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from install_service.backups.locations import data_locations, keys_from_environment
from install_service.backups.manifest import (
    DATABASE,
    SYSTEM_DATABASE,
    Manifest,
    damaged_files,
    describe,
    read_manifest,
    write_manifest,
)
from install_service.backups.sqlite_files import alembic_revision, known_revision, online_copy
from install_service.errors import BackupRefused
from install_service.security.keys import KEY_DIR, KEY_FILES
from install_service.settings import Settings


@dataclass(frozen=True, slots=True)
class Restored:
    """What ``restore_backup`` wrote, and the key variables the restored service still lacks:
    set when the backup was made (so those keys are in no file of it), not set now."""

    manifest: Manifest
    written: dict[str, Path]  # backup file -> where it is now
    keys_missing: tuple[str, ...]  # variable names, e.g. INSTALL_SERVICE_CREDENTIAL_KEYS


def create_backup(settings: Settings, folder: Path) -> Manifest:
    """Copy the deployment ``settings`` describe into the new folder ``folder`` (mode 0700):
    DBOS's system database first, then ours (a run that finishes between the two copies is
    then, after a restore, one DBOS resumes, as after a crash: never one both forgot), then
    the development key files that exist, then ``manifest.json``.

    Raises:
        BackupRefused: not SQLite, no database yet, ``folder`` exists and is not an empty
            folder, or a copy failed (then nothing of ``folder`` is left behind).
    """
    where = data_locations(settings)
    if not where.database.is_file():
        raise BackupRefused(f"there is no database at {where.database} to back up")
    _require_empty(folder, "the backup folder")
    created = not folder.exists()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # an empty folder given keeps its mode otherwise
    try:
        names = []
        if where.system_database.is_file():
            online_copy(where.system_database, folder / SYSTEM_DATABASE)
            names.append(SYSTEM_DATABASE)
        online_copy(where.database, folder / DATABASE)
        names.append(DATABASE)
        for name in KEY_FILES:
            if (where.key_dir / name).is_file():
                (folder / KEY_DIR).mkdir(mode=0o700, exist_ok=True)
                _copy_private(where.key_dir / name, folder / KEY_DIR / name)
                names.append(f"{KEY_DIR}/{name}")
        for name in names:
            os.chmod(folder / name, 0o600)
        manifest = Manifest(
            created_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            app_version=_app_version(),
            alembic_revision=alembic_revision(folder / DATABASE),
            files=tuple(describe(folder, name) for name in names),
            keys_from_environment=tuple(keys_from_environment(settings)),
        )
        write_manifest(folder, manifest)
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for entry in folder.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        raise
    return manifest


def restore_backup(settings: Settings, folder: Path) -> Restored:
    """Check the backup in ``folder``, then copy it where ``settings`` put the data: the
    database files at their configured paths, the key files under ``var_dir/keys`` (0600;
    every file written 0600). Nothing is written unless every check passes; files are
    copied under temporary names and renamed into place last.

    Raises:
        BackupRefused: not SQLite; no finished backup in ``folder``; a file missing, resized
            or changed (SHA-256); a migration revision this code does not know (a backup of a
            newer install-service); the data directory not empty, or a database file there.
    """
    where = data_locations(settings)
    manifest = read_manifest(folder)
    if problems := damaged_files(folder, manifest):
        raise BackupRefused(
            f"the backup in {folder} is corrupt or incomplete, nothing was restored: "
            + "; ".join(problems)
        )
    if not known_revision(manifest.alembic_revision):
        raise BackupRefused(
            f"the backup's database is at migration {manifest.alembic_revision}, unknown to this "
            f"install-service ({_app_version()}): it was made by a newer version "
            f"({manifest.app_version}); restore it with that version or a later one"
        )
    _require_empty(where.var_dir, "the data directory (INSTALL_SERVICE_VAR_DIR)")
    targets = {
        DATABASE: where.database,
        SYSTEM_DATABASE: where.system_database,
    } | {f"{KEY_DIR}/{name}": where.key_dir / name for name in KEY_FILES}
    for entry in (DATABASE, SYSTEM_DATABASE):
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(f"{targets[entry]}{suffix}")
            if path.exists():
                raise BackupRefused(f"{path} already exists: restore only where no database is")
    staged = []
    try:
        for entry in manifest.files:
            target = targets[entry.path]
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".restoring")
            _copy_private(folder / entry.path, tmp)
            staged.append((entry.path, tmp, target))
        for _name, tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for _name, tmp, _target in staged:
            tmp.unlink(missing_ok=True)
        raise
    configured = set(keys_from_environment(settings))
    missing = tuple(name for name in manifest.keys_from_environment if name not in configured)
    return Restored(manifest, {name: target for name, _tmp, target in staged}, missing)


def _require_empty(folder: Path, what: str) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused(f"{what} {folder} is not empty: give a new or empty folder")


def _copy_private(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target``, readable by its owner only (0600), synced to disk."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, 0o600)  # an existing file keeps its mode through O_CREAT


def _app_version() -> str:
    try:
        return version("install-service")
    except PackageNotFoundError:
        return "unknown"
