"""In-process caches of authentication lookups: API key → ISV, user JWT → end user.

A hit saves the request its database statements; a miss looks up as before. Entries live
``AUTH_CACHE_TTL_S`` (30 s) and are dropped at once, in this process, when the use case that
changes them commits (API key rotation, user deletion or rename, an ISV's settings): see
``isvs.services`` and ``users.services``. Another process (``serve --workers N``, a CLI
command) sees such a change within the TTL, never later. Only successful lookups are
cached: an unknown or revoked key always goes to the database.

Cached rows are detached copies (``detached_copy``), never a session's own object; each
request gets its own persistent instance with ``attach`` (``Session.merge(load=False)``,
SQLAlchemy's pattern for caching ORM objects: no SQL is emitted).

Not ``cachetools`` (not a dependency here) nor a Litestar store (bytes behind an await):
a dict with expiry times and a size bound is all this needs.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

AUTH_CACHE_TTL_S = 30.0
AUTH_CACHE_MAX_ENTRIES = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M")


class TtlCache(Generic[K, V]):
    """``key → value`` for ``ttl_s`` seconds (``clock``: monotonic seconds), at most
    ``max_entries`` (the oldest stored is evicted first).

    ``generation()`` before a lookup and ``put(..., generation=g)`` after it: a value read
    before a ``discard``/``discard_where``/``clear`` that happened meanwhile is not stored,
    so a lookup racing a revocation cannot bring the revoked entry back.
    """

    def __init__(
        self,
        ttl_s: float = AUTH_CACHE_TTL_S,
        max_entries: int = AUTH_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s, self.max_entries, self.clock = ttl_s, max_entries, clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def generation(self) -> int:
        return self._generation

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: K, value: V, *, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return
        self._entries.pop(key, None)
        self._entries[key] = (self.clock() + self.ttl_s, value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        self._generation += 1
        self._entries.pop(key, None)

    def discard_where(self, predicate: Callable[[V], bool]) -> None:
        self._generation += 1
        for key in [k for k, (_, v) in self._entries.items() if predicate(v)]:
            del self._entries[key]

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()


def detached_copy(row: M, *, collections: bool = True) -> M:
    """A detached copy of the loaded ORM object ``row``: its column values (containers
    copied) and, one level deep, its loaded collections of rows (e.g. an ISV's allowed
    origins); no other relationships, no session."""
    state = inspect(row)
    mapper = state.mapper
    clone = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(clone, attr.key, copy.deepcopy(getattr(row, attr.key)))
    if collections:
        for rel in mapper.relationships:
            if rel.uselist and rel.key not in state.unloaded:
                children = [detached_copy(c, collections=False) for c in getattr(row, rel.key)]
                set_committed_value(clone, rel.key, children)
    make_transient_to_detached(clone)
    return clone


def attach(session: AsyncSession, cached: M) -> M:
    """``session``'s own persistent instance of the cached detached copy; no SQL."""
    return session.sync_session.merge(cached, load=False)
