"""End users' credentials for apps: checked with the app, stored encrypted, listed without secrets.

A credential's non-secret fields are stored as they are (``Credential.public_fields``); its
secret fields are sealed together by ``security.credential_crypto`` with associated data
naming the ISV, the end user and the credential. Installs store theirs the same way,
through :func:`build_credential`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from install_service import error_codes
from install_service.catalog import connection_test
from install_service.catalog.app_definitions import load_apps
from install_service.catalog.connectors import App, validate_values
from install_service.db.lookups import get_or_404
from install_service.db.models import Credential, EndUser, Installation, Integration
from install_service.db.transactions import end_read, write_transaction
from install_service.errors import Conflict, InvalidInput, NotFound
from install_service.isvs.services import IsvContext
from install_service.security.credential_crypto import CredentialCipher
from install_service.settings import Settings
from install_service.users.services import get_user


@dataclass(frozen=True, slots=True)
class AppRequirement:
    """An app the ISV's integrations use, and whether the user has a credential for it."""

    app: App
    connected: bool


def build_credential(
    isv_id: uuid.UUID, user: EndUser, app: App, values: Mapping[str, str], cipher: CredentialCipher
) -> Credential:
    """A new credential row (not yet added to a session) holding ``values`` for ``app``.

    ``values`` are {field name: checked value}; empty ones are left out, secret ones sealed
    into ``ciphertext``, the rest kept in ``public_fields``. Named "<app name> (<username>)".
    """
    credential_id = uuid7()
    present = {f.name: (f.secret, values[f.name]) for f in app.fields if values.get(f.name)}
    secrets = {name: value for name, (secret, value) in present.items() if secret}
    public = {name: value for name, (secret, value) in present.items() if not secret}
    kid, blob = cipher.seal(
        secrets, isv_id=str(isv_id), user_id=str(user.id), credential_id=str(credential_id)
    )
    return Credential(
        id=credential_id,
        isv_id=isv_id,
        user_id=user.id,
        app=app.key,
        name=f"{app.name} ({user.username})",
        public_fields=public,
        key_id=kid,
        ciphertext=blob,
    )


def checked_values(app_key: str, data: Mapping[str, str]) -> tuple[App, dict[str, str]]:
    """The app named ``app_key`` and ``data`` stripped, checked as the install form checks it.

    Raises:
        InvalidInput: unknown app (``unknown_app``), a name the app does not define
            (``unknown_field``), or a missing or malformed value (``invalid_credential``);
            the message names the app or the fields (422).
    """
    app = load_apps().get(app_key)
    if app is None:
        known = ", ".join(sorted(load_apps()))
        raise InvalidInput(
            f"Unknown app {app_key!r}; the apps are: {known}", code=error_codes.UNKNOWN_APP
        )
    unknown = sorted(set(data) - {f.name for f in app.fields})
    if unknown:
        raise InvalidInput(
            f"{app.name} has no field(s) {', '.join(unknown)}; its fields are: "
            f"{', '.join(f.name for f in app.fields)}",
            code=error_codes.UNKNOWN_FIELD,
        )
    values = {f.name: (data.get(f.name) or "").strip() for f in app.fields}
    problems = validate_values(app, values)
    if problems:
        raise InvalidInput(
            "; ".join(f"{name}: {message}" for name, message in problems.items()),
            code=error_codes.INVALID_CREDENTIAL,
        )
    return app, values


async def list_credentials(
    session: AsyncSession, ctx: IsvContext, user_ref: str
) -> list[Credential]:
    """The user's credentials, oldest first.

    Raises:
        NotFound: no such user in this ISV environment (404).
    """
    user = await get_user(session, ctx, user_ref)
    query = select(Credential).where(Credential.user_id == user.id).order_by(Credential.created_at)
    return list(await session.scalars(query))


async def credential_requirements(
    session: AsyncSession, ctx: IsvContext, user_ref: str | None
) -> list[AppRequirement]:
    """Each app the ISV's integrations use (once, by app key), with ``connected`` true when
    the user ``user_ref`` (id or username) has a stored credential for it. An integration
    whose app no connector defines is left out.

    Raises:
        InvalidInput: no ``user_ref`` (``user_id_required``, 422).
        NotFound: no such user in this ISV environment (404).
    """
    if not user_ref:
        raise InvalidInput("userId is required", code=error_codes.USER_ID_REQUIRED)
    user = await get_user(session, ctx, user_ref)
    used = set(
        await session.scalars(
            select(Integration.app).where(Integration.isv_id == ctx.isv.id).distinct()
        )
    )
    connected = set(
        await session.scalars(
            select(Credential.app).where(Credential.user_id == user.id).distinct()
        )
    )
    await end_read(session)
    apps = load_apps()
    return [AppRequirement(apps[key], key in connected) for key in sorted(used) if key in apps]


async def add_credential(
    session: AsyncSession,
    ctx: IsvContext,
    user_ref: str,
    app_key: str,
    data: Mapping[str, str],
    *,
    cipher: CredentialCipher,
    client: httpx.AsyncClient,
    settings: Settings,
) -> Credential:
    """Check ``data`` (see :func:`checked_values`), make the app's connection test, then
    store the credential in one transaction. No transaction is open while the app is
    called, so no database lock is held while waiting for it.

    Raises:
        NotFound: no such user in this ISV environment (404).
        InvalidInput: see :func:`checked_values`; or the app refused the values or could
            not be reached (``connection_failed``, with the app's own reason) (422).
    """
    user = await get_user(session, ctx, user_ref)
    app, values = checked_values(app_key, data)
    await end_read(session)  # hold nothing while the app answers
    result = await connection_test.test_connection(
        app,
        values,
        api_base=settings.api_base_for(app.key),
        client=client,
        allow_private=settings.webhook_allow_private,
    )
    if not result.ok:
        raise InvalidInput(
            result.reason or f"{app.name} refused these credentials.",
            code=error_codes.CONNECTION_FAILED,
        )
    async with write_transaction(session):
        user = await get_user(session, ctx, str(user.id))  # still there?
        credential = build_credential(ctx.isv.id, user, app, values, cipher)
        session.add(credential)
    return credential


async def delete_credential(
    session: AsyncSession, ctx: IsvContext, user_ref: str, credential_id: str
) -> None:
    """Delete one of the user's credentials.

    Raises:
        NotFound: no such user, or the credential is not this user's (404).
        Conflict: an installation still uses it (``credential_in_use``, 409); uninstall
            it first. Deactivated installations count too: they keep their credential
            so that they can be reactivated.
    """
    async with write_transaction(session):
        user = await get_user(session, ctx, user_ref)
        credential = await get_or_404(
            session,
            credential_id,
            lambda cid: select(Credential).where(
                Credential.id == cid, Credential.user_id == user.id, Credential.isv_id == ctx.isv.id
            ),
            NotFound("Credential not found", code=error_codes.CREDENTIAL_NOT_FOUND),
        )
        installation = await session.scalar(
            select(Installation).where(Installation.credential_id == credential.id).limit(1)
        )
        if installation is not None:
            state = "active" if any(w.active for w in installation.workflows) else "deactivated"
            raise Conflict(
                f"The {state} installation of {installation.integration.name} uses this "
                "credential; uninstall it first",
                code=error_codes.CREDENTIAL_IN_USE,
            )
        await session.execute(delete(Credential).where(Credential.id == credential.id))
