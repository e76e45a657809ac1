"""``manifest.json``: what a backup holds, so ``restore`` can check it before copying.

Shape (format 1)::

    {"format": "install-service-backup", "formatVersion": 1,
     "createdAt": "2026-12-04T20:30:00Z", "appVersion": "0.1.0",
     "alembicRevision": "4014126f0757", "keysFromEnvironment": ["INSTALL_SERVICE_..."],
     "files": [{"path": "database.sqlite", "role": "database", "bytes": 1234,
                "sha256": "<64 hex digits>"}, ...]}

``role`` is ``database``, ``system_database`` or ``key``; ``path`` is relative to the
backup folder and one of :data:`DATABASE`, :data:`SYSTEM_DATABASE` or ``keys/<key file>``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from install_service.errors import BackupRefused
from install_service.security.keys import KEY_DIR, KEY_FILES

FORMAT = "install-service-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
SYSTEM_DATABASE = "dbos.sqlite"
ROLES = {DATABASE: "database", SYSTEM_DATABASE: "system_database"} | {
    f"{KEY_DIR}/{name}": "key" for name in KEY_FILES
}


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: str  # relative to the backup folder, a key of ROLES
    role: str
    size_bytes: int
    sha256: str  # hex


@dataclass(frozen=True, slots=True)
class Manifest:
    created_at: str  # ISO 8601 UTC, "...Z"
    app_version: str
    alembic_revision: str
    files: tuple[BackupFile, ...]
    keys_from_environment: tuple[str, ...] = field(default=())

    def file(self, role: str) -> BackupFile | None:
        return next((f for f in self.files if f.role == role), None)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "formatVersion": FORMAT_VERSION,
                "createdAt": self.created_at,
                "appVersion": self.app_version,
                "alembicRevision": self.alembic_revision,
                "keysFromEnvironment": list(self.keys_from_environment),
                "files": [
                    {"path": f.path, "role": f.role, "bytes": f.size_bytes, "sha256": f.sha256}
                    for f in self.files
                ],
            },
            indent=2,
        )


def describe(folder: Path, relative: str) -> BackupFile:
    """The manifest entry of ``folder/relative`` as it is on disk now."""
    path = folder / relative
    return BackupFile(relative, ROLES[relative], path.stat().st_size, sha256_of(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``folder/manifest.json`` atomically (mode 0600): a folder without one is an
    unfinished backup."""
    tmp = folder / (MANIFEST + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(manifest.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / MANIFEST)


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the backup in ``folder``, its shape checked (not yet the files).

    Raises:
        BackupRefused: no manifest (not a backup, or an unfinished one), not JSON, another
            format, a newer format version, or entries that are not the files a backup has.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupRefused(
            f"{folder} is not a finished backup: it has no {MANIFEST} "
            "(install-service backup writes it last)"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise BackupRefused(f"{path} is not an install-service backup manifest")
        if raw.get("formatVersion") != FORMAT_VERSION:
            raise BackupRefused(
                f"{path} has format version {raw.get('formatVersion')!r}; this install-service "
                f"reads version {FORMAT_VERSION}: restore with the version that made it"
            )
        files = tuple(
            BackupFile(str(f["path"]), str(f["role"]), int(f["bytes"]), str(f["sha256"]))
            for f in raw["files"]
        )
        manifest = Manifest(
            created_at=str(raw["createdAt"]),
            app_version=str(raw["appVersion"]),
            alembic_revision=str(raw["alembicRevision"]),
            files=files,
            keys_from_environment=tuple(str(k) for k in raw.get("keysFromEnvironment", [])),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupRefused(f"{path} is damaged: not a readable manifest") from exc
    unexpected = [f.path for f in files if ROLES.get(f.path) != f.role]
    if unexpected or len({f.path for f in files}) != len(files):
        raise BackupRefused(f"{path} lists files a backup does not have: {unexpected}")
    if manifest.file("database") is None:
        raise BackupRefused(f"{path} lists no {DATABASE}")
    return manifest


def damaged_files(folder: Path, manifest: Manifest) -> list[str]:
    """Each file of ``manifest`` missing from ``folder`` or not what it was (size, SHA-256),
    as a readable line; empty when the backup is intact."""
    problems = []
    for entry in manifest.files:
        path = folder / entry.path
        if not path.is_file():
            problems.append(f"{entry.path}: missing")
        elif path.stat().st_size != entry.size_bytes:
            problems.append(
                f"{entry.path}: {path.stat().st_size} bytes, the manifest says {entry.size_bytes}"
            )
        elif sha256_of(path) != entry.sha256:
            problems.append(f"{entry.path}: checksum mismatch (SHA-256)")
    return problems
