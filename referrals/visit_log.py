"""Where a click on an exclusive link is written: the hot path's one write.

With Redis (the production shape) the click is appended to a Redis list and
written to the database in batches by `visit_log_flush`, a scheduled job:
one RPUSH per click instead of one INSERT and COMMIT. Without Redis (the
embedded shape) the click is written through at once.

What a crash can lose (docs/PERFORMANCE.md): a web process that dies after
RPUSH loses nothing; clicks still in the list are lost if Redis itself dies
without persistence before the next flush (at most one flush interval). A
flush that dies between writing and trimming writes the batch again next
time, and the visit ids chosen at the click make that harmless.
"""

import json
from datetime import datetime
from functools import cache

import redis
from django.conf import settings

from .models import ReferralLink, Visit

BUFFER_KEY = "referrals:visits"
FLUSH_LOCK_KEY = "referrals:visits:flush-lock"


@cache
def _client(url):
    return redis.Redis.from_url(url)


def _redis():
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


def visit_log_append(*, visit_id, code, device_hash, landing, visited_at):
    """Record an anonymous click."""
    click = {"id": visit_id, "code": code, "device": device_hash, "landing": landing, "at": visited_at.isoformat()}
    client = _redis()
    if client is None:
        _write([click])
    else:
        client.rpush(BUFFER_KEY, json.dumps(click))


def visit_log_flush(*, batch_size=2000, max_batches=50):
    """Write buffered clicks to the database; returns how many were read.

    At most `max_batches` per run, well inside the lock's timeout; the next
    run takes the rest."""
    client = _redis()
    if client is None:
        return 0
    lock = client.lock(FLUSH_LOCK_KEY, timeout=300)
    if not lock.acquire(blocking=False):
        return 0  # another worker is flushing
    read = 0
    try:
        for _ in range(max_batches):
            raw = client.lrange(BUFFER_KEY, 0, batch_size - 1)
            if not raw:
                break
            _write([json.loads(item) for item in raw])
            client.ltrim(BUFFER_KEY, len(raw), -1)
            read += len(raw)
    finally:
        lock.release()
    return read


def visit_log_pending():
    client = _redis()
    return client.llen(BUFFER_KEY) if client else 0


def _write(clicks):
    """Store clicks with their outcome; ids already stored are ignored."""
    links = ReferralLink.objects.select_related("ambassador").in_bulk(
        {click["code"] for click in clicks}, field_name="code"
    )
    Visit.objects.bulk_create(
        [
            Visit(
                id=click["id"],
                code=click["code"][:64],
                ambassador=links[click["code"]].ambassador if click["code"] in links else None,
                device_hash=click["device"],
                landing=click["landing"][:500],
                visited_at=datetime.fromisoformat(click["at"]),
                outcome=_outcome(links.get(click["code"])),
            )
            for click in clicks
        ],
        ignore_conflicts=True,
    )


def _outcome(link):
    if link is None:
        return Visit.Outcome.UNKNOWN_LINK
    if not link.ambassador.can_refer:
        return Visit.Outcome.INACTIVE_AMBASSADOR
    return Visit.Outcome.LANDED
