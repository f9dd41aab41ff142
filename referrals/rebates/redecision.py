"""Which of a customer's other orders a changed order can re-decide (R1.3, R2.1, R3.4, R4.1, R4.5, R4.6).

Another order O of the same customer reads the changed order E through these facts only
(`referrals.rebates.services`):

- R4.5 / R1.3, *old*: E was paid before O was placed (`E.paid_at < O.placed_at`);
- R4.6 / R2.1, *the first-purchase slot*: E, not a domain, was paid before O's payment
  (`E.paid_at < max(O.paid_at, O.placed_at)`); the same reading gives R5.1's *product bought
  before*;
- R4.1 / R3.4, *the association*: paying for E makes the customer old at `E.paid_at`, which
  ends every association still running then at `E.paid_at` or later; an order placed before
  that moment keeps its association.

Every one of these counts E only as a paid order ("paid before": status paid or refunded, a
payment time, an amount above zero, not a trial) through its payment time, its product and
the product's category: its *contribution*. An E whose contribution is the same before and
after the snapshot changes no other order (a refund, for one: a refunded order was still
paid). Otherwise every moment at which any of those facts flips is at or after the earlier
of the old and the new payment time, so the orders to decide again are those placed or paid
at or after it: the later orders, and among them the holder of the first-purchase slot when E
now takes it first. Earlier orders keep their facts, whatever their number.

What E does not change is not re-decided here: the segment, identity signals and the risk
desk's word have their own re-decisions (`customer_orders_rejudge`, the risk desk).
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Contribution:
    """What an order shows its customer's other orders: nothing unless paid (R2.3, R8.1)."""

    paid_at: datetime
    product_id: int
    category: str


def contribution_of(*, status, paid_at, amount, trial, product_id, category, paid_statuses) -> Contribution | None:
    """The order as the other orders' facts count it, or None when they do not count it."""
    if status not in paid_statuses or paid_at is None or amount <= 0 or trial:
        return None
    return Contribution(paid_at=paid_at, product_id=product_id, category=category)


def changed_since(before: Contribution | None, after: Contribution | None) -> datetime | None:
    """The earliest moment from which the other orders' facts may differ, or None when none can."""
    if before == after:
        return None
    return min(contribution.paid_at for contribution in (before, after) if contribution is not None)
