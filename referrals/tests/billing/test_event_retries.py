"""A failing event backs off (doubling, capped) before it is marked failed, so an
outage of seconds marks nothing failed; staff retry failed events from the admin."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import OperationalError
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.kernel.models import AuditEntry
from portal.kernel.staff import OPERATIONS, RISK
from referrals.billing import services as events
from referrals.models import Event, Order
from referrals.tests.billing.events_helpers import order_event, post_event
from referrals.tests.staff import staff_in

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
EVENTS = reverse("admin:referrals_event_changelist")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer():
    return UserFactory()


def failing_while(monkeypatch, broken):
    """Order events fail while `broken()` is true, and are applied as usual after."""
    apply = events.APPLY["order.updated"]

    def flaky(data, **context):
        if broken():
            raise OperationalError("server closed the connection unexpectedly")
        return apply(data, **context)

    monkeypatch.setitem(events.APPLY, "order.updated", flaky)


def test_a_failing_event_backs_off_doubling_up_to_the_cap_then_is_marked_failed(client, customer, monkeypatch, clock):
    failing_while(monkeypatch, lambda: True)
    post_event(client, order_event(customer))  # the first attempt, at once
    waits = []
    for _ in range(events.MAX_ATTEMPTS - 1):
        event = Event.objects.get()
        assert event.status == "received"
        wait = event.next_attempt_at - datetime.now(UTC)
        waits.append(int(wait.total_seconds()))
        clock.shift(wait - timedelta(seconds=1))
        assert events.events_process() == 0 and Event.objects.get().attempts == event.attempts  # not yet due
        clock.shift(timedelta(seconds=1))
        events.events_process()
        assert Event.objects.get().attempts == event.attempts + 1
    assert waits == [15, 30, 60, 120, 240, 480, 960, 1800, 1800]
    event = Event.objects.get()
    assert (event.status, event.attempts) == ("failed", events.MAX_ATTEMPTS)
    assert "OperationalError" in event.error
    clock.shift(timedelta(days=1))
    assert events.events_process() == 0 and Event.objects.get().attempts == events.MAX_ATTEMPTS  # left for staff
    assert not Order.objects.exists()


def test_seconds_of_database_outage_mark_no_event_failed(client, customer, monkeypatch, clock):
    """Workers wake every half second through a 5-second outage, then it is over."""
    outage_ends = START + timedelta(seconds=5)
    failing_while(monkeypatch, lambda: datetime.now(UTC) < outage_ends)
    post_event(client, order_event(customer))
    for _ in range(40):  # 20 s of wake-ups
        clock.shift(timedelta(seconds=0.5))
        events.events_process()
    event = Event.objects.get()
    assert (event.status, event.attempts) == ("processed", 2)
    assert Order.objects.get().billing_id == "ord-1"


def test_the_next_attempt_of_a_waiting_event_is_not_taken_early_by_any_run(client, customer, monkeypatch, clock):
    """The API's wake-ups and the every-minute schedule take only events that are due."""
    failing_while(monkeypatch, lambda: True)
    post_event(client, order_event(customer))
    post_event(client, order_event(customer))  # another event, another wake-up
    assert sorted(Event.objects.values_list("attempts", flat=True)) == [1, 1]


# Staff retry failed events.


@pytest.fixture
def failed_event(client, customer, monkeypatch, clock):
    failing_while(monkeypatch, lambda: True)
    post_event(client, order_event(customer))
    for _ in range(events.MAX_ATTEMPTS - 1):
        clock.shift(events.RETRY_LONGEST_DELAY)
        events.events_process()
    monkeypatch.undo()  # whatever failed is mended
    event = Event.objects.get()
    assert event.status == "failed"
    return event


def retry(client, selected):
    return client.post(EVENTS, {"action": "retry_failed", ACTION_CHECKBOX_NAME: [e.pk for e in selected]}, follow=True)


def test_operations_retry_a_failed_event_and_it_is_applied(client, failed_event, django_capture_on_commit_callbacks):
    member = staff_in(OPERATIONS)
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):  # the worker is woken after the commit
        answer = retry(client, [failed_event])
    assert "已安排 1 个事件重新处理" in answer.content.decode()
    event = Event.objects.get()
    assert (event.status, event.attempts, event.error) == ("processed", 1, "")
    assert Order.objects.get().billing_id == "ord-1"
    entry = AuditEntry.objects.get(action="event.retry")
    assert (entry.actor, entry.target_id, entry.before) == (
        member,
        failed_event.pk,
        {"status": "failed", "attempts": events.MAX_ATTEMPTS},
    )


def test_retrying_twice_or_retrying_an_event_that_did_not_fail_changes_nothing(client, failed_event, customer):
    client.force_login(staff_in(OPERATIONS))
    post_event(client, order_event(customer, id="ord-2"))  # processed, not failed
    retry(client, [failed_event])
    assert Event.objects.get(pk=failed_event.pk).status == "received"  # due now; no worker ran
    answer = retry(client, Event.objects.all())
    assert "所选事件中没有处理失败的事件" in answer.content.decode()
    assert AuditEntry.objects.filter(action="event.retry").count() == 1
    assert Event.objects.get(pk=failed_event.pk).attempts == 0


def test_staff_without_the_permission_cannot_retry(client, failed_event):
    client.force_login(staff_in(RISK))  # may view events, not retry them
    page = client.get(EVENTS).content.decode()
    assert "retry_failed" not in page
    retry(client, [failed_event])
    assert Event.objects.get().status == "failed"
    assert not AuditEntry.objects.filter(action="event.retry").exists()


def test_a_retry_is_audited_for_an_event_id_of_the_longest_length(client, customer, monkeypatch, clock):
    failing_while(monkeypatch, lambda: True)
    post_event(client, order_event(customer, event_id="e" * 100))
    Event.objects.update(status="failed")
    events.events_retry(event_ids=["e" * 100], actor=staff_in(OPERATIONS))
    assert AuditEntry.objects.get(action="event.retry").target_id == "e" * 100
