"""Many customers' snapshots applied at once, each as `order_snapshot_apply` applies it alone.

A batch of billing's events (referrals/billing/batches.py) hands over runs of `order.updated`
snapshots whose customers differ and share no identity signal. No such snapshot can change a
fact another one's decision reads: an order's facts are its own customer's orders, profile and
associations, and the paid orders of accounts sharing a signal with that customer (R1.3, R2.1,
R2.4, R3.4, R4). So each kind of fact is read once for the whole run instead of once per order,
the decisions are taken in Python by the same `decision_take`, and the orders, the associations
a payment ends and the rebate changes are written with one statement each:

- the stored orders, locked: one query; the associations of the customers, locked where a
  payment makes the customer old (R1.2, R3.4): two; the rule sets in force: one per month;
  the signals shared with the ambassadors (R4.4) and the holds on their rebates (R9.3): one
  each; the customers' own facts: one statement for all (`CUSTOMER_FACTS`, UNION ALL);
- then the writes, the ledger's postings (one per rebate that moves) and, where a payment
  reaches the customer's other unsettled orders (referrals/rebates/redecision.py), those
  orders decided again as `order_snapshot_apply` decides them.

The event-stream tests (payouts/tests/test_event_streams.py) apply random streams this way and
one event to a transaction, and compare every order, rebate change, ledger entry, association
and profile.
"""

from dataclasses import dataclass
from functools import cache

from django.utils import timezone

from ambassadors.identity import shared_signal_kinds_of_pairs
from referrals.attribution.services import customer_profile_locked, ends_when_old
from referrals.models import Association, CustomerProfile, EndReason, Order, RebateChange, RuleSet

from . import redecision
from .selectors import ambassadors_with_rebates_held
from .services import (
    CUSTOMER_FACTS,
    DecisionFacts,
    _end_of_billing_second,
    _rule_set_for,
    customer_facts_slots,
    customer_turns_old,
    decision_take,
    decisions_record,
    order_contribution,
    order_decide,
    orders_locked,
    others_to_redecide,
    snapshot_applied,
    snapshot_not_applied,
    snapshot_take,
)


@dataclass
class _Taken:
    order: Order
    cause: str
    contribution_before: redecision.Contribution | None


def snapshots_apply(snapshots, *, today=None):
    """Apply snapshots of different customers that share no identity signal, in the caller's
    transaction. Returns each snapshot's result, as `order_snapshot_apply` gives it."""
    today = today or timezone.localdate()
    profiles = _profiles_locked({snapshot.customer for snapshot in snapshots})
    stored = orders_locked([snapshot.billing_id for snapshot in snapshots])
    results, taken = {}, []
    for snapshot in snapshots:
        order = stored.get(snapshot.billing_id)
        if order is not None and order.version >= snapshot.version:
            results[snapshot.billing_id] = snapshot_not_applied(snapshot, order)
            continue
        order = order or Order(billing_id=snapshot.billing_id)
        step = snapshot_take(order, snapshot)
        taken.append(_Taken(order=order, cause=step.cause, contribution_before=step.contribution_before))
    if taken:
        _decide(taken, profiles=profiles, today=today)
        results |= {one.order.billing_id: snapshot_applied(one.order) for one in taken}
    return [results[snapshot.billing_id] for snapshot in snapshots]


def _profiles_locked(customers):
    """The customers' profiles, locked in the order of their ids (one decision at a time per
    customer), each made first where it is missing, as `customer_profile_locked` does."""
    ids = sorted(customer.pk for customer in customers)
    profiles = {
        profile.customer_id: profile
        for profile in CustomerProfile.objects.select_for_update().filter(customer_id__in=ids).order_by("customer_id")
    }
    for customer in customers:
        if customer.pk not in profiles:
            profiles[customer.pk] = customer_profile_locked(customer)
    return profiles


def _decide(taken, *, profiles, today):
    associations, old, ended = _associations_after_payments(taken, profiles)
    holding = {one.order.billing_id: _association_holding(associations, one.order) for one in taken}
    ambassador_ids = {association.ambassador_id for association in holding.values() if association}
    shared = shared_signal_kinds_of_pairs(
        (association.ambassador.user_id, one.order.customer_id)
        for one in taken
        if (association := holding[one.order.billing_id])
    )
    held = ambassadors_with_rebates_held(ambassador_ids) if ambassador_ids else set()
    customer_facts = {
        row.customer_id: row.facts()
        for row in CUSTOMER_FACTS.rows_of_each({}, [customer_facts_slots(one.order) for one in taken])
    }
    in_force = cache(RuleSet.objects.in_force_for)  # one read per month in this run
    decided = []
    for one in taken:
        association = holding[one.order.billing_id]
        customer, ever_associated = customer_facts[one.order.customer_id]
        facts = DecisionFacts(
            association=association,
            rule_set=_rule_set_for(one.order, in_force_for=in_force),
            shared=frozenset(shared[association.ambassador.user_id, one.order.customer_id] if association else ()),
            customer=customer,
            ever_associated=ever_associated,
            rebates_held=lambda association=association: association.ambassador_id in held,
        )
        decided.append(decision_take(one.order, facts, cause=one.cause, today=today))
    _write(taken, old=old, ended=ended)
    decisions_record(decided)
    _others_redecide(taken, today=today)


def _associations_after_payments(taken, profiles):
    """Each customer's associations, as they are once the payments among `taken` have made
    their customers old (`customer_mark_old`): {customer id: [associations]}, the profiles
    that became old (not saved) and the associations that ended (not saved)."""
    turning_old = {
        one.order.customer_id: one.order.paid_at
        for one in taken
        if customer_turns_old(one.order, profiles[one.order.customer_id])
    }
    customers = {one.order.customer_id for one in taken}
    read = Association.objects.select_related("ambassador")
    rows = list(read.filter(customer_id__in=customers - set(turning_old)))
    if turning_old:
        rows += read.select_for_update(of=("self",)).filter(customer_id__in=turning_old).order_by("pk")
    associations = {customer_id: [] for customer_id in customers}
    for association in rows:
        associations[association.customer_id].append(association)
    old, ended = [], []
    for customer_id, at in turning_old.items():
        profile = profiles[customer_id]
        if profile.became_old_at is None or profile.became_old_at > at:
            profile.became_old_at = at
            old.append(profile)
            ended += ends_when_old(associations[customer_id], at)
    return associations, old, ended


def _association_holding(associations, order):
    """`services._association_at` over associations already read: the one holding the customer
    when the order was placed (R4.1), compared at billing's precision, the later visit first
    (R3.2); one that the order's own payment ended at that moment still holds (R3.4)."""
    moment = order.placed_at
    end_of_second = _end_of_billing_second(moment)
    holding = [
        association
        for association in associations[order.customer_id]
        if association.started_at < end_of_second
        and association.expires_at > moment
        and (
            association.ended_at is None
            or association.ended_at > moment
            or (association.ended_at == moment and association.end_reason == EndReason.BECAME_OLD)
        )
    ]
    return max(holding, key=lambda association: association.started_at, default=None)


def _write(taken, *, old, ended):
    """The run's writes, one statement per table and kind."""
    if old:
        CustomerProfile.objects.bulk_update(old, ["became_old_at"])
    if ended:
        Association.objects.bulk_update(ended, ["ended_at", "end_reason"])
    new = [one.order for one in taken if one.order.pk is None]
    stored = [one.order for one in taken if one.order.pk is not None]
    Order.objects.bulk_create(new)
    if stored:
        Order.objects.bulk_update(stored, _ORDER_FIELDS)


_ORDER_FIELDS = [field.name for field in Order._meta.concrete_fields if not field.primary_key]


def _others_redecide(taken, *, today):
    """The customers' other unsettled orders a payment reaches, decided again (R1.3, R2.1)."""
    since = {}
    for one in taken:
        moment = redecision.changed_since(one.contribution_before, order_contribution(one.order))
        if moment is not None:
            since[one.order.customer_id] = moment
    if since:
        others = others_to_redecide(since, exclude=[one.order.pk for one in taken], today=today)
        for other in others:
            order_decide(other, cause=RebateChange.Cause.REJUDGED, today=today)
