"""Credential-key rotation's use cases: data keys (``db.models.keys``) and the rows they seal.

Each function is one use case on ``session`` (it commits once, or raises and changes
nothing). Sealed columns: ``credential.ciphertext`` (an end user's secrets) and
``hook_subscription.sealed`` (the secrets an app trigger's hook was made with), each beside
the ``key_id`` that sealed it; the associated data (ISV, end user, row id) stays the same
when a row is re-sealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.db.models import Credential, DataKey, HookSubscription
from install_service.db.models.keys import ACTIVE, PREVIOUS, STAGED
from install_service.db.transactions import end_read, write_transaction
from install_service.errors import Conflict, NotFound
from install_service.security.credential_crypto import CredentialCipher
from install_service.security.keys import new_credential_key


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """A table whose rows hold a ciphertext, and the associated data of one of its rows."""

    model: Any
    column: str
    context: Callable[[Any], dict[str, str]]

    @property
    def table(self) -> str:
        return self.model.__tablename__


SEALED_COLUMNS = (
    SealedColumn(
        Credential,
        "ciphertext",
        lambda row: {
            "isv_id": str(row.isv_id),
            "user_id": str(row.user_id),
            "credential_id": str(row.id),
        },
    ),
    SealedColumn(
        HookSubscription,
        "sealed",
        lambda row: {"isv_id": str(row.isv_id), "user_id": "hook", "credential_id": str(row.id)},
    ),
)


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """One key as ``keys status`` shows it: ``kind`` ``root`` (from settings) or ``data``;
    ``state`` ``root``, ``staged``, ``active``, ``previous`` or ``missing`` (rows name a kid
    no configured or stored key has: they cannot be opened); ``rows`` {table: count}."""

    kid: str
    kind: str
    state: str
    sealing: bool
    rows: dict[str, int]
    wrapped_by: str | None = None

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def load_data_keys(session: AsyncSession, cipher: CredentialCipher) -> int:
    """Give ``cipher`` every stored data key, the active one sealing; returns how many.

    Raises:
        CredentialDecryptionError: a data key is wrapped by a root key not configured.
    """
    rows = (await session.scalars(select(DataKey))).all()
    await end_read(session)
    keys = tuple(cipher.unwrap(row.kid, row.wrapped_by, row.wrapped) for row in rows)
    cipher.install(keys, next((row.kid for row in rows if row.state == ACTIVE), None))
    return len(keys)


async def stage_data_key(session: AsyncSession, cipher: CredentialCipher) -> str:
    """Store a new data key as ``staged`` (opens, does not seal yet), wrapped by the newest
    root key; the one already staged when an earlier rotation stopped half-way. Returns its kid."""
    async with write_transaction(session):
        staged = await session.scalar(select(DataKey).where(DataKey.state == STAGED))
        if staged is not None:
            return staged.kid
        key = new_credential_key()
        wrapped_by, wrapped = cipher.wrap(key)
        session.add(DataKey(kid=key.kid, wrapped=wrapped, wrapped_by=wrapped_by, state=STAGED))
    return key.kid


async def activate_data_key(session: AsyncSession, kid: str) -> None:
    """Make the staged key ``kid`` the one that seals; the active one becomes ``previous``.

    Raises:
        NotFound: no staged or active key ``kid``.
    """
    async with write_transaction(session):
        rows = (
            await session.scalars(select(DataKey).where(DataKey.state.in_((STAGED, ACTIVE))))
        ).all()
        target = next((row for row in rows if row.kid == kid), None)
        if target is None:
            raise NotFound(f"no staged data key {kid!r}")
        for row in rows:
            if row is not target and row.state == ACTIVE:
                row.state = PREVIOUS
        if target.state != ACTIVE:
            target.state, target.activated_at = ACTIVE, datetime.now(UTC)


async def reseal_batch(
    session: AsyncSession,
    cipher: CredentialCipher,
    sealed: SealedColumn,
    *,
    after: UUID | None,
    limit: int,
) -> tuple[int, UUID | None]:
    """Re-seal with the sealing key up to ``limit`` rows of ``sealed``'s table, by id after
    ``after``, that another key sealed. A row changed meanwhile (its key or ciphertext no
    longer what was read) is left as it is: its writer sealed it anew. Returns (rows
    re-sealed, the last id looked at, ``None`` when the table has no more).

    Raises:
        CredentialDecryptionError: a row's key is not held (see ``keys status``).
    """
    model, column = sealed.model, getattr(sealed.model, sealed.column)
    query = select(model.id, model.isv_id, model.user_id, model.key_id, column).where(
        model.key_id != cipher.sealing_kid, model.key_id != ""
    )
    if after is not None:
        query = query.where(model.id > after)
    async with write_transaction(session):
        rows = (await session.execute(query.order_by(model.id).limit(limit))).all()
        changed = 0
        for row in rows:
            old_kid, old_blob = row.key_id, row[4]
            values = cipher.open(old_kid, old_blob, **sealed.context(row))
            new_kid, new_blob = cipher.seal(values, **sealed.context(row))
            result = await session.execute(
                update(model)
                .where(model.id == row.id, model.key_id == old_kid, column == old_blob)
                .values(key_id=new_kid, updated_at=model.updated_at, **{sealed.column: new_blob})
                .execution_options(synchronize_session=False)
            )
            changed += result.rowcount
    return changed, (rows[-1].id if len(rows) == limit else None)


async def key_status(session: AsyncSession, cipher: CredentialCipher) -> list[KeyStatus]:
    """Every root and data key with how many rows each seals, newest root first, then data
    keys by age; kids that rows name but no key has come last, as ``missing``."""
    counts: dict[str, dict[str, int]] = {}
    for sealed in SEALED_COLUMNS:
        model = sealed.model
        query = select(model.key_id, func.count()).where(model.key_id != "").group_by(model.key_id)
        for kid, count in (await session.execute(query)).all():
            counts.setdefault(kid, {})[sealed.table] = count
    data_keys = (await session.scalars(select(DataKey).order_by(DataKey.created_at))).all()
    await end_read(session)
    empty = {sealed.table: 0 for sealed in SEALED_COLUMNS}

    def rows(kid: str) -> dict[str, int]:
        return {**empty, **counts.pop(kid, {})}

    found = [
        KeyStatus(key.kid, "root", "root", cipher.sealing_kid == key.kid, rows(key.kid))
        for key in cipher.root_keys
    ]
    found += [
        KeyStatus(
            key.kid, "data", key.state, cipher.sealing_kid == key.kid, rows(key.kid), key.wrapped_by
        )
        for key in data_keys
    ]
    return found + [KeyStatus(kid, "unknown", "missing", False, rows(kid)) for kid in list(counts)]


async def retire_data_key(session: AsyncSession, kid: str) -> None:
    """Delete the data key ``kid``: nothing it sealed remains.

    Raises:
        NotFound: no stored data key ``kid``.
        Conflict: it is a root key, it is staged or active, or rows are still sealed with it.
    """
    async with write_transaction(session):
        key = await session.scalar(select(DataKey).where(DataKey.kid == kid))
        if key is None:
            raise NotFound(
                f"no data key {kid!r} (root keys are retired by removing them from INSTALL_SERVICE_CREDENTIAL_KEYS)"
            )
        if key.state in (STAGED, ACTIVE):
            raise Conflict(f"data key {kid!r} is {key.state}: rotate to a new key first")
        for sealed in SEALED_COLUMNS:
            model = sealed.model
            remaining = await session.scalar(
                select(func.count()).select_from(model).where(model.key_id == kid)
            )
            if remaining:
                raise Conflict(
                    f"{remaining} {sealed.table} rows are still sealed with {kid!r}: run "
                    "`install-service keys rotate-credential-key --resume` to re-seal them"
                )
        await session.delete(key)
