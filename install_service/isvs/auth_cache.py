"""The process's two authentication caches, and what drops their entries.

- ``API_KEYS``: SHA-256 digest of a live API key → ``CachedKey`` (the ISV row, environment).
- ``USERS``: end user id → ``CachedUser`` (the user row and their ISV's), for user JWTs,
  whose signature and expiry are still verified on every request.

Process-wide on purpose: the use cases that revoke (``rotate_api_key``, ``delete_user``)
drop entries themselves, without a request at hand, and a flush that changes an ISV, an
API key or an end user through the ORM (webhook settings, secret rotation, a rename) drops
theirs at commit (``_note_changes`` below). TTL and semantics: ``security.auth_cache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from install_service.db.models import ApiKey, EndUser, Isv
from install_service.security.auth_cache import TtlCache

_CHANGED = "install_service_auth_changes"  # session.info key: what the commit must drop


@dataclass(frozen=True, slots=True)
class CachedKey:
    isv: Isv  # a detached copy (security.auth_cache.detached_copy)
    environment: str


@dataclass(frozen=True, slots=True)
class CachedUser:
    user: EndUser  # detached copies
    isv: Isv


API_KEYS: TtlCache[str, CachedKey] = TtlCache()
USERS: TtlCache[UUID, CachedUser] = TtlCache()


def forget_isv(isv_id: UUID, environment: str | None = None) -> None:
    """Drop the ISV's cached API keys (of ``environment`` only, when given) and users."""
    API_KEYS.discard_where(lambda k: k.isv.id == isv_id and environment in (None, k.environment))
    if environment is None:
        USERS.discard_where(lambda u: u.isv.id == isv_id)


def forget_user(user_id: UUID) -> None:
    USERS.discard(user_id)


def _forget(kind: str, ident: object) -> None:
    if kind == "isv":
        forget_isv(ident)  # type: ignore[arg-type]
    elif kind == "user":
        forget_user(ident)  # type: ignore[arg-type]
    else:
        API_KEYS.discard(ident)  # type: ignore[arg-type]


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: object) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, Isv):
            changed.add(("isv", row.id))
        elif isinstance(row, EndUser):
            changed.add(("user", row.id))
        elif isinstance(row, ApiKey):
            changed.add(("key", row.key_hash))
    for kind, ident in changed:  # now, and again at commit (a read may race the commit)
        _forget(kind, ident)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for kind, ident in session.info.pop(_CHANGED, ()):
        _forget(kind, ident)


@event.listens_for(Session, "after_soft_rollback")
def _drop_notes(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_CHANGED, None)
