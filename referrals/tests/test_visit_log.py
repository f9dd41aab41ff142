"""The Redis click buffer of the production shape, against a real Redis."""

import os
import uuid

import pytest
from django.utils import timezone

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from referrals import visit_log
from referrals.models import Visit
from referrals.tests.factories import link_of

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def redis_buffer(settings):
    settings.REDIS_URL = os.environ["REDIS_TEST_URL"]
    client = visit_log._redis()
    client.delete(visit_log.BUFFER_KEY, visit_log.FLUSH_LOCK_KEY)
    yield client
    client.delete(visit_log.BUFFER_KEY, visit_log.FLUSH_LOCK_KEY)


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
    assert visit_log.visit_log_pending() == 6
    assert not Visit.objects.exists()
    assert visit_log.visit_log_flush(batch_size=4) == 6
    assert visit_log.visit_log_pending() == 0
    outcomes = sorted(Visit.objects.values_list("outcome", flat=True))
    assert outcomes == ["landed"] * 5 + ["unknown_link"]


def test_a_batch_written_twice_is_stored_once(redis_buffer):
    code = link_of(VerifiedAmbassadorFactory()).code
    visit_id = uuid.uuid4()
    click(code, visit_id)
    click(code, visit_id)  # as if a flush died after writing, before trimming
    visit_log.visit_log_flush()
    assert Visit.objects.filter(id=visit_id).count() == 1


def test_only_one_flush_runs_at_a_time(redis_buffer):
    click("c")
    with redis_buffer.lock(visit_log.FLUSH_LOCK_KEY, timeout=10):
        assert visit_log.visit_log_flush() == 0
    assert visit_log.visit_log_pending() == 1
    assert visit_log.visit_log_flush() == 1
