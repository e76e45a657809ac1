"""Staff accounts: create, reset, list, delete (the ``admin`` command) and sign in (the
dashboard). Each change is one use case that owns its transaction.

An email is unique across ISVs and compared lower-cased, so signing in needs no ISV.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from install_service.audit.services import record
from install_service.db.models import StaffAccount
from install_service.db.transactions import write_transaction
from install_service.errors import Conflict, InvalidInput, NotFound, Unauthorized
from install_service.ids import parse_id
from install_service.isvs.services import get_isv
from install_service.staff.passwords import check_password_rules, hash_password, verify_password

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRONG_CREDENTIALS = "Wrong email or password."


class InvalidCredentials(Unauthorized):
    """The email is unknown or the password wrong: one message for both (401)."""

    def __init__(self) -> None:
        super().__init__(WRONG_CREDENTIALS)


def normalise_email(raw: str) -> str:
    """``raw`` stripped and lower-cased.

    Raises:
        InvalidInput: not shaped like ``name@domain.tld`` (422).
    """
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{raw.strip()!r} is not an email address like name@example.com")
    return email


async def create_account(
    session: AsyncSession, isv_ref: str, email: str, password: str
) -> StaffAccount:
    """A new staff account of the ISV ``isv_ref`` with an argon2id hash of ``password``.

    Raises:
        NotFound: no such ISV.
        InvalidInput: a malformed email, or a password shorter than 12 characters.
        Conflict: an account with that email exists (in any ISV).
    """
    email = normalise_email(email)
    check_password_rules(password)
    password_hash = await hash_password(password)
    try:
        async with write_transaction(session):
            isv = await get_isv(session, isv_ref)
            if await _by_email(session, email) is not None:
                raise _taken(email)
            account = StaffAccount(
                isv_id=isv.id,
                email=email,
                password_hash=password_hash,
                sessions_valid_after=datetime.now(UTC),
            )
            session.add(account)
    except IntegrityError as exc:  # a concurrent create of the same email
        raise _taken(email) from exc
    return account


async def reset_password(session: AsyncSession, email: str, password: str) -> StaffAccount:
    """Give the account ``email`` a new password; its open sessions end (``sessions_valid_after``).

    Raises:
        NotFound: no account with that email.
        InvalidInput: a password shorter than 12 characters.
    """
    check_password_rules(password)
    password_hash = await hash_password(password)
    async with write_transaction(session):
        account = await _existing(session, email)
        account.password_hash = password_hash
        account.sessions_valid_after = datetime.now(UTC)
    return account


async def list_accounts(session: AsyncSession, isv_ref: str | None = None) -> list[StaffAccount]:
    """Every account (of the ISV ``isv_ref`` when given), by email.

    Raises:
        NotFound: ``isv_ref`` names no ISV.
    """
    query = select(StaffAccount).order_by(StaffAccount.email)
    if isv_ref is not None:
        query = query.where(StaffAccount.isv_id == (await get_isv(session, isv_ref)).id)
    return list(await session.scalars(query))


async def delete_account(session: AsyncSession, email: str) -> StaffAccount:
    """Delete the account ``email``: its sessions stop working at their next request; its
    audit entries stay, with its email.

    Raises:
        NotFound: no account with that email.
    """
    async with write_transaction(session):
        account = await _existing(session, email)
        await session.delete(account)
    return account


async def sign_in(session: AsyncSession, email: str, password: str) -> StaffAccount:
    """The account whose email and password these are; records ``staff.sign_in`` and the
    time. An unknown email costs the same argon2 check as a wrong password.

    Raises:
        InvalidCredentials: unknown email or wrong password (the same message).
    """
    try:
        account = await _by_email(session, normalise_email(email))
    except InvalidInput:
        account = None
    ok, new_hash = await verify_password(password, account.password_hash if account else None)
    if account is None or not ok:
        raise InvalidCredentials
    async with write_transaction(session):
        account.last_sign_in_at = datetime.now(UTC)
        if new_hash:
            account.password_hash = new_hash
        record(session, account, "staff.sign_in", target_type="staff", target_id=str(account.id))
    return account


async def signed_in_account(
    session: AsyncSession, staff_id: str | None, isv_id: str | None, signed_in_at: datetime | None
) -> StaffAccount | None:
    """The account a dashboard session belongs to, with its ISV; None when it was deleted,
    moved to another ISV, or had its password reset after ``signed_in_at``."""
    account_id, isv_uuid = parse_id(staff_id), parse_id(isv_id)
    if account_id is None or isv_uuid is None or signed_in_at is None:
        return None
    account = await session.get(StaffAccount, account_id)
    if account is None or account.isv_id != isv_uuid:
        return None
    return account if signed_in_at >= account.sessions_valid_after else None


async def sign_out(session: AsyncSession, account: StaffAccount, environment: str) -> None:
    """Record ``staff.sign_out`` (the session itself is cleared by the session store)."""
    async with write_transaction(session):
        record(
            session,
            account,
            "staff.sign_out",
            environment=environment,
            target_type="staff",
            target_id=str(account.id),
        )


async def _by_email(session: AsyncSession, email: str) -> StaffAccount | None:
    return await session.scalar(select(StaffAccount).where(StaffAccount.email == email))


async def _existing(session: AsyncSession, email: str) -> StaffAccount:
    account = await _by_email(session, email.strip().lower())
    if account is None:
        raise NotFound(f"No staff account with email {email.strip()}")
    return account


def _taken(email: str) -> Conflict:
    return Conflict(f"A staff account with email {email} exists already")
