"""A small counter in the cache for actions that could be used to probe data.

Callers key it by account, not by IP: behind the proxy, an IP is only allauth's reading of
X-Forwarded-For (`get_adapter().get_client_ip`), which a per-IP key here would have to use too."""

from django.core.cache import cache


def attempts_exceeded(key, *, limit):
    """Whether `key` has already used its `limit` attempts in the current window."""
    return cache.get(key, 0) >= limit


def attempt_count(key, *, window_seconds):
    """Count one attempt; the window starts at the first."""
    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)
        return 1
