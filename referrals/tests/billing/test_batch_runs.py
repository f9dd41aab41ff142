"""Which order snapshots join a run of a batch (referrals/billing/batches.py, `Run`), and which
accounts a held-back `customer.updated` keeps out of it. An order's first purchase reads the
orders of the accounts sharing an identity signal with its customer, so two such accounts' snapshots
are never decided together, nor after a held-back event that may link them.

Pure unit tests: a snapshot here stands in with only `.customer.pk`, and no database is used."""

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


def snapshot(customer_id):
    return SimpleNamespace(customer=SimpleNamespace(pk=customer_id))


def event(name):
    return SimpleNamespace(pk=name)


def run_of(*customer_ids, signals=SIGNALS):
    run = Run(signals={account: set(values) for account, values in signals.items()})
    for number, customer_id in enumerate(customer_ids):
        assert run.takes(customer_id), f"customer {customer_id} should join the run"
        run.snapshots.append((event(f"evt-{number}"), snapshot(customer_id)))
    return run


def test_an_empty_run_takes_anyone():
    run = Run(signals=dict(SIGNALS))
    assert all(run.takes(customer) for customer in [1, 2, 3, 4, 5, 6, 7, 99])


def test_a_customer_already_in_the_run_is_not_taken():
    """Its snapshots keep their order: the second waits for the next run."""
    run = run_of(5)
    assert not run.takes(5)
    run = run_of(6)  # no signals at all
    assert not run.takes(6)


def test_r2_4_a_customer_sharing_a_signal_with_one_in_the_run_is_not_taken():
    """R2.4: 2's first purchase depends on 1's (same phone), and so on both ways."""
    assert not run_of(1).takes(2)
    assert not run_of(2).takes(1)
    assert not run_of(3).takes(4)
    assert not run_of(5, 4).takes(3)


def test_unrelated_customers_are_taken():
    run = run_of(1, 3, 5)
    assert run.takes(6)  # no signals
    assert run.takes(7)  # a value of its own
    assert run.takes(99)  # not among the batch's customers at all
    assert [snapshot.customer.pk for _, snapshot in run.snapshots] == [1, 3, 5]


def test_sharing_is_a_shared_value_not_a_chain_of_them():
    """2 shares with 1, 1 does not share with 5: with only 5 in the run, 2 and 1 may each join."""
    run = run_of(5)
    assert run.takes(1) and run.takes(2)


def test_a_held_back_customer_is_refused_after_it():
    run = run_of(5)
    run.hold_back(event("upd-7"), 7, [])
    assert not run.takes(7)
    assert run.takes(1) and run.takes(3) and run.takes(6)


def test_r2_4_a_held_back_event_refuses_the_accounts_sharing_a_value_with_its_customer_before_it():
    """1 shared the phone with 2 before the event: 2's orders are re-judged by it (R2.4)."""
    run = run_of(5)
    run.hold_back(event("upd-1"), 1, [])
    assert not run.takes(1)
    assert not run.takes(2)
    assert run.takes(3) and run.takes(4) and run.takes(6) and run.takes(7)


def test_r2_4_a_held_back_event_refuses_the_accounts_that_already_have_one_of_its_new_values():
    """7 now shows 3's and 4's device: 3's and 4's orders are re-judged by it (R2.4), and 2,
    who shares 7's old email with nobody, is still taken."""
    run = run_of(5)
    run.hold_back(event("upd-7"), 7, ["device-b", "brand-new"])
    assert not run.takes(7)
    assert not run.takes(3)
    assert not run.takes(4)
    assert run.takes(1) and run.takes(2) and run.takes(6) and run.takes(99)


def test_a_held_back_event_of_an_account_without_signals_bars_only_what_its_values_reach():
    run = run_of()
    run.hold_back(event("upd-6"), 6, ["phone-a"])  # 6 takes 1's and 2's phone
    assert not run.takes(6)
    assert not run.takes(1) and not run.takes(2)
    assert run.takes(3) and run.takes(4) and run.takes(5) and run.takes(7)


def test_a_held_back_event_of_a_customer_unknown_to_the_signals():
    """A customer the signals do not name (no values before the batch) is still refused."""
    run = run_of(5)
    run.hold_back(event("upd-42"), 42, [])
    assert not run.takes(42)
    assert all(run.takes(customer) for customer in [1, 2, 3, 4, 6, 7])


def test_what_a_held_back_event_bars_adds_up_with_the_run():
    """Barred by the event, or sharing with one in the run: either refuses."""
    run = run_of(3)
    run.hold_back(event("upd-1"), 1, [])
    assert not run.takes(4)  # shares with 3, in the run
    assert not run.takes(2)  # shares with 1, held back
    assert not run.takes(3)  # in the run
    assert run.takes(5) and run.takes(7)


def test_held_back_events_keep_their_order_and_bar_what_each_bears_on():
    run = run_of(5)
    events = [event("upd-7"), event("upd-1"), event("upd-7-again"), event("upd-6")]
    run.hold_back(events[0], 7, [])
    run.hold_back(events[1], 1, ["email-1"])
    run.hold_back(events[2], 7, ["alipay-5"])
    run.hold_back(events[3], 6, [])
    assert run.held_back == events
    assert [held.pk for held in run.held_back] == ["upd-7", "upd-1", "upd-7-again", "upd-6"]
    assert run.barred == {7, 1, 2, 5, 6}
    assert run.takes(3) and run.takes(4)
    assert not any(run.takes(customer) for customer in [1, 2, 5, 6, 7])


def test_holding_back_changes_neither_the_signals_nor_the_run():
    """The event's values are only used to bar: the signals stay those before the batch."""
    run = run_of(5, 3)
    before = {account: set(values) for account, values in run.signals.items()}
    run.hold_back(event("upd-6"), 6, ["alipay-5", "device-b"])
    assert run.signals == before
    assert [snapshot.customer.pk for _, snapshot in run.snapshots] == [5, 3]
