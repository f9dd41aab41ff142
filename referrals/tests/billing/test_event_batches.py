"""Events applied many to a transaction (referrals/billing/batches.py): a failing event fails
alone, keeps the retry schedule, and two workers share a backlog on PostgreSQL."""

import contextlib
import json
import logging
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, OperationalError

from ambassadors.tests.factories import UserFactory
from referrals.billing.services import events_process
from referrals.models import Event, Order
from referrals.rebates import services as rebate_services
from referrals.rebates import snapshot_batches
from referrals.tests.event_streams import NOW, START, events_store, stream_events

pytestmark = pytest.mark.django_db


def paid_orders(customers, count, start=START):
    """`count` orders for these customers in turn, an hour apart, each sent unpaid and then paid."""
    steps = []
    for number in range(count):
        steps.append(
            {"step": "order", "customer": number % len(customers), "placed": start + timedelta(hours=number)}
            | {"product": "ecs", "kind": "new", "billing": "prepaid", "trial": False, "amount": "1000.00"}
            | {"paid_after": None}
        )
        steps.append({"step": "pay", "order": number, "paid_after": timedelta(minutes=5)})
    return stream_events(steps, customers)


@pytest.fixture
def customers(db):
    return [UserFactory() for _ in range(4)]


def test_an_event_that_fails_in_a_batch_rolls_back_alone_and_waits_its_retry(customers, monkeypatch):
    """The failure comes after the order is written, applied alone or in a run of snapshots:
    the run is applied again one event at a time, and only the failing event rolls back."""
    record = rebate_services.decisions_record

    def fails_after_writing(decided):
        record(decided)
        if any(one.order.billing_id == "ord-002" for one in decided):
            raise IntegrityError("a conflict in the middle of the batch")

    for module in (rebate_services, snapshot_batches):
        monkeypatch.setattr(module, "decisions_record", fails_after_writing)
    with time_machine.travel(NOW, tick=False):
        events_store(paid_orders(customers, 5))
        assert events_process(batch_size=50) == 8  # the two snapshots of ord-002 fail, the 8 others commit
    assert sorted(Order.objects.values_list("billing_id", flat=True)) == ["ord-000", "ord-001", "ord-003", "ord-004"]
    failed = Event.objects.filter(status=Event.Status.RECEIVED)
    assert [(event.attempts, event.next_attempt_at, event.error) for event in failed] == [
        (1, NOW + timedelta(seconds=15), "IntegrityError: a conflict in the middle of the batch")
    ] * 2
    assert Event.objects.filter(status=Event.Status.PROCESSED, attempts=1).count() == 8

    monkeypatch.undo()  # fixed: the next try after 15 s applies them
    with time_machine.travel(NOW + timedelta(seconds=14), tick=False):
        assert events_process() == 0
    with time_machine.travel(NOW + timedelta(seconds=15), tick=False):
        assert events_process() == 2
    assert Order.objects.get(billing_id="ord-002").status == "paid"


def test_an_event_whose_body_no_longer_parses_fails_alone(customers):
    with time_machine.travel(NOW, tick=False):
        events_store(paid_orders(customers, 3))
        Event.objects.filter(pk="evt_00002").update(body="{not json")
        assert events_process(batch_size=50) == 5
    broken = Event.objects.get(pk="evt_00002")
    assert (broken.status, broken.attempts, broken.error.startswith("EventInvalid")) == ("received", 1, True)


def test_a_batch_whose_transaction_fails_is_applied_one_event_at_a_time(customers, monkeypatch):
    """The batch's own statements failing (here its locks, once) costs no event an attempt."""
    from referrals.billing import batches

    lock, failures = batches.customers_lock, []

    def fails_once(accounts):
        if not failures:
            failures.append(1)
            raise OperationalError("could not obtain lock")
        return lock(accounts)

    monkeypatch.setattr(batches, "customers_lock", fails_once)
    with time_machine.travel(NOW, tick=False):
        events_store(paid_orders(customers, 4))
        assert events_process(batch_size=50) == 8
    assert failures == [1]
    assert Event.objects.filter(status=Event.Status.PROCESSED, attempts=1).count() == 8


def test_limit_counts_the_events_taken(customers):
    """A task takes at most `limit` events, whatever the batch size, and leaves the rest."""
    with time_machine.travel(NOW, tick=False):
        events_store(paid_orders(customers, 10))
        assert events_process(limit=7, batch_size=3) == 7
    assert Event.objects.filter(status=Event.Status.RECEIVED).count() == 13


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_three_workers_applying_batches_at_once_apply_every_event_once_and_decide_as_alone(reference_data, caplog):
    """Customers spread over every batch, half of them associated (their rebates lock the
    ambassador's ledger rows): no event fails or waits, and each customer's first purchase is
    the earliest paid order whatever the order the workers took them in (R2.1). (A settled
    order is final, R7.1: had they settled, the order of arrival would decide.)"""
    from ambassadors.tests.factories import VerifiedAmbassadorFactory
    from portal.tests.threads import run_together
    from referrals.attribution.services import association_apply
    from referrals.tests.visits import visit_to

    ambassador = VerifiedAmbassadorFactory()
    customers = [UserFactory() for _ in range(6)]
    start = NOW - timedelta(days=5)  # none settled yet, so a later payment re-decides them (R7.1)
    for customer in customers[::2]:
        association_apply(customer=customer, visit=visit_to(ambassador, at=start - timedelta(days=1)), now=start)
    with time_machine.travel(NOW, tick=False):
        events_store(paid_orders(customers, 60, start))
        run_together(*[lambda: events_process(batch_size=7)] * 3)
    assert Event.objects.filter(status=Event.Status.PROCESSED, attempts=1).count() == 120
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert set(Order.objects.values_list("status", "version")) == {("paid", 2)}
    for customer in customers[::2]:
        first = Order.objects.filter(customer=customer, order_type="member_first_purchase")
        assert list(first.values_list("billing_id", flat=True)) == [
            Order.objects.filter(customer=customer).order_by("paid_at").first().billing_id
        ]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_batches_making_the_same_new_customers_in_opposite_orders_do_not_deadlock(
    reference_data, monkeypatch, caplog
):
    """Two customers with no profile yet, named by both batches, first in opposite orders
    ([0, 0, 1] and [1, 1, 0]); each worker pauses after its first event until the other has
    applied its own. A batch that made a profile when an event was applied held it until it
    committed, and then waited for the one the other had made: PostgreSQL broke the circle by
    failing one of them. Made and locked up front, in id order, the second batch waits for the
    first instead, and every event is applied once, without an error."""
    from portal.tests.threads import run_together
    from referrals.billing import services as billing_services
    from referrals.models import CustomerProfile

    customers = [UserFactory() for _ in range(2)]
    order = {"step": "order", "product": "ecs", "kind": "new", "billing": "prepaid", "trial": False}
    order |= {"amount": "1000.00", "paid_after": None}
    steps = [
        order | {"customer": 0, "placed": START},
        {"step": "pay", "order": 0, "paid_after": timedelta(minutes=5)},
        order | {"customer": 1, "placed": START + timedelta(hours=1)},
        order | {"customer": 1, "placed": START + timedelta(hours=2)},
        {"step": "pay", "order": 2, "paid_after": timedelta(minutes=5)},
        order | {"customer": 0, "placed": START + timedelta(hours=3)},
    ]
    both_started, attempt, applied = threading.Barrier(2), billing_services._attempt, threading.local()

    def pauses_after_the_first(*args, **kwargs):
        attempt(*args, **kwargs)
        if not getattr(applied, "once", False):
            applied.once = True
            with contextlib.suppress(threading.BrokenBarrierError):  # the other may wait for this one's locks
                both_started.wait(timeout=2)

    monkeypatch.setattr(billing_services, "_attempt", pauses_after_the_first)
    assert not CustomerProfile.objects.filter(customer__in=customers).exists()
    with time_machine.travel(NOW, tick=False):
        events_store(stream_events(steps, customers))
        run_together(*[lambda: events_process(limit=3, batch_size=3)] * 2)
    assert Event.objects.filter(status=Event.Status.PROCESSED, attempts=1).count() == 6
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert CustomerProfile.objects.filter(customer__in=customers).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_ambassadors_update_and_a_batch_of_their_customers_refunds_do_not_deadlock(
    reference_data, monkeypatch, caplog
):
    """An ambassador's `customer.updated` re-judges the unsettled orders of their customers,
    locked oldest first; another batch refunds the newer order and then the older one. The
    second batch takes the newer order first; the re-judgement is let go only then, and the
    second batch goes on once the re-judgement waits. Locking only the ambassador's profile up
    front, the re-judgement held the older order and waited for the newer while the batch waited
    for the older: PostgreSQL failed one. Locking the customers it reaches up front, in id order,
    it waits for the batch before holding any of their orders."""
    from django.db import connection

    from ambassadors.tests.factories import VerifiedAmbassadorFactory
    from referrals.attribution.services import association_apply
    from referrals.billing import batches
    from referrals.billing import services as billing_services
    from referrals.tests.visits import visit_to

    ambassador = VerifiedAmbassadorFactory()
    accounts = [UserFactory(), UserFactory(), ambassador.user]
    start = NOW - timedelta(days=5)  # unsettled
    for customer in accounts[:2]:
        association_apply(customer=customer, visit=visit_to(ambassador, at=start - timedelta(days=1)), now=start)
    order = {"step": "order", "product": "ecs", "kind": "new", "billing": "prepaid", "trial": False}
    order |= {"amount": "1000.00", "paid_after": timedelta(minutes=5)}
    paid = [order | {"customer": 0, "placed": start}, order | {"customer": 1, "placed": start + timedelta(hours=1)}]
    later = [
        {"step": "customer", "customer": 2, "segment": "normal", "phone": None},  # the ambassador's account
        {"step": "refund", "order": 1, "share": "0.1"},
        {"step": "refund", "order": 1, "share": "0.2"},
        {"step": "refund", "order": 0, "share": "0.1"},
    ]
    bodies = stream_events(paid + later, accounts)
    with time_machine.travel(NOW, tick=False):
        events_store(bodies[:2])
        assert events_process() == 2
        events_store(bodies[2:])

    claimed, first_applied, update_thread = threading.Event(), threading.Event(), []
    lock, attempt = batches.customers_lock, billing_services._attempt

    def update_waits_for_the_refunds_first_step(ids):
        if threading.current_thread() in update_thread:
            claimed.set()
            first_applied.wait(timeout=5)
        return lock(ids)

    def refunds_go_on_once_another_batch_waits(*args, **kwargs):
        attempt(*args, **kwargs)
        if threading.current_thread() not in update_thread and not first_applied.is_set():
            first_applied.set()
            with connection.cursor() as cursor:
                for _ in range(100):
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)

    monkeypatch.setattr(batches, "customers_lock", update_waits_for_the_refunds_first_step)
    monkeypatch.setattr(billing_services, "_attempt", refunds_go_on_once_another_batch_waits)

    def worker(limit, wait_for=None):
        try:
            if wait_for is not None:
                wait_for.wait(timeout=5)
            with time_machine.travel(NOW, tick=False):
                events_process(limit=limit, batch_size=limit)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(1,)), threading.Thread(target=worker, args=(3, claimed))]
    update_thread.append(threads[0])
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Event.objects.filter(status=Event.Status.PROCESSED, attempts=1).count() == 6
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert sorted(Order.objects.values_list("billing_id", "version")) == [("ord-000", 2), ("ord-001", 3)]


@pytest.mark.postgresql
def test_a_worker_claims_from_the_index_without_sorting_the_backlog():
    """Claimed in the order of `event_waiting_claim_order`: with the index on the time alone,
    every batch sorted the whole backlog (22 ms for 9,000 waiting events, docs/PERFORMANCE.md)."""
    from django.db import connection

    from referrals.billing.batches import events_due

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the plan for a backlog, not for this small table
    plan = events_due()[:20].explain()
    assert "event_waiting_claim_order" in plan
    assert "Sort" not in plan


class _Rollback(Exception):
    pass


def decided_both_ways(customers, bodies, before=lambda: None):
    """What the events decide one to a transaction and in one batch, each rolled back after."""
    from django.db import transaction

    from referrals.tests.event_streams import stream_state

    states = []
    for batch_size in (1, 50):
        try:
            with transaction.atomic(), time_machine.travel(NOW, tick=False):
                before()
                events_store(bodies)
                events_process(batch_size=batch_size)
                states.append(stream_state(customers))
                raise _Rollback
        except _Rollback:
            pass
    return states


def order_body(number, customer, *, order, paid):
    data = {
        "id": order, "customer": str(customer.uid), "product": "ecs", "billing": "prepaid", "kind": "new",
        "trial": False, "activity": None, "amount": "1000.00", "period_days": 360,
        "placed_at": paid.isoformat(), "status": "paid", "paid_at": paid.isoformat(),
        "refunded_amount": "0.00", "refunded_at": None, "version": 1,
    }  # fmt: skip
    return {
        "id": f"evt_{number:05d}",
        "type": "order.updated",
        "created": int(NOW.timestamp()),
        "data": {"order": data},
    }


def update_body(number, customer, identity):
    data = {"customer": str(customer.uid), "identity": identity}
    return {"id": f"evt_{number:05d}", "type": "customer.updated", "created": int(NOW.timestamp()), "data": data}


def test_r2_4_an_update_linking_accounts_two_signals_away_is_not_held_back_behind_a_later_payment(
    customers, current_rules
):
    """E shows a phone and a device, F the device. C's update takes E's phone: it re-judges E's
    order, whose first purchase reads F's orders (R2.4). F's payment after it must not be decided
    before it, or E's rebate would be re-judged against a payment made after (found in review)."""
    from ambassadors.identity import identity_signal_record
    from ambassadors.tests.factories import VerifiedAmbassadorFactory
    from referrals.attribution.services import association_apply
    from referrals.billing.identity import identity_stored, signal_hash
    from referrals.tests.visits import visit_to

    c, e, f, _ = customers
    ambassador = VerifiedAmbassadorFactory()
    phone, device = identity_stored({"phone": "13900000001", "device_id": "device-of-e-and-f"}).values()

    def history():
        for account, values in ((e, [("phone", phone), ("device", device)]), (f, [("device", device)])):
            for kind, value in values:
                identity_signal_record(user=account, kind=kind, value_hash=signal_hash(value), source="test")
        visited = NOW - timedelta(days=10)  # both orders unsettled at NOW (R7.1)
        association_apply(customer=e, visit=visit_to(ambassador, at=visited), now=visited)
        events_store([order_body(0, e, order="ord-e", paid=NOW - timedelta(days=2))])
        events_process(batch_size=1)

    bodies = [
        update_body(1, c, {"phone": "13900000001"}),
        order_body(2, f, order="ord-f", paid=NOW - timedelta(days=5)),
    ]
    one_by_one, batched = decided_both_ways(customers, bodies, before=history)
    assert one_by_one["orders"]["ord-e"]["rebate"] > 0  # re-judged before F's payment came
    assert batched == one_by_one


def test_an_identity_value_the_worker_cannot_read_fails_its_event_alone(customers):
    """A stored value that is not a keyed hash (a body stored unredacted) is refused when the
    event is applied: that event fails and waits its retry, the batch's others are applied."""
    bodies = paid_orders(customers, 2)
    with time_machine.travel(NOW, tick=False):
        events_store(bodies)
        Event.objects.create(
            id="evt_broken",
            type="customer.updated",
            body=json.dumps(update_body(99, customers[0], {"phone": "13900000009"}) | {"id": "evt_broken"}),
            body_digest="-",
            next_attempt_at=NOW,
        )
        assert events_process(batch_size=50) == 4
    broken = Event.objects.get(pk="evt_broken")
    assert (broken.status, broken.attempts, broken.error.startswith("ValueError")) == ("received", 1, True)


def test_a_snapshot_moving_its_order_to_another_customer_decides_as_one_by_one(customers, current_rules):
    """Billing may correct an order's account: the two customers' facts are then not apart, and
    the run is applied one event at a time."""
    first, second = paid_orders(customers[:1], 1)[1], paid_orders(customers[1:2], 1)[1]
    moved = json.loads(json.dumps(first))
    moved["id"], moved["data"]["order"]["customer"] = "evt_moved", str(customers[1].uid)
    moved["data"]["order"]["version"] += 1
    second = second | {"id": "evt_second"}
    second["data"]["order"]["id"] = "ord-other"
    third = paid_orders(customers[2:3], 1)[1] | {"id": "evt_third"}
    third["data"]["order"]["id"] = "ord-third"
    one_by_one, batched = decided_both_ways(customers, [first, moved, third])  # one run but for the fix
    assert batched == one_by_one
    one_by_one, batched = decided_both_ways(customers, [first, second, moved])
    assert batched == one_by_one


def test_r2_4_accounts_an_ambassadors_update_links_are_not_decided_together_after_it(customers, current_rules):
    """An ambassador's update is applied alone and may link them to a customer: the signals are
    read again after it, so the two accounts' payments after it are never decided in one run
    (R2.4: the later one's first purchase reads the earlier; found in review)."""
    from ambassadors.identity import identity_signal_record
    from ambassadors.tests.factories import VerifiedAmbassadorFactory
    from referrals.attribution.services import association_apply
    from referrals.billing.identity import identity_stored, signal_hash
    from referrals.tests.visits import visit_to

    x = customers[0]
    referred_ambassador, referrer = VerifiedAmbassadorFactory(), VerifiedAmbassadorFactory()
    a = referred_ambassador.user  # an ambassador who is also a customer, referred by another
    (phone,) = identity_stored({"phone": "13900000002"}).values()

    def history():
        identity_signal_record(user=x, kind="phone", value_hash=signal_hash(phone), source="test")
        visited = NOW - timedelta(days=10)
        association_apply(customer=a, visit=visit_to(referrer, at=visited), now=visited)

    bodies = [
        update_body(1, a, {"phone": "13900000002"}),
        order_body(2, x, order="ord-x", paid=NOW - timedelta(days=5)),
        order_body(3, a, order="ord-a", paid=NOW - timedelta(days=2)),
    ]
    one_by_one, batched = decided_both_ways([*customers, a], bodies, before=history)
    assert one_by_one["orders"]["ord-a"]["rebate"] == 0  # the slot taken by the linked account (R2.4)
    assert batched == one_by_one
