"""Every write about orders and rebates: applying billing's snapshots and deciding (R1, R2, R4, R6)."""

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
    """
    profile = customer_profile_locked(snapshot.customer)  # one customer's orders are judged one at a time
    # NO KEY: a settlement run's new ledger rows check their key to the order while it holds the
    # ambassador's ledger; a full FOR UPDATE here would block that check and deadlock with it.
    order = (
        Order.objects.select_for_update(of=("self",), no_key=True)
        .select_related("rule_set", "product")
        .filter(billing_id=snapshot.billing_id)
        .first()
    )
    if order is not None and order.version >= snapshot.version:
        return {"order": snapshot.billing_id, "applied": False, "stored_version": order.version}
    order = order or Order(billing_id=snapshot.billing_id)
    contribution_before = _contribution(order) if order.pk else None
    previous_refund = order.refunded_amount if order.pk else Decimal("0")
    was_paid = bool(order.pk) and _paid(order)
    for field in (
        "customer", "product", "billing", "kind", "trial", "activity", "amount", "period_days",
        "placed_at", "status", "paid_at", "refunded_amount", "refunded_at", "version",
    ):  # fmt: skip
        setattr(order, field, getattr(snapshot, field))
    # A new order is stored with its decision (order_decide): nothing before needs its id.
    already_old = profile.became_old_at is not None and order.paid_at and profile.became_old_at <= order.paid_at
    if (
        _paid(order)
        and not already_old
        and rules.makes_customer_old(
            cloud_product=order.product.makes_customer_old, amount=order.amount, trial=order.trial
        )
    ):
        customer_mark_old(customer=order.customer, at=order.paid_at)
    cause = RebateChange.Cause.DECISION
    if order.refunded_amount > previous_refund:
        cause = RebateChange.Cause.REFUND
    elif _paid(order) and not was_paid:
        cause = RebateChange.Cause.PAYMENT
    order_decide(order, cause=cause, today=today)
    # A payment can change what the customer's other unsettled orders are (R1.3, R2.1):
    # only those placed or paid from its time on (referrals/rebates/redecision.py).
    since = redecision.changed_since(contribution_before, _contribution(order))
    if since is not None:
        others = (
            Order.objects.filter(customer=order.customer)
            .exclude(pk=order.pk)
            .filter(Q(settles_on__isnull=True) | Q(settles_on__gt=today or timezone.localdate()))
            .filter(Q(placed_at__gte=since) | Q(paid_at__gte=since))
        )
        for other in others.select_for_update(no_key=True).order_by("placed_at"):
            order_decide(other, cause=RebateChange.Cause.REJUDGED, today=today)
    return {"order": order.billing_id, "applied": True, "reason": order.reason, "rebate": str(order.rebate)}


PAID_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED)


def _paid(order):
    return order.paid_at is not None and order.status in PAID_STATUSES


def _contribution(order):
    return redecision.contribution_of(
        status=order.status,
        paid_at=order.paid_at,
        amount=order.amount,
        trial=order.trial,
        product_id=order.product_id,
        category=order.product.category,
        paid_statuses=PAID_STATUSES,
    )


def order_decide(order, *, cause=RebateChange.Cause.REJUDGED, today=None):
    """Gather the facts of one order, decide it (referrals.rebates.rules) and store the
    decision; a change of the rebate is kept as its own row with its cause."""
    today = today or timezone.localdate()
    association = _association_at(order.customer, order.placed_at)
    ambassador = association.ambassador if association else None
    rule_set = _rule_set_for(order)
    shared = shared_signal_kinds(ambassador.user, order.customer) if ambassador else set()
    customer, ever_associated = _customer_facts(order)
    result = rules.rebate_decide(
        order=_order_facts(order),
        customer=customer,
        association=rules.AssociationFacts(
            active_ambassador_id=ambassador.pk if ambassador else None, ever_associated=ever_associated
        ),
        rules=_rule_facts(rule_set) if rule_set else None,
        same_person=rules.same_person(signals_shared=bool(shared), risk_verdict=order.risk_verdict),
    )
    before, first, previous_ambassador = order.rebate, order.decided_at is None, order.ambassador_id
    settles_on = _settlement_date(order)
    order.ambassador = ambassador
    order.association = association
    order.rule_set = rule_set
    order.order_type = result.order_type
    order.rate = result.rate
    order.rebate = result.rebate
    order.reason = result.reason
    order.settles_on = settles_on
    order.decided_at = timezone.now()
    if ambassador and not result.reason and rebates_held_for(ambassador.pk):
        order.on_hold = True  # R9.3: the ambassador's rebates wait for the risk desk
    order.save()
    if result.reason == Reason.SAME_PERSON and shared and not order.risk_verdict:
        same_person_case_open(order)
    if first or before != order.rebate or previous_ambassador != order.ambassador_id:
        change = RebateChange.objects.create(
            order=order,
            cause=RebateChange.Cause.DECISION if first else cause,
            before=before,
            after=order.rebate,
            reason_after=order.reason,
            # R6.2: a change after settlement is a clawback, posted as debt by payouts.
            after_settlement=not first and settles_on is not None and settles_on <= today,
        )
        if not first or order.rebate:  # a first decision of nothing: the ledger holds nothing to move
            rebate_ledger().rebate_post(order=order, change=change)
    return order


def _association_at(customer, moment):
    """The association that held the customer at `moment` (R4.1), compared at
    billing's precision: one that started within the order's second counts,
    since billing cannot say that the order came before the visit. When two
    did (a takeover in that second), the later visit wins (R3.2)."""
    return (
        Association.objects.select_related("ambassador__user")
        .filter(customer=customer, started_at__lt=_end_of_billing_second(moment), expires_at__gt=moment)
        # Paying for this very order may end the association (R3.4) at the moment it was placed.
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment) | Q(ended_at=moment, end_reason=EndReason.BECAME_OLD))
        .order_by("-started_at")
        .first()
    )


def _end_of_billing_second(moment):
    """The first instant after the billing second that `moment` falls in."""
    return moment.replace(microsecond=0) + BILLING_PRECISION


def _rule_set_for(order):
    """R5.2: the rules in force for the month the order was placed in. An order
    keeps the version it was first judged with (R5.6): a correction of those
    terms published later applies to orders decided after it."""
    month = month_of(timezone.localtime(order.placed_at))
    in_force = RuleSet.objects.in_force_for(month)
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


def _customer_facts(order):
    """R1.3: newness at the moment the order was placed; R2.1: the first purchase
    is the first *paid*, so the slot is judged by payment time; R2.4: the slot taken by an
    account sharing an identity signal; R4.1: whether any visit associated the customer
    before the order. One query for the segment and these facts, each an EXISTS that stops at
    the first match (index `order_customer_paid`), so a long history costs no more than a short
    one. Returns the customer's facts and whether they were ever associated."""
    paid_reference = max(order.paid_at or order.placed_at, order.placed_at)
    earlier = _paid_before([order.customer], paid_reference).exclude(pk=order.pk)
    hashes = IdentitySignal.objects.filter(user=order.customer).values("value_hash")
    same_person = IdentitySignal.objects.filter(value_hash__in=hashes).exclude(user=order.customer).values("user")
    segment, old, slot, product, same_person_slot, ever_associated = (
        CustomerProfile.objects.filter(customer=order.customer)
        .annotate(
            old=Exists(earlier.filter(paid_at__lt=order.placed_at, product__category=Product.Category.CLOUD)),
            slot=Exists(earlier.exclude(product__category=Product.Category.DOMAIN)),
            product=Exists(earlier.filter(product=order.product)),
            same_person_slot=Exists(
                _paid_before(same_person, order.paid_at or order.placed_at).exclude(
                    product__category=Product.Category.DOMAIN
                )
            ),
            ever_associated=Exists(
                Association.objects.filter(
                    customer=order.customer, started_at__lt=_end_of_billing_second(order.placed_at)
                )
            ),
        )
        .values_list("segment", "old", "slot", "product", "same_person_slot", "ever_associated")
        .get()
    )
    facts = rules.CustomerFacts(
        segment=segment,
        old=old,
        first_purchase_slot_taken=slot,
        product_bought_before=product,
        same_person_slot_taken=same_person_slot,
    )
    return facts, ever_associated


def _settlement_date(order) -> date | None:
    """R7.1 on the day the order was paid, by the Asia/Shanghai calendar."""
    return rules.settlement_date(timezone.localtime(order.paid_at).date() if _paid(order) else None)


@transaction.atomic
def customer_orders_rejudge(customer, *, today=None):
    """Decide again the unsettled orders that the customer's segment or identity
    signals bear on (R4.3, R4.4, R2.4): the customer's own, those of every
    account sharing a signal with them, and those where they are the ambassador."""
    today = today or timezone.localdate()
    customer_profile_locked(customer)  # not at the same time as this customer's snapshots
    hashes = IdentitySignal.objects.filter(user=customer).values("value_hash")
    linked = IdentitySignal.objects.filter(value_hash__in=hashes).values("user")
    unsettled = (
        Order.objects.select_for_update(of=("self",), no_key=True)
        .filter(Q(customer=customer) | Q(customer__in=linked) | Q(ambassador__user=customer))
        .filter(Q(settles_on__isnull=True) | Q(settles_on__gt=today))
        .select_related("customer", "product", "rule_set")
        .order_by("placed_at", "pk")
    )
    count = 0
    for order in unsettled:
        order_decide(order, cause=RebateChange.Cause.REJUDGED, today=today)
        count += 1
    return count


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
