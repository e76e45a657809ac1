"""Where a SQLite deployment keeps what a backup must carry, from its settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from install_service.errors import BackupRefused
from install_service.runtime.engine import system_database_url
from install_service.security.keys import KEY_DIR
from install_service.settings import Settings

PG_DUMP_HINT = (
    "back up PostgreSQL with pg_dump -Fc (our database and DBOS's system database) and the "
    "keys from your secret store: see the README, section Backups"
)

# The environment variables whose keys, when set, are used instead of the files in var/keys.
KEY_VARIABLES = {
    "jwt_private_key_pem": "INSTALL_SERVICE_JWT_PRIVATE_KEY",
    "webhook_private_key_pem": "INSTALL_SERVICE_WEBHOOK_PRIVATE_KEY",
    "credential_keys": "INSTALL_SERVICE_CREDENTIAL_KEYS",
    "link_keys": "INSTALL_SERVICE_LINK_KEYS",
}


@dataclass(frozen=True, slots=True)
class DataLocations:
    """The data directory and the files of one deployment (absolute paths)."""

    var_dir: Path
    database: Path  # our SQLite database (INSTALL_SERVICE_DATABASE_URL)
    system_database: Path  # DBOS's (INSTALL_SERVICE_DBOS_DATABASE_URL, default beside ours)
    key_dir: Path  # var_dir/keys: the generated development keys


def data_locations(settings: Settings) -> DataLocations:
    """The files of the deployment ``settings`` (resolved) describe.

    Raises:
        BackupRefused: either database is not a SQLite file (PostgreSQL: use pg_dump).
    """
    return DataLocations(
        var_dir=settings.var_dir.resolve(),
        database=_sqlite_file(settings.database_url, "INSTALL_SERVICE_DATABASE_URL"),
        system_database=_sqlite_file(
            system_database_url(settings), "INSTALL_SERVICE_DBOS_DATABASE_URL"
        ),
        key_dir=(settings.var_dir / KEY_DIR).resolve(),
    )


def keys_from_environment(settings: Settings) -> list[str]:
    """The names (never the values) of the key variables set in ``settings``: those keys
    are not in any file, so no backup holds them."""
    return [name for attr, name in KEY_VARIABLES.items() if getattr(settings, attr)]


def _sqlite_file(url: str, variable: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupRefused(
            f"{variable} is a {parsed.get_backend_name()} database: install-service backup "
            f"and restore handle SQLite files only; {PG_DUMP_HINT}"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise BackupRefused(f"{variable} names no SQLite file")
    return Path(parsed.database).resolve()
