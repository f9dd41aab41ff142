"""One stream of billing events applied two ways must decide the same (R1.3, R2.1, R3.4, R4, R6):
every order and its decision, every rebate change, every ledger entry, every event's outcome.

- re-deciding only the orders a change can reach (`referrals/rebates/redecision.py`) against
  re-deciding every unsettled order of the customer after each snapshot;
- many events to a transaction (`referrals/billing/batches.py`) against one event to a transaction.

The streams (`referrals/tests/event_streams.py`) mix new orders, payments, refunds and
`customer.updated` for four customers, two of them with the ambassador's links, on a pinned
clock; each example rolls back what it wrote.
"""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from payouts.models import Entry
from referrals.attribution.services import association_apply
from referrals.billing.services import events_process
from referrals.models import CustomerProfile
from referrals.tests.event_streams import (
    NOW,
    WIDE,
    associations,
    events_store,
    steps,
    stream_events,
    stream_state,
    wide_associations,
    wide_steps,
)
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
# STREAM_EXAMPLES=250 for a longer search before a change to the engine lands (docs/TESTING.md).
EXAMPLES = hypothesis_settings(
    max_examples=int(os.environ.get("STREAM_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EVERYTHING = datetime(1, 1, 1, tzinfo=UTC)


class Rollback(Exception):
    pass


def accounts_of(count):
    ambassadors = [VerifiedAmbassadorFactory(), VerifiedAmbassadorFactory()]
    customers = [UserFactory() for _ in range(count)]
    for customer in customers:
        CustomerProfile.objects.get_or_create(customer=customer)
    return ambassadors, customers


@pytest.fixture
def accounts(db, current_rules):
    return accounts_of(4)


@pytest.fixture
def many_accounts(db, current_rules):
    return accounts_of(WIDE)


def ledger_state(customers):
    return list(
        Entry.objects.filter(order__customer__in=customers)
        .order_by("order__billing_id", "posting_id", "ambassador_id", "bucket")  # each order's in sequence
        .values_list("order__billing_id", "posting__kind", "ambassador_id", "bucket", "amount")
    )


def outcome(accounts, starts, bodies, apply):
    """What the stream leaves, rolled back afterwards; the associations (same ids either way)
    are made before it."""
    ambassadors, customers = accounts
    result = {}
    try:
        with transaction.atomic(), time_machine.travel(NOW, tick=False):
            for number, (customer, start) in enumerate(zip(customers, starts, strict=True)):
                if start is not None:
                    visit = visit_to(ambassadors[number % 2], at=start)
                    association_apply(customer=customer, visit=visit, now=start)
            events_store(bodies)
            apply()
            result = stream_state(customers) | {"ledger": ledger_state(customers)}
            raise Rollback
    except Rollback:
        pass
    return result


def one_by_one():
    """One event to a transaction."""
    events_process(batch_size=1)


def full_redecision():
    """Every unsettled order of the customer decided again after each snapshot."""
    with mock.patch("referrals.rebates.redecision.changed_since", return_value=EVERYTHING):
        events_process()


@EXAMPLES
@given(starts=associations, stream=steps)
def test_r4_redeciding_the_orders_a_change_reaches_decides_as_redeciding_all(accounts, starts, stream):
    bodies = stream_events(stream, accounts[1])
    incremental = outcome(accounts, starts, bodies, one_by_one)
    full = outcome(accounts, starts, bodies, full_redecision)
    assert incremental == full
    assert len(incremental["events"]) == len(bodies)


def test_r2_1_a_payment_before_the_slot_holders_takes_the_slot_from_it(accounts):
    """The scope's edge by hand: an order paid before the slot holder's payment, sent after it,
    re-decides the holder (and ends the association before it, R3.4)."""
    holder = {"step": "order", "customer": 0, "placed": NOW.replace(day=10), "product": "ecs", "kind": "new"}
    holder |= {"billing": "prepaid", "trial": False, "amount": Decimal("1000.00"), "paid_after": timedelta(0)}
    earlier = holder | {"placed": NOW.replace(day=5)}
    bodies = stream_events([holder, earlier], accounts[1])
    state = outcome(accounts, [NOW.replace(day=1), None, None, None], bodies, one_by_one)
    assert (state["orders"]["ord-001"]["order_type"], state["orders"]["ord-001"]["reason"]) == (
        "member_first_purchase",
        "",
    )
    assert state["orders"]["ord-000"]["reason"] == "OUTSIDE_WINDOW"  # the association ended on day 5 (R3.4)
    assert [change[:4] for change in state["changes"]] == [
        ("ord-000", "decision", 0, Decimal("250.00")),
        ("ord-000", "rejudged", Decimal("250.00"), 0),
        ("ord-001", "decision", 0, Decimal("250.00")),
    ]


@EXAMPLES
@given(starts=associations, stream=steps, batch_size=st.integers(min_value=2, max_value=30))
def test_a_stream_applied_in_batches_decides_as_applied_one_event_at_a_time(accounts, starts, stream, batch_size):
    bodies = stream_events(stream, accounts[1])
    separately = outcome(accounts, starts, bodies, one_by_one)
    batched = outcome(accounts, starts, bodies, lambda: events_process(batch_size=batch_size))
    assert batched == separately
    assert [status for _, status, *_ in batched["events"]] == ["processed"] * len(bodies)


@EXAMPLES
@given(starts=wide_associations, stream=wide_steps, batch_size=st.integers(min_value=2, max_value=30))
def test_runs_of_many_customers_decided_together_decide_as_one_event_at_a_time(
    many_accounts, starts, stream, batch_size
):
    """Eight customers, few `customer.updated`: most of a batch is decided in runs of snapshots
    of different customers (referrals/rebates/snapshot_batches.py), broken where a customer
    repeats or shares a phone with another in the run."""
    bodies = stream_events(stream, many_accounts[1])
    separately = outcome(many_accounts, starts, bodies, one_by_one)
    batched = outcome(many_accounts, starts, bodies, lambda: events_process(batch_size=batch_size))
    assert batched == separately
    assert [status for _, status, *_ in batched["events"]] == ["processed"] * len(bodies)
