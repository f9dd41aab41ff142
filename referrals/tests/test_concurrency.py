"""Concurrent visits for one customer, on PostgreSQL with real row locks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from portal.tests.threads import run_together
from referrals.models import Association
from referrals.services import association_apply
from referrals.tests.factories import visit_to

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_simultaneous_visits_to_many_ambassadors_leave_one_open_association_and_the_latest_wins():
    customer = UserFactory()
    ambassadors = [VerifiedAmbassadorFactory() for _ in range(6)]
    base = timezone.now() - timedelta(hours=1)
    visits = [visit_to(ambassador, at=base + timedelta(minutes=index)) for index, ambassador in enumerate(ambassadors)]

    run_together(*[lambda visit=visit: association_apply(customer=customer, visit=visit) for visit in visits])

    open_associations = Association.objects.filter(customer=customer, ended_at__isnull=True)
    assert open_associations.count() == 1
    # Whatever order the threads ran in, the latest visit holds the customer (R3.2).
    assert open_associations.get().ambassador == ambassadors[-1]


def test_the_same_visit_applied_at_once_from_two_requests_is_stored_once():
    customer = UserFactory()
    visit = visit_to(VerifiedAmbassadorFactory())
    run_together(*[lambda: association_apply(customer=customer, visit=visit)] * 4)
    assert Association.objects.filter(customer=customer).count() == 1


def test_the_same_event_delivered_at_once_is_applied_once(reference_data):
    import json

    from django.test import Client

    from referrals.models import Event, Order
    from referrals.tests.events_helpers import order_event, post_event

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
    from referrals.tests.events_helpers import order_event, post_event

    customer = UserFactory()
    bodies = [order_event(customer, version=version, amount=f"{version}00.00") for version in range(1, 7)]
    run_together(*[lambda body=body: post_event(Client(), body) for body in bodies])
    order = Order.objects.get()
    assert (order.version, order.amount) == (6, 600)
