"""The two strengths of the lock on an ambassador's ledger, on PostgreSQL with real row locks:
rebate postings share it, so two workers post one ambassador's rebates side by side; a
settlement (or a withdrawal) takes it alone and waits for them, as they wait for it (R6.2, R7.1)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction

from payouts.ledger import ambassadors_locked, ambassadors_share_locked, balances_of
from payouts.models import Entry, Posting
from payouts.settlement import settlement_run
from portal.tests.threads import run_together

from .helpers import paid_order, refund

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rules(reference_data, current_rules):
    return current_rules


def _holding_in_another_connection(lock, ambassador_id):
    """Take `lock` on the ambassador in a thread's own transaction and keep it until released."""
    taken, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock([ambassador_id])
                taken.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return release, thread


def _within(milliseconds, lock, ambassador_id):
    """Take `lock` here, waiting at most `milliseconds` for it: True if taken."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{milliseconds}ms'")
            lock([ambassador_id])
        return True
    except OperationalError:
        return False


@pytest.mark.parametrize(
    ("held", "wanted", "granted"),
    [
        (ambassadors_share_locked, ambassadors_share_locked, True),  # two postings side by side
        (ambassadors_share_locked, ambassadors_locked, False),  # a settlement waits for a posting
        (ambassadors_locked, ambassadors_share_locked, False),  # a posting waits for a settlement
        (ambassadors_locked, ambassadors_locked, False),
    ],
)
def test_postings_share_the_ledger_lock_and_settlement_takes_it_alone(bound_ambassador, held, wanted, granted):
    release, thread = _holding_in_another_connection(held, bound_ambassador.pk)
    try:
        assert _within(300, wanted, bound_ambassador.pk) is granted
    finally:
        release.set()
        thread.join()


def test_the_share_lock_reads_whether_the_membership_ended(bound_ambassador):
    with transaction.atomic():
        assert ambassadors_share_locked([bound_ambassador.pk, None]) == {bound_ambassador.pk: False}


def test_refunds_posted_while_the_settlement_runs_land_in_the_bucket_of_their_moment(bound_ambassador, rules):
    """Each refund reduces pending if it came before the run settled its order, or is clawed
    back from withdrawable after (R6.2): whichever came first, nothing is counted twice."""
    orders = [paid_order(bound_ambassador, amount="400.00", paid=f"2026-11-0{day} 10:00") for day in range(1, 7)]

    def refund_half(order):
        return lambda: refund(order, "200.00", on="2026-12-10 09:00")

    run_together(lambda: settlement_run(date(2026, 12, 10)), *[refund_half(order) for order in orders])
    figures = balances_of(bound_ambassador)
    # Six rebates of ¥100 each lost half: ¥300 in all, settled or pending, none lost or doubled.
    assert figures.pending + figures.withdrawable - figures.debt == Decimal("300.00")
    assert figures.pending == Decimal("0.00")  # every order settled, before or after its refund
    assert Posting.objects.filter(kind=Posting.Kind.SETTLEMENT).count() == 6
    assert Entry.objects.filter(order__in=orders).exclude(posting__kind=Posting.Kind.SETTLEMENT).count() == 12
