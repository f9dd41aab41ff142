"""Every write about orders and rebates: applying billing's snapshots and deciding (R1, R2, R4, R6)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, Q
from django.utils import timezone

from ambassadors.identity import shared_signal_kinds
from ambassadors.models import IdentitySignal
from portal.kernel.compiled_queries import DATETIME, NUMBER, CompiledQuery
from portal.kernel.months import month_of
from referrals.attribution.services import customer_mark_old, customer_profile_locked
from referrals.models import (
    Association,
    CustomerProfile,
    EndReason,
    Order,
    Product,
    Reason,
    RebateChange,
    RiskCase,
    RuleSet,
)

from . import redecision, rules
from .ledger_port import rebate_ledger
from .selectors import rebates_held_for

BILLING_PRECISION = timedelta(seconds=1)  # billing's times are whole seconds; visits keep microseconds


@dataclass(frozen=True)
class OrderSnapshot:
    """One `order.updated` snapshot, already validated (referrals/billing/schema.py)."""

    billing_id: str
    customer: AbstractBaseUser  # an account: settings.AUTH_USER_MODEL
    product: Product
    billing: str
    kind: str
    trial: bool
    activity: str
    amount: Decimal
    period_days: int
    placed_at: datetime
    status: str
    paid_at: datetime | None
    refunded_amount: Decimal
    refunded_at: datetime | None
    version: int


@transaction.atomic
def order_snapshot_apply(snapshot: OrderSnapshot, *, today=None):
    """Store a snapshot unless a newer one is stored already, then decide the
    order and re-decide the customer's later orders it may change (R1.3, R2.1).

    Duplicates and snapshots arriving out of order change nothing: a version
    not newer than the stored one is acknowledged and ignored.

    This is the reference: `referrals.rebates.snapshot_batches` applies many customers'
    snapshots at once with the same steps, and the event-stream tests compare the two.
    """
    profile = customer_profile_locked(snapshot.customer)  # one customer's orders are judged one at a time
    order = orders_locked([snapshot.billing_id]).get(snapshot.billing_id)
    if order is not None and order.version >= snapshot.version:
        return snapshot_not_applied(snapshot, order)
    order = order or Order(billing_id=snapshot.billing_id)
    taken = snapshot_take(order, snapshot)
    if customer_turns_old(order, profile):
        customer_mark_old(customer=order.customer, at=order.paid_at)
    order_decide(order, cause=taken.cause, today=today)
    since = redecision.changed_since(taken.contribution_before, order_contribution(order))
    if since is not None:
        for other in others_to_redecide({order.customer_id: since}, exclude=[order.pk], today=today):
            order_decide(other, cause=RebateChange.Cause.REJUDGED, today=today)
    return snapshot_applied(order)


def orders_locked(billing_ids):
    """The stored orders with these billing ids, locked, by billing id, in the order of their ids."""
    # NO KEY: a settlement run's new ledger rows check their key to the order while it holds the
    # ambassador's ledger; a full FOR UPDATE here would block that check and deadlock with it.
    locked = (
        Order.objects.select_for_update(of=("self",), no_key=True)
        .select_related("rule_set", "product")
        .filter(billing_id__in=billing_ids)
        .order_by("pk")
    )
    return {order.billing_id: order for order in locked}


def snapshot_not_applied(snapshot, order):
    return {"order": snapshot.billing_id, "applied": False, "stored_version": order.version}


def snapshot_applied(order):
    return {"order": order.billing_id, "applied": True, "reason": order.reason, "rebate": str(order.rebate)}


@dataclass(frozen=True)
class SnapshotTaken:
    """What an order was before a snapshot, as far as its decision and the others' need it."""

    contribution_before: redecision.Contribution | None
    cause: str  # the cause of the rebate change the snapshot may make


def snapshot_take(order, snapshot) -> SnapshotTaken:
    """Copy the snapshot onto the order (not saved) and say what it was before."""
    contribution_before = order_contribution(order) if order.pk else None
    previous_refund = order.refunded_amount if order.pk else Decimal("0")
    was_paid = bool(order.pk) and _paid(order)
    for field in (
        "customer", "product", "billing", "kind", "trial", "activity", "amount", "period_days",
        "placed_at", "status", "paid_at", "refunded_amount", "refunded_at", "version",
    ):  # fmt: skip
        setattr(order, field, getattr(snapshot, field))
    cause = RebateChange.Cause.DECISION
    if order.refunded_amount > previous_refund:
        cause = RebateChange.Cause.REFUND
    elif _paid(order) and not was_paid:
        cause = RebateChange.Cause.PAYMENT
    return SnapshotTaken(contribution_before=contribution_before, cause=cause)


def customer_turns_old(order, profile) -> bool:
    """R1.2: whether paying for this order makes its customer old, or old earlier than known."""
    already_old = profile.became_old_at is not None and order.paid_at and profile.became_old_at <= order.paid_at
    return bool(
        _paid(order)
        and not already_old
        and rules.makes_customer_old(
            cloud_product=order.product.makes_customer_old, amount=order.amount, trial=order.trial
        )
    )


def others_to_redecide(since_by_customer, *, exclude, today=None):
    """A payment can change what the customer's other unsettled orders are (R1.3, R2.1): only
    those placed or paid from its time on (referrals/rebates/redecision.py). Locked, each
    customer's in the order they were placed."""
    reached = Q()
    for customer_id, since in since_by_customer.items():
        reached |= Q(customer_id=customer_id) & (Q(placed_at__gte=since) | Q(paid_at__gte=since))
    return (
        Order.objects.filter(reached)
        .exclude(pk__in=exclude)
        .filter(unsettled_on(today or timezone.localdate()))
        .select_for_update(of=("self",), no_key=True)
        .select_related("customer", "product", "rule_set")
        .order_by("customer_id", "placed_at", "pk")
    )


PAID_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED)


def _paid(order):
    return order.paid_at is not None and order.status in PAID_STATUSES


def order_contribution(order):
    """The order as its customer's other orders' facts count it (referrals/rebates/redecision.py)."""
    return redecision.contribution_of(
        status=order.status,
        paid_at=order.paid_at,
        amount=order.amount,
        trial=order.trial,
        product_id=order.product_id,
        category=order.product.category,
        paid_statuses=PAID_STATUSES,
    )


@dataclass(frozen=True)
class DecisionFacts:
    """Everything one order's decision reads besides the order itself."""

    association: Association | None  # the one holding the customer when the order was placed
    rule_set: RuleSet | None
    shared: frozenset  # the signals the customer shares with the association's ambassador
    customer: rules.CustomerFacts
    ever_associated: bool
    rebates_held: Callable[[], bool]  # the ambassador's new rebates wait for the risk desk (R9.3)


@dataclass
class Decided:
    """A decision stored on its order (not yet saved), and what it leaves to record."""

    order: Order
    change: RebateChange | None  # unsaved: a first decision, or a change of rebate or ambassador
    posts: bool  # whether the ledger moves
    opens_case: bool  # R4.4: a same-person order the desk has not ruled on


def order_decide(order, *, cause=RebateChange.Cause.REJUDGED, today=None):
    """Gather the facts of one order, decide it (referrals.rebates.rules) and store the
    decision; a change of the rebate is kept as its own row with its cause."""
    today = today or timezone.localdate()
    association = _association_at(order.customer, order.placed_at)
    ambassador = association.ambassador if association else None
    customer, ever_associated = customer_facts_of(order)
    facts = DecisionFacts(
        association=association,
        rule_set=rule_set_for(order),
        shared=frozenset(shared_signal_kinds(ambassador.user, order.customer) if ambassador else ()),
        customer=customer,
        ever_associated=ever_associated,
        rebates_held=lambda: rebates_held_for(ambassador.pk),  # asked only of a rebate to be paid
    )
    decided = decision_take(order, facts, cause=cause, today=today)
    order.save()
    decisions_record([decided])
    return order


def decision_take(order, facts: DecisionFacts, *, cause, today) -> Decided:
    """Decide the order from its facts and put the decision on it (not saved)."""
    ambassador_id = facts.association.ambassador_id if facts.association else None
    result = rules.rebate_decide(
        order=_order_facts(order),
        customer=facts.customer,
        association=rules.AssociationFacts(active_ambassador_id=ambassador_id, ever_associated=facts.ever_associated),
        rules=_rule_facts(facts.rule_set) if facts.rule_set else None,
        same_person=rules.same_person(signals_shared=bool(facts.shared), risk_verdict=order.risk_verdict),
    )
    before, first, previous_ambassador = order.rebate, order.decided_at is None, order.ambassador_id
    settles_on = _settlement_date(order)
    order.ambassador = facts.association.ambassador if facts.association else None
    order.association = facts.association
    order.rule_set = facts.rule_set
    order.order_type = result.order_type
    order.rate = result.rate
    order.rebate = result.rebate
    order.reason = result.reason
    order.settles_on = settles_on
    order.decided_at = timezone.now()
    if ambassador_id and not result.reason and facts.rebates_held():
        order.on_hold = True  # R9.3: the ambassador's rebates wait for the risk desk
    change = None
    if first or before != order.rebate or previous_ambassador != order.ambassador_id:
        change = RebateChange(
            order=order,
            cause=RebateChange.Cause.DECISION if first else cause,
            before=before,
            after=order.rebate,
            reason_after=order.reason,
            # R6.2: a change after settlement is a clawback, posted as debt by payouts.
            after_settlement=not first and settles_on is not None and settles_on <= today,
        )
    return Decided(
        order=order,
        change=change,
        # A first decision of nothing: the ledger holds nothing to move.
        posts=change is not None and (not first or bool(order.rebate)),
        opens_case=result.reason == Reason.SAME_PERSON and bool(facts.shared) and not order.risk_verdict,
    )


def decisions_record(decided: list[Decided]):
    """After the orders are saved: the desk's same-person cases, the rebate changes in one
    statement, and the changes posted to the ledger, together when there are several."""
    for one in decided:
        if one.opens_case:
            same_person_case_open(one.order)
    RebateChange.objects.bulk_create([one.change for one in decided if one.change is not None])
    posting = [(one.order, one.change) for one in decided if one.posts]
    # One posting goes through `rebate_post`, as applying an event alone always has: the reference
    # that the event-stream tests hold the batched `rebates_post` to (payouts/tests/test_event_streams.py).
    if len(posting) == 1:
        rebate_ledger().rebate_post(order=posting[0][0], change=posting[0][1])
    elif posting:
        rebate_ledger().rebates_post(posting)


def _association_at(customer, moment):
    """The association that held the customer at `moment` (R4.1), compared at
    billing's precision: one that started within the order's second counts,
    since billing cannot say that the order came before the visit. When two
    did (a takeover in that second), the later visit wins (R3.2)."""
    return (
        Association.objects.select_related("ambassador__user")
        .filter(customer=customer, started_at__lt=end_of_billing_second(moment), expires_at__gt=moment)
        # Paying for this very order may end the association (R3.4) at the moment it was placed.
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment) | Q(ended_at=moment, end_reason=EndReason.BECAME_OLD))
        .order_by("-started_at")
        .first()
    )


def end_of_billing_second(moment):
    """The first instant after the billing second that `moment` falls in."""
    return moment.replace(microsecond=0) + BILLING_PRECISION


def rule_set_for(order, in_force_for=RuleSet.objects.in_force_for):
    """R5.2: the rules in force for the month the order was placed in. An order
    keeps the version it was first judged with (R5.6): a correction of those
    terms published later applies to orders decided after it."""
    in_force = in_force_for(month_of(timezone.localtime(order.placed_at)))
    if order.rule_set_id and in_force and order.rule_set.month == in_force.month:
        return order.rule_set
    return in_force


def _rule_facts(rule_set):
    """A published rule set never changes (R5.6), so its facts are read once per
    process; the publication time in the key keeps a re-used id from matching."""
    return _published_rule_facts(rule_set.pk, rule_set.published_at)


@lru_cache(maxsize=64)
def _published_rule_facts(rule_set_pk, published_at):
    rule_set = RuleSet.objects.get(pk=rule_set_pk)
    return rules.RuleFacts(
        rates={
            "member_first_purchase": rule_set.member_first_purchase_rate,
            "product_first_purchase": rule_set.product_first_purchase_rate,
            "new_purchase": rule_set.new_purchase_rate,
            "renewal": rule_set.renewal_rate,
            "upgrade": rule_set.upgrade_rate,
        },
        rebate_product_codes=frozenset(rule_set.rebate_products.values_list("code", flat=True)),
        excluded_activities=frozenset(rule_set.excluded_activities),
    )


def _order_facts(order):
    return rules.OrderFacts(
        kind=order.kind,
        prepaid=order.billing == Order.Billing.PREPAID,
        trial=order.trial,
        activity=order.activity,
        product_code=order.product.code,
        product_takes_first_purchase_slot=order.product.takes_first_purchase_slot,
        amount=order.amount,
        refunded_amount=order.refunded_amount,
        paid=_paid(order),
    )


def _paid_before(customers, moment):
    """Orders of these customers paid before `moment` (R1.3: "from the orders paid before it")."""
    return Order.objects.filter(
        customer__in=customers,
        paid_at__lt=moment,
        status__in=[Order.Status.PAID, Order.Status.REFUNDED],
        amount__gt=0,
        trial=False,
    )


def _customer_facts_query(*, customer, order, product, placed_at, placed_second_end, paid_reference, paid_or_placed):
    """R1.3: newness at the moment the order was placed; R2.1: the first purchase
    is the first *paid*, so the slot is judged by payment time; R2.4: the slot taken by an
    account sharing an identity signal; R4.1: whether any visit associated the customer
    before the order. One query for the segment and these facts, each an EXISTS that stops at
    the first match (index `order_customer_paid`), so a long history costs no more than a short
    one. Every argument is an id or a time: the query is compiled once (CUSTOMER_FACTS)."""
    earlier = _paid_before([customer], paid_reference).exclude(pk=order)
    hashes = IdentitySignal.objects.filter(user=customer).values("value_hash")
    same_person = IdentitySignal.objects.filter(value_hash__in=hashes).exclude(user=customer).values("user")
    return (
        CustomerProfile.objects.filter(customer=customer)
        .annotate(
            old=Exists(earlier.filter(paid_at__lt=placed_at, product__category=Product.Category.CLOUD)),
            slot=Exists(earlier.exclude(product__category=Product.Category.DOMAIN)),
            product_bought=Exists(earlier.filter(product=product)),
            same_person_slot=Exists(
                _paid_before(same_person, paid_or_placed).exclude(product__category=Product.Category.DOMAIN)
            ),
            ever_associated=Exists(Association.objects.filter(customer=customer, started_at__lt=placed_second_end)),
        )
        .values("segment", "old", "slot", "product_bought", "same_person_slot", "ever_associated")
    )


@dataclass(frozen=True)
class CustomerFactsRow:
    segment: str
    old: bool
    slot: bool
    product_bought: bool
    same_person_slot: bool
    ever_associated: bool

    def facts(self):
        """The customer's facts for `rules.rebate_decide`, and whether they were ever associated."""
        customer = rules.CustomerFacts(
            segment=self.segment,
            old=self.old,
            first_purchase_slot_taken=self.slot,
            product_bought_before=self.product_bought,
            same_person_slot_taken=self.same_person_slot,
        )
        return customer, self.ever_associated


CUSTOMER_FACTS = CompiledQuery(
    _customer_facts_query,
    slots={
        "customer": NUMBER,
        "order": NUMBER,
        "product": NUMBER,
        "placed_at": DATETIME,
        "placed_second_end": DATETIME,
        "paid_reference": DATETIME,
        "paid_or_placed": DATETIME,
    },
    row_type=CustomerFactsRow,
)


def _customer_facts_slots(order):
    """The values of CUSTOMER_FACTS for one order; a new order (no id yet) excludes no row (0)."""
    return {
        "customer": order.customer_id,
        "order": order.pk or 0,
        "product": order.product_id,
        "placed_at": order.placed_at,
        "placed_second_end": end_of_billing_second(order.placed_at),
        "paid_reference": max(order.paid_at or order.placed_at, order.placed_at),
        "paid_or_placed": order.paid_at or order.placed_at,
    }


def customer_facts_of(order):
    """The customer's facts when the order was placed and paid, and whether any visit
    associated them before it (CUSTOMER_FACTS)."""
    (row,) = CUSTOMER_FACTS.rows({}, _customer_facts_slots(order))
    return row.facts()


def _settlement_date(order) -> date | None:
    """R7.1 on the day the order was paid, by the Asia/Shanghai calendar."""
    return rules.settlement_date(timezone.localtime(order.paid_at).date() if _paid(order) else None)


@transaction.atomic
def customer_orders_rejudge(customer, *, today=None, redecide=None):
    """Decide again the unsettled orders that the customer's segment or identity
    signals bear on (R4.3, R4.4, R2.4): the customer's own, those of every
    account sharing a signal with them, and those where they are the ambassador.
    `redecide(orders, today=)` decides the locked orders: one by one unless a batch
    decides them together (`snapshot_batches.orders_redecide`). Returns how many."""
    today = today or timezone.localdate()
    customer_profile_locked(customer)  # not at the same time as this customer's snapshots
    orders = list(orders_customer_bears_on(customer, today=today))
    (redecide or _orders_rejudge_each)(orders, today=today)
    return len(orders)


def _orders_rejudge_each(orders, *, today):
    for order in orders:
        order_decide(order, cause=RebateChange.Cause.REJUDGED, today=today)


def unsettled_on(today):
    """Orders whose rebate is not settled on `today`: a decision may still change them (R7)."""
    return Q(settles_on__isnull=True) | Q(settles_on__gt=today)


def orders_customer_bears_on(customer, *, today):
    """The unsettled orders the customer's segment or signals bear on, locked, oldest first."""
    hashes = IdentitySignal.objects.filter(user=customer).values("value_hash")
    linked = IdentitySignal.objects.filter(value_hash__in=hashes).values("user")
    return (
        Order.objects.select_for_update(of=("self",), no_key=True)
        .filter(Q(customer=customer) | Q(customer__in=linked) | Q(ambassador__user=customer))
        .filter(unsettled_on(today))
        .select_related("customer", "product", "rule_set")
        .order_by("placed_at", "pk")
    )


def same_person_case_open(order):
    """R4.4: an order found to be the ambassador's own is invalid and waits on the desk.
    The case names the signals as the customer showed them (a phone the ambassador
    also uses as an Alipay logon id is the customer's phone, not a payment account).
    The rebate engine writes the case row itself: risk control sits above rebates, which
    never call it; the desk decides the case from there."""
    if order.risk_verdict or RiskCase.objects.filter(order=order, status=RiskCase.Status.OPEN).exists():
        return None
    return RiskCase.objects.create(
        kind=RiskCase.Kind.SAME_PERSON_ORDER,
        ambassador=order.ambassador,
        order=order,
        signals=",".join(sorted(shared_signal_kinds(order.customer, order.ambassador.user))),
    )
