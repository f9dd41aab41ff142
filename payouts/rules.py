"""Where the ledger puts money: pure decisions over facts the posting services gather.
No database here; the services in `rebate_ledger.py` read the facts, call these and post."""

from decimal import Decimal
from typing import NamedTuple

from portal.kernel.money import round_yuan

from .models.ledger import Bucket


class Move(NamedTuple):
    """An amount for one ambassador in one bucket."""

    ambassador_id: int
    bucket: str
    amount: Decimal


def rebate_bucket(difference: Decimal, *, settled: bool, cancelled: bool) -> str:
    """Where a change of an order's rebate goes for one ambassador (R6.2, R10.2):
    for a cancelled ambassador, forfeited; after settlement, a cut is debt (挂账) and a
    rise is withdrawable at once; before it, pending."""
    if cancelled:
        return Bucket.FORFEITED
    if settled:
        return Bucket.DEBT if difference < 0 else Bucket.WITHDRAWABLE
    return Bucket.PENDING


def rebate_moves(
    *, wanted: dict[int, Decimal], earned: dict[int, Decimal], settled: set[int], cancelled: set[int]
) -> list[Move]:
    """What bringing the ledger to an order's current rebate moves.

    `wanted` is the rebate the order earns now, by ambassador (at most one); `earned` what the
    ledger's rebate postings already hold for the order, by ambassador; `settled` and `cancelled`
    name the ambassadors for whom the order has settled and whose membership has ended.
    Reconciling rather than adding a change's difference means an order that moved to another
    ambassador on re-judging leaves the first with nothing."""
    moves = []
    for ambassador_id in sorted(set(wanted) | set(earned)):
        # round_yuan: SQLite sums decimals as floats; the ledger holds fen only.
        difference = round_yuan(wanted.get(ambassador_id, 0) - earned.get(ambassador_id, 0))
        if difference:
            bucket = rebate_bucket(difference, settled=ambassador_id in settled, cancelled=ambassador_id in cancelled)
            moves.append(Move(ambassador_id, bucket, difference))
    return moves
