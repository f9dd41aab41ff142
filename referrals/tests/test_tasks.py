"""The events job works in batches, so other tasks are not held behind a burst of events."""

import pytest

from referrals import tasks

pytestmark = pytest.mark.django_db


def test_a_full_batch_queues_the_rest_as_a_new_task(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "events_process", lambda limit: limit)
    monkeypatch.setattr(tasks, "async_task", lambda name: queued.append(name))
    assert tasks.process_events() == tasks.EVENTS_PER_TASK
    assert queued == ["referrals.tasks.process_events"]


def test_a_partial_batch_is_the_end(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "events_process", lambda limit: 3)
    monkeypatch.setattr(tasks, "async_task", lambda name: queued.append(name))
    assert tasks.process_events() == 3
    assert queued == []
