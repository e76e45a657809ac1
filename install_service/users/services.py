"""End users: created by the ISV backend, one per ISV customer.

Every function is scoped to one ISV environment (``IsvContext``); each change is one use
case owning its transaction (``db.transactions.write_transaction``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service import error_codes
from install_service.db.models import EndUser
from install_service.db.transactions import write_transaction
from install_service.errors import Conflict, NotFound
from install_service.http.pagination import decode_cursor, encode_cursor
from install_service.ids import parse_id
from install_service.isvs.auth_cache import forget_user
from install_service.isvs.services import IsvContext
from install_service.security.user_tokens import UserTokens
from install_service.triggers import subscriptions, sync


def _taken(username: str) -> Conflict:
    return Conflict(
        f"A user with username {username!r} already exists", code=error_codes.DUPLICATE_USER
    )


@dataclass(slots=True)
class Batch:
    """What ``create_users`` did: users created (in request order), and refusals as
    ``(username, message)`` pairs."""

    created: list[EndUser] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[EndUser]
    next_cursor: str | None


def _scope(ctx: IsvContext) -> tuple:
    return (EndUser.isv_id == ctx.isv.id, EndUser.environment == ctx.environment)


async def _by_username(session: AsyncSession, ctx: IsvContext, username: str) -> EndUser | None:
    return await session.scalar(select(EndUser).where(EndUser.username == username, *_scope(ctx)))


async def find_user(session: AsyncSession, ctx: IsvContext, user_ref: str) -> EndUser | None:
    """The user whose ``userId`` or ``username`` is ``user_ref``, or None."""
    user_id = parse_id(user_ref)
    if user_id is not None:
        found = await session.scalar(select(EndUser).where(EndUser.id == user_id, *_scope(ctx)))
        if found is not None:
            return found
    return await _by_username(session, ctx, user_ref)


async def get_user(session: AsyncSession, ctx: IsvContext, user_ref: str) -> EndUser:
    """The user whose ``userId`` or ``username`` is ``user_ref``.

    Raises:
        NotFound: no such user in this ISV environment (404, also for other ISVs' users).
    """
    user = await find_user(session, ctx, user_ref)
    if user is None:
        raise NotFound("User not found", code=error_codes.USER_NOT_FOUND)
    return user


async def create_user(
    session: AsyncSession, ctx: IsvContext, username: str, full_name: str | None
) -> EndUser:
    """Create an end user.

    Raises:
        Conflict: the username is taken in this ISV environment (409).
    """
    try:
        async with write_transaction(session):
            user = await add_user(session, ctx, username, full_name)
    except IntegrityError as exc:  # lost a race with an identical request
        raise _taken(username.strip()) from exc
    return user


async def add_user(
    session: AsyncSession, ctx: IsvContext, username: str, full_name: str | None
) -> EndUser:
    """Add an end user in the caller's (write) transaction; flushed, so it has its id.

    Raises:
        Conflict: the username is taken in this ISV environment (409).
        IntegrityError: at the flush, when a concurrent request took it meanwhile.
    """
    username = username.strip()
    if await _by_username(session, ctx, username) is not None:
        raise _taken(username)
    user = EndUser(
        isv_id=ctx.isv.id, environment=ctx.environment, username=username, full_name=full_name
    )
    session.add(user)
    await session.flush()
    return user


async def create_users(
    session: AsyncSession, ctx: IsvContext, entries: list[tuple[str, str | None]]
) -> Batch:
    """Create each ``(username, full_name)`` whose username is free; the first of a
    repeated username wins and the rest are refused, as is any existing username.

    Raises:
        Conflict: another request took one of these usernames meanwhile (409; nothing
            is created, so the batch can be sent again).
    """
    names = [username.strip() for username, _ in entries]
    batch, seen = Batch(), set()
    try:
        async with write_transaction(session):
            existing = set(
                await session.scalars(
                    select(EndUser.username).where(*_scope(ctx), EndUser.username.in_(set(names)))
                )
            )
            for username, (_, full_name) in zip(names, entries, strict=True):
                if username in existing:
                    batch.refused.append((username, "A user with this username already exists"))
                elif username in seen:
                    batch.refused.append(
                        (username, "This username appears more than once in the batch")
                    )
                else:
                    seen.add(username)
                    batch.created.append(
                        EndUser(
                            isv_id=ctx.isv.id,
                            environment=ctx.environment,
                            username=username,
                            full_name=full_name,
                        )
                    )
            session.add_all(batch.created)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "Some of these usernames were taken meanwhile; send the batch again",
            code=error_codes.DUPLICATE_USER,
        ) from exc
    return batch


async def search_users(
    session: AsyncSession, ctx: IsvContext, prefix: str, *, limit: int
) -> list[EndUser]:
    """Up to ``limit`` users whose username starts with ``prefix`` (case-insensitive; ""
    matches every user), in username order."""
    query = select(EndUser).where(*_scope(ctx))
    if prefix := prefix.strip():
        query = query.where(
            func.lower(EndUser.username).startswith(prefix.lower(), autoescape=True)
        )
    return list(await session.scalars(query.order_by(EndUser.username, EndUser.id).limit(limit)))


async def list_users(
    session: AsyncSession, ctx: IsvContext, *, limit: int, cursor: str | None = None
) -> UserPage:
    """Up to ``limit`` users, oldest first, after ``cursor``; ``next_cursor`` is None on
    the last page.

    Raises:
        InvalidInput: a cursor this service did not make (422).
    """
    query = select(EndUser).where(*_scope(ctx))
    after = decode_cursor(cursor)
    if after is not None:
        created_at, user_id = after
        query = query.where(
            or_(
                EndUser.created_at > created_at,
                and_(EndUser.created_at == created_at, EndUser.id > user_id),
            )
        )
    query = query.order_by(EndUser.created_at.asc(), EndUser.id.asc()).limit(limit + 1)
    users = list(await session.scalars(query))
    if len(users) <= limit:
        return UserPage(users, None)
    last = users[limit - 1]
    return UserPage(users[:limit], encode_cursor(last.created_at, last.id))


async def update_user(
    session: AsyncSession,
    ctx: IsvContext,
    user_ref: str,
    *,
    username: str | msgspec.UnsetType = msgspec.UNSET,
    full_name: str | msgspec.UnsetType | None = msgspec.UNSET,
) -> EndUser:
    """Rename the user and/or set (``None``: clear) the full name; UNSET leaves a field.

    Raises:
        NotFound: no such user in this ISV environment (404).
        Conflict: another user of this environment has the new username (409).
    """
    try:
        async with write_transaction(session):
            user = await get_user(session, ctx, user_ref)
            if username is not msgspec.UNSET:
                username = username.strip()
                other = await _by_username(session, ctx, username)
                if other is not None and other.id != user.id:
                    raise _taken(username)
                user.username = username
            if full_name is not msgspec.UNSET:
                user.full_name = full_name
            await session.flush()
    except IntegrityError as exc:  # lost a race with a request taking that username
        raise _taken(str(username)) from exc
    return user


async def delete_user(session: AsyncSession, ctx: IsvContext, user_ref: str) -> None:
    """Delete the user with everything of theirs: credentials, installations and their
    installed workflows, install links, user-specific workflow versions (every table's
    ``end_user`` foreign key is ``ON DELETE CASCADE``; SQLite enforces it through
    ``PRAGMA foreign_keys=ON``, see ``db.config``). Their JWTs stop working: the modal
    looks the user up, the end-user API drops them from its cache.

    Raises:
        NotFound: no such user in this ISV environment (404).
    """
    async with write_transaction(session):
        user = await get_user(session, ctx, user_ref)
        hook_changes = await subscriptions.stage_user_removal(session, user.id)
        await session.execute(delete(EndUser).where(EndUser.id == user.id))
    forget_user(user.id)  # other processes: within the cache's TTL (security.auth_cache)
    await sync.request(hook_changes)  # their app-trigger hooks are deleted from the apps


async def mint_token(
    session: AsyncSession, ctx: IsvContext, user_ref: str, user_tokens: UserTokens
) -> str:
    """A user JWT (EdDSA, 3600 s; ``UserTokens.mint``) for the user named by ``user_ref``.

    Raises:
        NotFound: no such user in this ISV environment (404).
    """
    user = await get_user(session, ctx, user_ref)
    return user_tokens.mint(user_id=str(user.id), isv_id=str(ctx.isv.id))
