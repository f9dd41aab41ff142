"""The Redis click buffer of the production shape, against a real Redis."""

import json
import os
import uuid

import pytest
from django.utils import timezone

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from referrals.attribution import visit_log
from referrals.models import Visit
from referrals.tests.visits import link_of

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def redis_buffer(settings):
    settings.REDIS_URL = os.environ["REDIS_TEST_URL"]
    client = visit_log._redis()
    keys = (visit_log.BUFFER_KEY, visit_log.PROCESSING_KEY, visit_log.FLUSH_LOCK_KEY)
    client.delete(*keys)
    yield client
    client.delete(*keys)


def click(code, visit_id=None):
    visit_log.visit_log_append(
        visit_id=str(visit_id or uuid.uuid4()), code=code, device_hash="d", landing="/", visited_at=timezone.now()
    )


def test_clicks_wait_in_redis_and_are_written_by_the_flush(redis_buffer, django_assert_num_queries):
    code = link_of(VerifiedAmbassadorFactory()).code
    with django_assert_num_queries(0):  # the hot path touches no database
        for _ in range(5):
            click(code)
    click("unknown-code")
    assert visit_log.visit_log_send() == 6
    assert visit_log.visit_log_pending() == 6
    assert not Visit.objects.exists()
    assert visit_log.visit_log_flush(batch_size=4) == 6
    assert visit_log.visit_log_pending() == 0
    outcomes = sorted(Visit.objects.values_list("outcome", flat=True))
    assert outcomes == ["landed"] * 5 + ["unknown_link"]


def test_a_flush_that_died_midway_loses_nothing_and_writes_nothing_twice(redis_buffer, monkeypatch):
    code = link_of(VerifiedAmbassadorFactory()).code
    for _ in range(5):
        click(code)
    visit_log.visit_log_send()

    def die(clicks):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(visit_log, "_write", die)
    with pytest.raises(ConnectionError):
        visit_log.visit_log_flush(batch_size=3)
    monkeypatch.undo()
    assert redis_buffer.llen(visit_log.PROCESSING_KEY) == 3  # the batch in flight waits
    assert visit_log.visit_log_flush(batch_size=3) == 5
    assert Visit.objects.count() == 5
    assert redis_buffer.llen(visit_log.PROCESSING_KEY) == 0


def test_a_batch_written_after_it_was_already_stored_is_stored_once(redis_buffer):
    code = link_of(VerifiedAmbassadorFactory()).code
    click(code)
    visit_log.visit_log_send()
    raw = redis_buffer.lrange(visit_log.BUFFER_KEY, 0, -1)
    visit_log._write([json.loads(item) for item in raw])  # stored, as by a flush that died before deleting
    redis_buffer.rpush(visit_log.PROCESSING_KEY, *raw)
    redis_buffer.delete(visit_log.BUFFER_KEY)
    assert visit_log.visit_log_flush() == 1
    assert Visit.objects.count() == 1


def test_only_one_flush_runs_at_a_time(redis_buffer):
    click("c")
    visit_log.visit_log_send()
    with redis_buffer.lock(visit_log.FLUSH_LOCK_KEY, timeout=10):
        assert visit_log.visit_log_flush() == 0
    assert visit_log.visit_log_pending() == 1
    assert visit_log.visit_log_flush() == 1


def test_a_full_batch_is_sent_at_once(redis_buffer, monkeypatch):
    monkeypatch.setattr(visit_log, "SEND_BATCH", 3)
    for _ in range(3):
        click("c")
    assert visit_log.visit_log_pending() == 3


def test_an_idle_process_sends_within_the_interval(redis_buffer, monkeypatch):
    import time

    monkeypatch.setattr(visit_log, "SEND_INTERVAL", 0.05)
    visit_log._outbox.send()
    click("c")
    deadline = time.monotonic() + 2
    while visit_log.visit_log_pending() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert visit_log.visit_log_pending() == 1


def test_clicks_wait_while_redis_is_down_and_go_when_it_is_back(redis_buffer, monkeypatch, settings):
    click("c")
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert visit_log.visit_log_send() == 0
    settings.REDIS_URL = os.environ["REDIS_TEST_URL"]
    assert visit_log.visit_log_send() == 1
