"""Where a click on an exclusive link is written: the hot path's one write.

The production shape (Redis) writes in two hops, each batched:
1. the web process collects its clicks and sends them to a Redis list in one
   RPUSH every SEND_INTERVAL seconds or SEND_BATCH clicks, whichever comes
   first (a daemon thread sends for an idle process; exit sends the rest);
2. `visit_log_flush`, a scheduled job, moves the list into the database with
   one INSERT per batch.
A round trip to Redis per click cost a third of the endpoint's throughput
(docs/PERFORMANCE.md); a round trip per batch costs almost nothing.
The embedded shape (no Redis) writes each click through at once.

What a crash can lose (docs/PERFORMANCE.md): a web process killed with
SIGKILL loses the clicks it had not sent yet, at most SEND_INTERVAL seconds
of its own traffic (a graceful stop sends them); Redis without persistence
that dies loses the list written since the last flush. A flush that dies
loses nothing: its batch waits in a processing list until the next flush
writes it, and the visit ids chosen at the click make writing twice harmless. A click lost loses a
visit record, never an association: the association rides in the visitor's
cookie.
"""

import atexit
import json
import logging
import threading
import time
from datetime import datetime
from functools import cache

import redis
from django.conf import settings

from referrals.models import ReferralLink, Visit

BUFFER_KEY = "referrals:visits"
PROCESSING_KEY = "referrals:visits:processing"
FLUSH_LOCK_KEY = "referrals:visits:flush-lock"
SEND_INTERVAL = 0.5  # seconds a click may wait in its web process
SEND_BATCH = 200
KEEP_AT_MOST = 50_000  # while Redis is unreachable; older clicks are dropped beyond

logger = logging.getLogger(__name__)


@cache
def _client(url):
    return redis.Redis.from_url(url)


def _redis():
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


class _Outbox:
    """This process's clicks on their way to Redis."""

    def __init__(self):
        self._clicks = []
        self._lock = threading.Lock()
        self._sender = None

    def add(self, click):
        with self._lock:
            self._clicks.append(json.dumps(click))
            full = len(self._clicks) >= SEND_BATCH
            if self._sender is None or not self._sender.is_alive():
                # Started lazily, so it runs in each forked worker, not the master.
                self._sender = threading.Thread(target=self._send_forever, name="visit-log-sender", daemon=True)
                self._sender.start()
        if full:
            self.send()

    def send(self):
        with self._lock:
            clicks, self._clicks = self._clicks, []
        if not clicks:
            return 0
        try:
            _redis().rpush(BUFFER_KEY, *clicks)
        except redis.RedisError:
            logger.exception("could not send %d clicks to Redis; keeping them for the next try", len(clicks))
            with self._lock:
                self._clicks[:0] = clicks
                dropped = len(self._clicks) - KEEP_AT_MOST
                if dropped > 0:
                    logger.error("dropping the %d oldest unsent clicks", dropped)
                    del self._clicks[:dropped]
            return 0
        return len(clicks)

    def _send_forever(self):
        while True:
            time.sleep(SEND_INTERVAL)
            self.send()


_outbox = _Outbox()
atexit.register(_outbox.send)


def visit_log_append(*, visit_id, code, device_hash, landing, visited_at):
    """Record an anonymous click."""
    click = {"id": visit_id, "code": code, "device": device_hash, "landing": landing, "at": visited_at.isoformat()}
    if _redis() is None:
        _write([click])
    else:
        _outbox.add(click)


def visit_log_send():
    """Send this process's waiting clicks to Redis now; returns how many."""
    return _outbox.send() if _redis() is not None else 0


# Moves up to ARGV[1] clicks from the list to the processing list in one step,
# so a click is always in one of the two lists until it is in the database.
_TAKE = """
local clicks = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #clicks > 0 then
    redis.call('LTRIM', KEYS[1], #clicks, -1)
    redis.call('RPUSH', KEYS[2], unpack(clicks))
end
return clicks
"""


def visit_log_flush(*, batch_size=2000, budget_seconds=45):
    """Move buffered clicks into the database; returns how many were written.

    Runs for at most `budget_seconds` (the schedule runs every minute and
    django-q2 stops a task after Q_CLUSTER["timeout"]); the next run takes
    the rest. A batch is deleted from Redis only after its INSERT committed;
    a run that died in between leaves it in the processing list, which the
    next run writes first (the visit ids make writing twice harmless).
    """
    client = _redis()
    if client is None:
        return 0
    lock = client.lock(FLUSH_LOCK_KEY, timeout=budget_seconds + 60)
    if not lock.acquire(blocking=False):
        return 0  # another worker is flushing
    written = 0
    deadline = time.monotonic() + budget_seconds
    try:
        leftover = client.lrange(PROCESSING_KEY, 0, -1)
        if leftover:
            written += _write_and_forget(client, leftover)
        take = client.register_script(_TAKE)
        while time.monotonic() < deadline:
            clicks = take(keys=[BUFFER_KEY, PROCESSING_KEY], args=[batch_size])
            if not clicks:
                break
            written += _write_and_forget(client, clicks)
    finally:
        lock.release()
    return written


def _write_and_forget(client, raw_clicks):
    _write([json.loads(raw) for raw in raw_clicks])
    client.delete(PROCESSING_KEY)
    return len(raw_clicks)


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
