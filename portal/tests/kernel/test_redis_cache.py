"""The Redis cache keeps one client per connection pool: no client is built per call."""

import os

import pytest
import redis

from portal.kernel.redis_cache import ReusedClientRedisCache

pytestmark = pytest.mark.redis


def test_the_cache_reuses_its_client_and_still_reads_and_writes(monkeypatch):
    cache = ReusedClientRedisCache(os.environ["REDIS_TEST_URL"], {"KEY_PREFIX": "test-redis-cache"})
    built = []
    init = redis.Redis.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)
    cache.set("session", {"user": 1}, 30)
    assert cache.get("session") == {"user": 1}
    assert cache.get_many(["session", "missing"]) == {"session": {"user": 1}}
    cache.delete("session")
    assert cache.get("session") is None
    assert len(built) == 1  # one client for every call (reads and writes share the one server)
