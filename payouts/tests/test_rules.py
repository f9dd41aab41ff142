"""Where the ledger puts a rebate's change (R6.2, R10.2): pure decisions, no database."""

from decimal import Decimal

import pytest

from payouts.models import Bucket
from payouts.rules import Move, rebate_bucket, rebate_moves


@pytest.mark.parametrize(
    ("difference", "settled", "cancelled", "bucket"),
    [
        (Decimal("25.00"), False, False, Bucket.PENDING),  # R7.1: before day 31
        (Decimal("-5.00"), False, False, Bucket.PENDING),  # a refund before settlement lowers pending
        (Decimal("-5.00"), True, False, Bucket.DEBT),  # R6.2: a cut after settlement is 挂账
        (Decimal("5.00"), True, False, Bucket.WITHDRAWABLE),  # a rise after settlement is withdrawable at once
        (Decimal("25.00"), False, True, Bucket.FORFEITED),  # R10.2: nothing more for a cancelled ambassador
        (Decimal("-5.00"), True, True, Bucket.FORFEITED),
    ],
)
def test_r6_2_r10_2_the_bucket_of_a_rebates_change(difference, settled, cancelled, bucket):
    assert rebate_bucket(difference, settled=settled, cancelled=cancelled) == bucket


def test_the_moves_bring_the_ledger_to_the_current_rebate():
    moves = rebate_moves(wanted={7: Decimal("30.00")}, earned={7: Decimal("25.00")}, settled=set(), cancelled=set())
    assert moves == [Move(7, Bucket.PENDING, Decimal("5.00"))]


def test_an_order_that_changed_ambassador_leaves_the_first_with_nothing():
    moves = rebate_moves(wanted={9: Decimal("25.00")}, earned={7: Decimal("25.00")}, settled=set(), cancelled={9})
    assert moves == [Move(7, Bucket.PENDING, Decimal("-25.00")), Move(9, Bucket.FORFEITED, Decimal("25.00"))]


def test_nothing_moves_when_the_ledger_holds_the_rebate_already():
    # SQLite sums decimals as floats: 0.10 + 0.20 comes back as 0.30000000000000004.
    earned = {7: Decimal(str(0.1 + 0.2))}
    assert rebate_moves(wanted={7: Decimal("0.30")}, earned=earned, settled={7}, cancelled=set()) == []
    assert rebate_moves(wanted={}, earned={}, settled=set(), cancelled=set()) == []
