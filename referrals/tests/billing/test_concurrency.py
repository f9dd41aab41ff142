"""Concurrent deliveries of billing's events, on PostgreSQL with real row locks."""

import pytest

from ambassadors.tests.factories import UserFactory
from portal.tests.threads import run_together

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_the_same_event_delivered_at_once_is_applied_once(reference_data):
    import json

    from django.test import Client

    from referrals.models import Event, Order
    from referrals.tests.billing.events_helpers import order_event, post_event

    customer = UserFactory()
    body = order_event(customer, event_id="evt_twice")
    answers = []
    run_together(*[lambda: answers.append(post_event(Client(), body).status_code)] * 4)
    assert answers == [200] * 4
    assert Event.objects.count() == 1
    assert Order.objects.get().rebate_changes.count() == 1
    assert json.dumps(Event.objects.get().result)


def test_snapshots_of_one_order_racing_leave_the_newest(reference_data):
    from django.test import Client

    from referrals.models import Order
    from referrals.tests.billing.events_helpers import order_event, post_event

    customer = UserFactory()
    bodies = [order_event(customer, version=version, amount=f"{version}00.00") for version in range(1, 7)]
    run_together(*[lambda body=body: post_event(Client(), body) for body in bodies])
    order = Order.objects.get()
    assert (order.version, order.amount) == (6, 600)
