"""``install-service backup PATH`` and ``install-service restore PATH`` (SQLite).

Neither prints a key or a secret: only paths, sizes, the migration revision and the names
of key variables.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from install_service.settings import Settings


def _settings() -> Settings:
    return Settings.from_env().resolved()


@click.command(short_help="SQLite: copy the databases and key files, while serving.")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest.")
def backup(path: Path, as_json: bool) -> None:
    """Write a consistent copy of the SQLite databases and the key files to the new folder
    PATH, while the service runs. The copy holds the private keys: keep it secret."""
    from install_service.backups.services import create_backup
    from install_service.errors import ServiceError
    from install_service.security.keys import CREDENTIAL_KEY_FILE, KEY_DIR

    try:
        manifest = create_backup(_settings(), path)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    except OSError as exc:  # e.g. a folder not writable, a full disk
        raise click.ClickException(f"{exc.strerror}: {exc.filename}") from exc
    if as_json:
        click.echo(manifest.to_json())
        return
    click.echo(f"Backup written to {path} (migration {manifest.alembic_revision}):")
    for entry in manifest.files:
        click.echo(f"  {entry.path}  {entry.size_bytes} bytes")
    key_files = [f.path for f in manifest.files if f.role == "key"]
    if key_files:
        credential = f"{KEY_DIR}/{CREDENTIAL_KEY_FILE}" in key_files
        click.echo(
            f"SECRETS: this backup holds private keys ({', '.join(key_files)})"
            + (": whoever has it can open every stored credential" if credential else "")
            + ". Store it encrypted, readable by operators only.",
            err=True,
        )
    for name in manifest.keys_from_environment:
        click.echo(f"Not in the backup: {name} (from the environment): keep it yourself.", err=True)


@click.command(short_help="SQLite: restore a backup into an empty data directory.")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print {createdAt, alembicRevision, files: {path: to}}."
)
def restore(path: Path, as_json: bool) -> None:
    """Check the backup in PATH (manifest, sizes, SHA-256, migration), then copy it into the
    empty data directory (INSTALL_SERVICE_VAR_DIR); then start the service on it."""
    from install_service.backups.services import restore_backup
    from install_service.errors import ServiceError

    try:
        restored = restore_backup(_settings(), path)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    except OSError as exc:  # e.g. a folder not writable, a full disk
        raise click.ClickException(f"{exc.strerror}: {exc.filename}") from exc
    manifest = restored.manifest
    if as_json:
        click.echo(
            json.dumps(
                {
                    "createdAt": manifest.created_at,
                    "alembicRevision": manifest.alembic_revision,
                    "files": {path: str(to) for path, to in restored.written.items()},
                }
            )
        )
    else:
        click.echo(f"Restored the backup of {manifest.created_at} ({manifest.alembic_revision}):")
        for name, to in restored.written.items():
            click.echo(f"  {name} -> {to}")
    for name in restored.keys_missing:
        click.echo(
            f"Warning: the backup was made with {name} set, and it is not set now: set the "
            "same value before you start the service, or what it protects cannot be opened.",
            err=True,
        )
    if not as_json:
        click.echo("Start the service (install-service serve); it migrates the database if needed.")
