"""Pure decisions of payouts over facts the services gather: where the ledger puts a rebate's
money, and when Alipay may be asked where a withdrawal stands. No database here; the services in
`rebate_ledger.py` and `withdrawals.py` read the facts, call these and write."""

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from portal.kernel.money import round_yuan

from .models import Withdrawal
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


# A withdrawal left `submitted` this long (its worker died mid-call) is asked about.
STALE_AFTER = timedelta(minutes=10)


class QueryDue(StrEnum):
    """Whether Alipay may be asked where a withdrawal stands (R11.1)."""

    ASK = "ask"
    TOO_SOON = "too_soon"  # its transfer may still be on the wire: "not found" now would send it again
    SETTLED = "settled"  # paid, failed or not yet sent: Alipay's answer is known or not awaited


def withdrawal_query_due(*, state: str, submitted_at: datetime | None, now: datetime) -> QueryDue:
    """R11.1: a withdrawal's fate is open when Alipay's answer was unknown, or when it was
    submitted at least STALE_AFTER ago and no answer came (its worker died)."""
    if state == Withdrawal.State.UNKNOWN:
        return QueryDue.ASK
    if state != Withdrawal.State.SUBMITTED:
        return QueryDue.SETTLED
    if submitted_at is None or submitted_at >= now - STALE_AFTER:
        return QueryDue.TOO_SOON
    return QueryDue.ASK
