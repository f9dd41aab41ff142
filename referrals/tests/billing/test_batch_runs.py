"""Which order snapshots join a run of a batch (referrals/billing/batches.py, `Run`), and what a
held-back `customer.updated` keeps out of it. An order's first purchase reads the orders of the
accounts sharing an identity signal with its customer, so two such accounts' snapshots are never
decided together.

Pure unit tests: a snapshot here stands in with only `.customer.pk` and `.billing_id`, and no
database is used. Which updates may be held back at all (a customer who is no ambassador and
shares no value with anyone, before or through the event) is the caller's check, tested with the
batches in referrals/tests/billing/test_event_batches.py."""

from types import SimpleNamespace

from referrals.billing.batches import Run

# Accounts and their identity signals' values (keyed hashes) before the batch:
# 1 and 2 share a phone; 3 and 4 share a device; 5 has a value no one else has; 6 has none.
SIGNALS = {
    1: {"phone-a", "email-1"},
    2: {"phone-a"},
    3: {"device-b"},
    4: {"device-b", "email-4"},
    5: {"alipay-5"},
    7: {"email-7"},
}


def snapshot(customer_id, order=None):
    return SimpleNamespace(customer=SimpleNamespace(pk=customer_id), billing_id=order or f"ord-{customer_id}")


def event(name):
    return SimpleNamespace(pk=name)


def run_of(*customer_ids, signals=SIGNALS):
    run = Run(signals={account: set(values) for account, values in signals.items()})
    for number, customer_id in enumerate(customer_ids):
        assert run.takes(snapshot(customer_id)), f"customer {customer_id} should join the run"
        run.snapshots.append((event(f"evt-{number}"), snapshot(customer_id)))
    return run


def takes(run, *customer_ids):
    return all(run.takes(snapshot(customer_id)) for customer_id in customer_ids)


def refuses(run, *customer_ids):
    return not any(run.takes(snapshot(customer_id)) for customer_id in customer_ids)


def test_an_empty_run_takes_anyone():
    assert takes(Run(signals=dict(SIGNALS)), 1, 2, 3, 4, 5, 6, 7, 99)


def test_a_customer_already_in_the_run_is_not_taken():
    """Its snapshots keep their order: the second waits for the next run."""
    assert refuses(run_of(5), 5)
    assert refuses(run_of(6), 6)  # no signals at all


def test_an_order_already_in_the_run_is_not_taken_even_for_another_customer():
    """Billing may move an order to another account: its two snapshots are never decided together."""
    run = run_of(5)
    assert not run.takes(snapshot(6, order="ord-5"))


def test_r2_4_a_customer_sharing_a_signal_with_one_in_the_run_is_not_taken():
    """R2.4: 2's first purchase depends on 1's (same phone), and so on both ways."""
    assert refuses(run_of(1), 2)
    assert refuses(run_of(2), 1)
    assert refuses(run_of(3), 4)
    assert refuses(run_of(5, 4), 3)


def test_unrelated_customers_are_taken():
    run = run_of(1, 3, 5)
    assert takes(run, 6, 7, 99)  # no signals, a value of its own, not among the batch's customers
    assert [taken.customer.pk for _, taken in run.snapshots] == [1, 3, 5]


def test_sharing_is_a_shared_value_not_a_chain_of_them():
    """2 shares with 1, 1 does not share with 5: with only 5 in the run, 2 and 1 may each join."""
    assert takes(run_of(5), 1) and takes(run_of(5), 2)


def test_a_held_back_customer_is_refused_after_it_and_no_one_else():
    run = run_of(5)
    run.hold_back(event("upd-7"), 7)
    assert refuses(run, 7)
    assert takes(run, 1, 3, 6)


def test_held_back_events_keep_their_order():
    run = run_of(5)
    events = [event("upd-7"), event("upd-6"), event("upd-7-again")]
    for held, customer_id in zip(events, [7, 6, 7], strict=True):
        run.hold_back(held, customer_id)
    assert run.held_back == events
    assert run.barred == {6, 7}
    assert takes(run, 1, 3)
    assert refuses(run, 5, 6, 7)
