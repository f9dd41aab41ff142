"""The rebate decision (R4): a pure function of plain facts, no database.

`order_decide` in referrals/rebates/services.py gathers the facts and stores the
result; everything the rules say about one order is decided here.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal.kernel.money import ZERO, round_yuan
from portal.kernel.months import add_months
from referrals.models.orders import OrderType, Reason, RiskVerdict

SETTLEMENT_DELAY = timedelta(days=30)  # R7.1: paid on 1 April, settles on 1 May


def makes_customer_old(*, cloud_product: bool, amount: Decimal, trial: bool) -> bool:
    """R1.1–1.2: paying for a cloud product makes the customer old; a free (0-yuan) order, a
    trial, a domain or a virtual host (not cloud products) leaves them new."""
    return cloud_product and amount > 0 and not trial


def same_person(*, signals_shared: bool, risk_verdict: str) -> bool:
    """R4.4: buyer and ambassador share an identity signal (R9.1), unless the risk desk has
    ruled on the order: its verdict outweighs the signals from then on (R9.3)."""
    if risk_verdict == RiskVerdict.CONFIRMED:
        return True
    return signals_shared and risk_verdict != RiskVerdict.CLEARED


def settlement_date(paid_on: date | None) -> date | None:
    """R7.1: an order's rebate settles on day 31 after the day it was paid (by the Asia/Shanghai
    calendar: the caller gives that day); an unpaid order never settles."""
    return None if paid_on is None else paid_on + SETTLEMENT_DELAY


def bonus_settlement_date(quarter: date) -> date:
    """R7.2: extra rebates settle in the month after next (隔月), counted from the last month of
    the quarter they were earned in: the first day of that month."""
    return add_months(quarter, 2 + 2)


@dataclass(frozen=True)
class OrderFacts:
    kind: str  # "new", "renew" or "upgrade"
    prepaid: bool
    trial: bool
    activity: str
    product_code: str
    product_takes_first_purchase_slot: bool
    amount: Decimal
    refunded_amount: Decimal
    paid: bool  # paid at some time (a refunded order was paid)

    @property
    def kept_amount(self):
        return self.amount - self.refunded_amount

    @property
    def takes_first_purchase_slot(self):
        """R2.1–2.3: a paid order, not a domain, not free, not a trial."""
        return self.paid and self.product_takes_first_purchase_slot and self.amount > 0 and not self.trial


@dataclass(frozen=True)
class CustomerFacts:
    """What was true of the customer when the order was placed (R1.3)."""

    segment: str  # "normal", "cbm" or "partner"
    old: bool  # R1: had paid for a cloud product before this order
    first_purchase_slot_taken: bool  # R2.1: a slot-taking order was paid before this one
    product_bought_before: bool
    same_person_slot_taken: bool  # R2.4: a same-person account made its member first purchase


@dataclass(frozen=True)
class AssociationFacts:
    active_ambassador_id: int | None  # the association that held the customer when the order was placed
    ever_associated: bool


@dataclass(frozen=True)
class RuleFacts:
    rates: Mapping[str, Decimal]  # by OrderType
    rebate_product_codes: frozenset
    excluded_activities: frozenset


@dataclass(frozen=True)
class Decision:
    reason: str  # a Reason, or "" when the order earns its rebate
    order_type: str
    rate: Decimal
    rebate: Decimal


def order_type_of(order: OrderFacts, customer: CustomerFacts) -> str:
    if order.takes_first_purchase_slot and not customer.first_purchase_slot_taken:
        return OrderType.MEMBER_FIRST_PURCHASE
    if order.kind == "renew":
        return OrderType.RENEWAL
    if order.kind == "upgrade":
        return OrderType.UPGRADE
    if not customer.product_bought_before:
        return OrderType.PRODUCT_FIRST_PURCHASE
    return OrderType.NEW_PURCHASE


def rebate_decide(
    *,
    order: OrderFacts,
    customer: CustomerFacts,
    association: AssociationFacts,
    rules: RuleFacts | None,
    same_person: bool,
) -> Decision:
    """R4: the rebate, or the reason code of the first condition that fails."""
    order_type = order_type_of(order, customer)
    rate = (rules.rates.get(order_type) or ZERO) if rules else ZERO

    def refused(reason):
        return Decision(reason=reason, order_type=order_type, rate=rate, rebate=ZERO)

    if association.active_ambassador_id is None:  # R4.1
        return refused(Reason.OUTSIDE_WINDOW if association.ever_associated else Reason.NO_ASSOCIATION)
    if not order.paid:  # R4.2, R8.1
        return refused(Reason.UNPAID)
    if customer.segment != "normal":  # R4.3
        return refused(Reason.CBM_OR_PARTNER)
    if same_person:  # R4.4, R9
        return refused(Reason.SAME_PERSON)
    if customer.old:  # R4.5, R1
        return refused(Reason.NOT_NEW_CUSTOMER)
    if rules is None:  # no month has published terms yet: nothing is a rebate product
        return refused(Reason.NOT_REBATE_PRODUCT)
    if rate <= 0:  # R4.6, R5.3: the month's terms do not rebate this kind of order
        return refused(_unrebated_type_reason(order_type))
    if order_type == OrderType.MEMBER_FIRST_PURCHASE and customer.same_person_slot_taken:  # R2.4
        return refused(Reason.SAME_PERSON_SLOT_TAKEN)
    if order.product_code not in rules.rebate_product_codes:  # R4.7
        return refused(Reason.NOT_REBATE_PRODUCT)
    if not order.prepaid:  # R4.8
        return refused(Reason.NOT_PREPAID)
    if order.activity and order.activity in rules.excluded_activities:  # R4.9
        return refused(Reason.ACTIVITY_PRODUCT)
    if order.refunded_amount > 0 and order.kept_amount <= 0:  # R4.10
        return refused(Reason.REFUNDED)
    # R6.1: the rebate is on what the customer kept.
    return Decision(reason="", order_type=order_type, rate=rate, rebate=round_yuan(rate * order.kept_amount))


def _unrebated_type_reason(order_type):
    """R4.6: an order the month pays nothing for is "not a member first purchase", unless it is
    one (a month whose terms leave even those out): its reason never contradicts its type."""
    if order_type == OrderType.MEMBER_FIRST_PURCHASE:
        return Reason.TYPE_NOT_REBATED
    return Reason.NOT_FIRST_PURCHASE
