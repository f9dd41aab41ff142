"""Concurrent visits for one customer, on PostgreSQL with real row locks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from portal.tests.threads import run_together
from referrals.attribution.services import association_apply
from referrals.models import Association
from referrals.tests.visits import visit_to

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
