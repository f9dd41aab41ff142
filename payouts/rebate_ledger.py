"""The ledger's side of the rebate engine: what referrals calls through its port
(`referrals.rebates.ledger_port`). The two posting functions run wherever an order's rebate or a
bonus changes, in the transaction that made the change: each gathers the ledger's facts, asks
`payouts.rules` where the money goes, and posts once under the cause's key. `order_settled`
tells referrals' pages which orders a settlement run has settled."""

from functools import cache

from django.db.models import Exists, OuterRef, Sum

from portal.kernel.money import round_yuan

from . import rules
from .ledger import Line, PostingDraft, ambassadors_locked, ambassadors_share_locked, post, post_many
from .models import Bucket, Entry, Posting


def rebate_post(*, order, change):
    """Bring the ledger to the order's current rebate, for every ambassador it ever
    credited; `change` (a RebateChange) is the posting's cause."""
    earned = _earned([order]).get(order.pk, {})
    wanted = _wanted(order)
    if not any(wanted.values()) and not any(earned.values()):
        return  # nothing earned before, nothing now: most decisions (unpaid, not rebated) stop here
    cancelled = ambassadors_share_locked(set(earned) | set(wanted))
    # Read under the lock: a settlement run holds it exclusively while it settles the order.
    settled = _settled([order]).get(order.pk, set())
    post(
        key=_key(change),
        kind=Posting.Kind.REBATE,
        lines=_lines(order, wanted, earned, settled, cancelled),
        order=order,
        rebate_change=change,
    )


def rebates_post(changes):
    """`rebate_post` for many orders, each given with its change: the ledger's facts read once
    for all of them, their postings and entries written with one statement each (`post_many`)."""
    changes = list(changes)
    earned = _earned([order for order, _ in changes])
    moving = [
        (order, change)
        for order, change in changes
        if any(_wanted(order).values()) or any(earned.get(order.pk, {}).values())
    ]
    if not moving:
        return
    cancelled = ambassadors_share_locked(
        {ambassador for order, _ in moving for ambassador in set(earned.get(order.pk, {})) | set(_wanted(order))}
    )
    settled = _settled([order for order, _ in moving])
    post_many(
        PostingDraft(
            key=_key(change),
            kind=Posting.Kind.REBATE,
            lines=_lines(order, _wanted(order), earned.get(order.pk, {}), settled.get(order.pk, set()), cancelled),
            cause={"order": order, "rebate_change": change},
        )
        for order, change in moving
    )


def _key(change):
    return f"rebate:{change.pk}"


def _wanted(order):
    return {order.ambassador_id: order.rebate} if order.ambassador_id else {}


def _earned(orders):
    """What the rebate postings hold for each order, by ambassador: {order id: {ambassador id: yuan}}."""
    earned = {}
    entries = Entry.objects.filter(order__in=[order.pk for order in orders], posting__kind=Posting.Kind.REBATE)
    for order_id, ambassador_id, total in entries.values_list("order", "ambassador").annotate(total=Sum("amount")):
        earned.setdefault(order_id, {})[ambassador_id] = round_yuan(total)
    return earned


def _settled(orders):
    """For whom a settlement run has settled each order: {order id: {ambassador ids}}."""
    settled = {}
    entries = Entry.objects.filter(order__in=[order.pk for order in orders], posting__kind=Posting.Kind.SETTLEMENT)
    for order_id, ambassador_id in entries.values_list("order", "ambassador"):
        settled.setdefault(order_id, set()).add(ambassador_id)
    return settled


def _lines(order, wanted, earned, settled, cancelled):
    moves = rules.rebate_moves(
        wanted=wanted,
        earned=earned,
        settled=settled,
        cancelled={ambassador_id for ambassador_id, ended in cancelled.items() if ended},
    )
    return [Line(move.ambassador_id, move.bucket, move.amount, order.pk) for move in moves]


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
