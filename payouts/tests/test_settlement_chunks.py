"""Settlement in chunks of ambassadors (R7): each chunk commits on its own, a run that stops
resumes after its last committed chunk, and the ledger it leaves is the one a run in a single
chunk leaves: every due order settled once, debt netted once (R6.2), held and later orders
left alone (R9.3, R7.1)."""

import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ambassadors.tests.factories import BoundAmbassadorFactory
from payouts import settlement
from payouts.ledger import balances_of
from payouts.models import Entry, Posting, SettlementRun
from payouts.settlement import settlement_run
from payouts.withdrawals import withdrawal_request
from referrals.models import Order

from .helpers import paid_order, refund

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 10)
ONE_AMBASSADOR_A_CHUNK = 1  # rebates per chunk: fewer than any ambassador has


class Crash(Exception):
    """The process dying in the middle of a chunk."""


@pytest.fixture
def ambassadors(current_rules):
    """Four ambassadors with something due on DAY: two orders; a debt and an order that repays
    it; an order due and one not yet due; an order due and one held by risk control."""
    two, indebted, early_and_late, one_held = (BoundAmbassadorFactory() for _ in range(4))
    paid_order(two, paid="2026-11-05 10:00")
    paid_order(two, paid="2026-11-06 10:00")
    settled_then_refunded = paid_order(indebted, paid="2026-10-20 10:00")
    settlement_run(date(2026, 11, 30))
    refund(settled_then_refunded, "1000.00", on="2026-12-01 09:00")  # 250 of debt
    paid_order(indebted, amount="2000.00", paid="2026-11-07 10:00")  # earns 500
    paid_order(early_and_late, paid="2026-11-08 10:00")
    paid_order(early_and_late, paid="2026-11-25 10:00")  # settles on 12-25
    paid_order(one_held, paid="2026-11-09 10:00")
    held = paid_order(one_held, paid="2026-11-09 11:00")
    Order.objects.filter(pk=held.pk).update(on_hold=True)
    return [two, indebted, early_and_late, one_held]


def ledger(run):
    """Every entry with its posting's key and kind (the run's id named, not numbered), and the
    run's figures: what two runs must agree on."""
    entries = sorted(
        (entry.posting.key.replace(f":{run.pk}:", ":<run>:"), entry.posting.kind, entry.ambassador_id)
        + (entry.bucket, entry.amount, entry.order_id)
        for entry in Entry.objects.select_related("posting")
    )
    figures = (run.orders_settled, run.bonuses_settled, run.amount_settled, run.debt_netted)
    return entries, figures


def ledger_of_one_chunk():
    """The ledger a run in a single chunk would leave, rolled back once read."""

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            run = settlement_run(DAY, chunk_rebates=10**9)
            assert run.chunks_committed == 1
            found = ledger(run)
            raise Undo
    except Undo:
        return found


def crash_in_chunk(monkeypatch, number):
    """Make chunk `number` (from 1) fail after its postings and entries are written."""
    calls = []
    debt_net = settlement._debt_net

    def failing(run, settled):
        calls.append(run)
        if len(calls) == number:
            raise Crash
        return debt_net(run, settled)

    monkeypatch.setattr(settlement, "_debt_net", failing)


def test_a_run_commits_one_chunk_per_group_of_ambassadors(ambassadors):
    expected = ledger_of_one_chunk()
    run = settlement_run(DAY, chunk_rebates=ONE_AMBASSADOR_A_CHUNK)
    assert (run.chunks_committed, run.settled_through) == (4, max(a.pk for a in ambassadors))
    assert run.finished_at is not None
    assert ledger(run) == expected
    assert (run.orders_settled, run.amount_settled, run.debt_netted) == (5, Decimal("1500.00"), Decimal("250.00"))


def test_chunks_hold_about_the_rebates_asked_for(ambassadors):
    """Sized by pending entries: 2 for the first ambassador, 3 for the indebted one (its settled
    order's two count), 1 each for the last two, which share a chunk of 3."""
    run = settlement_run(DAY, chunk_rebates=3)
    assert run.chunks_committed == 3


def interrupted_then_resumed(monkeypatch, committed):
    """Stop a run in the chunk after `committed` chunks, check what stayed, settle the day again."""
    expected = ledger_of_one_chunk()
    crash_in_chunk(monkeypatch, committed + 1)
    with pytest.raises(Crash):
        settlement_run(DAY, chunk_rebates=ONE_AMBASSADOR_A_CHUNK)
    stopped = SettlementRun.objects.get(day=DAY)
    assert (stopped.chunks_committed, stopped.finished_at) == (committed, None)
    settled = Posting.objects.filter(kind=Posting.Kind.SETTLEMENT, settlement_run=stopped).count()
    assert settled == stopped.orders_settled  # nothing of the failed chunk stayed

    monkeypatch.undo()
    run = settlement_run(DAY, chunk_rebates=ONE_AMBASSADOR_A_CHUNK)
    assert run.pk == stopped.pk and run.finished_at is not None
    assert run.chunks_committed == 4
    assert ledger(run) == expected
    again = settlement_run(DAY, chunk_rebates=ONE_AMBASSADOR_A_CHUNK)  # finished: a new run posts nothing
    assert again.pk != run.pk and again.orders_settled == 0 and ledger(run) == expected


@pytest.mark.parametrize("committed", [0, 1, 2, 3])
def test_a_run_that_stopped_resumes_after_its_last_committed_chunk(ambassadors, monkeypatch, committed):
    interrupted_then_resumed(monkeypatch, committed)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("committed", [1, 3])
def test_on_postgresql_a_crashed_run_resumes_to_the_ledger_of_one_uninterrupted_run(
    reference_data, ambassadors, monkeypatch, committed
):
    """Each chunk really commits here: the crash leaves the committed chunks in the database."""
    interrupted_then_resumed(monkeypatch, committed)


def settled_earlier(ambassador):
    paid_order(ambassador, amount="4000.00", paid="2026-10-20 10:00")  # 1,000 withdrawable on 11-30


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_waits_for_its_ambassadors_chunk_and_no_other(reference_data, current_rules, alipay_settings):
    """R11.1 with R7: a chunk locks its ambassadors until it commits; an ambassador of a chunk
    already committed withdraws what it settled while a later chunk is still open."""
    first, second = BoundAmbassadorFactory(), BoundAmbassadorFactory()
    for ambassador in (first, second):
        settled_earlier(ambassador)
        paid_order(ambassador, amount="4000.00", paid="2026-11-05 10:00")  # 1,000 due on DAY
    settlement_run(date(2026, 11, 30))
    inside, release = threading.Event(), threading.Event()
    debt_net, errors = settlement._debt_net, []

    def paused(run, settled):
        if second.pk in settled:
            inside.set()
            release.wait(30)
        return debt_net(run, settled)

    def in_thread(call):
        def run():
            try:
                call()
            except Exception as error:  # reported by the assertion below
                errors.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    settlement._debt_net = paused
    try:
        settling = in_thread(lambda: settlement_run(DAY, chunk_rebates=ONE_AMBASSADOR_A_CHUNK))
        assert inside.wait(30)
        first_withdraws = in_thread(
            lambda: withdrawal_request(ambassador=first, amount="1500.00", request_token=uuid.uuid4())
        )
        first_withdraws.join(30)
        assert not first_withdraws.is_alive()  # its chunk committed: its lock is free
        second_withdraws = in_thread(
            lambda: withdrawal_request(ambassador=second, amount="1500.00", request_token=uuid.uuid4())
        )
        second_withdraws.join(1)
        assert second_withdraws.is_alive()  # waits on the open chunk's lock
    finally:
        release.set()
        settlement._debt_net = debt_net
    settling.join(30)
    second_withdraws.join(30)
    assert errors == []
    for ambassador in (first, second):
        figures = balances_of(ambassador)
        assert (figures.pending, figures.withdrawable, figures.in_payout + figures.paid_out) == (
            Decimal("0.00"),
            Decimal("500.00"),
            Decimal("1500.00"),
        )
