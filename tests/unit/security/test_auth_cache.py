"""The TTL cache under the authentication caches: expiry, size bound, no stale refill."""

from __future__ import annotations

from install_service.security.auth_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_an_entry_lives_for_the_ttl_and_no_longer() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(ttl_s=30, clock=clock)
    cache.put("key", 1)
    clock.now_s += 29.9
    assert cache.get("key") == 1
    clock.now_s += 0.1
    assert cache.get("key") is None and len(cache) == 0


def test_the_oldest_entry_goes_first_past_the_size_bound() -> None:
    cache: TtlCache[int, int] = TtlCache(max_entries=2)
    for n in range(3):
        cache.put(n, n)
    assert (cache.get(0), cache.get(1), cache.get(2)) == (None, 1, 2)


def test_a_lookup_that_raced_a_revocation_is_not_stored() -> None:
    cache: TtlCache[str, str] = TtlCache()
    before = cache.generation()  # a request starts its database lookup...
    cache.discard_where(lambda v: v == "isv-1")  # ...the key is revoked meanwhile
    cache.put("digest", "isv-1", generation=before)
    assert cache.get("digest") is None
    cache.put("digest", "isv-1", generation=cache.generation())
    assert cache.get("digest") == "isv-1"


def test_discard_where_drops_only_the_matching_entries() -> None:
    cache: TtlCache[str, str] = TtlCache()
    cache.put("a", "isv-1")
    cache.put("b", "isv-2")
    cache.discard_where(lambda v: v == "isv-1")
    assert (cache.get("a"), cache.get("b")) == (None, "isv-2")
