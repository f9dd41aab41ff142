"""The ledger's side of the rebate engine: what referrals calls through its port
(`referrals.rebates.ledger_port`). The two posting functions run wherever an order's rebate or a
bonus changes, in the transaction that made the change: each gathers the ledger's facts, asks
`payouts.rules` where the money goes, and posts once under the cause's key. `order_settled`
tells referrals' pages which orders a settlement run has settled."""

from functools import cache

from django.db.models import Exists, OuterRef, Sum

from portal.kernel.money import round_yuan

from . import rules
from .ledger import Line, ambassadors_locked, ambassadors_share_locked, post
from .models import Bucket, Entry, Posting


def rebate_post(*, order, change):
    """Bring the ledger to the order's current rebate, for every ambassador it ever
    credited; `change` (a RebateChange) is the posting's cause."""
    earned = {
        ambassador_id: round_yuan(total)
        for ambassador_id, total in Entry.objects.filter(order=order, posting__kind=Posting.Kind.REBATE)
        .values_list("ambassador")
        .annotate(total=Sum("amount"))
    }
    wanted = {order.ambassador_id: order.rebate} if order.ambassador_id else {}
    if not any(wanted.values()) and not any(earned.values()):
        return  # nothing earned before, nothing now: most decisions (unpaid, not rebated) stop here
    cancelled = ambassadors_share_locked(set(earned) | set(wanted))
    # Read under the lock: a settlement run holds it exclusively while it settles the order.
    settled = set(
        Entry.objects.filter(order=order, posting__kind=Posting.Kind.SETTLEMENT).values_list("ambassador", flat=True)
    )
    moves = rules.rebate_moves(
        wanted=wanted,
        earned=earned,
        settled=settled,
        cancelled={ambassador_id for ambassador_id, ended in cancelled.items() if ended},
    )
    post(
        key=f"rebate:{change.pk}",
        kind=Posting.Kind.REBATE,
        lines=[Line(move.ambassador_id, move.bucket, move.amount, order.pk) for move in moves],
        order=order,
        rebate_change=change,
    )


def ledgers_hold(ambassador_ids):
    """The shared lock of `rebate_post` on each of these ambassadors, taken in id order up front."""
    ambassadors_share_locked(ambassador_ids)


def bonus_post(*, bonus):
    """An extra rebate is pending until the month after next (R5.5, R7.2)."""
    ambassadors_locked([bonus.ambassador_id])
    post(
        key=f"bonus:{bonus.pk}",
        kind=Posting.Kind.BONUS,
        lines=[Line(bonus.ambassador_id, Bucket.PENDING, bonus.amount)],
        bonus=bonus,
    )


@cache  # built once: every list of orders asks for it, and a query copies what it uses
def order_settled():
    """True where a settlement run has settled the order of the outer query (`OuterRef("pk")`):
    the one definition of 已结算 the pages and the API read (R7.1)."""
    return Exists(Posting.objects.filter(kind=Posting.Kind.SETTLEMENT, order=OuterRef("pk")))
