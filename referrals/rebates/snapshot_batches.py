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
  each; the customers' own facts: one prepared statement per order (`CUSTOMER_FACTS`);
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
from portal.kernel.bulk_writes import rows_update
from referrals.attribution.services import ends_when_old
from referrals.models import Association, CustomerProfile, EndReason, Order, RebateChange, RuleSet

from . import redecision
from .selectors import ambassadors_with_rebates_held
from .services import (
    DecisionFacts,
    customer_facts_of,
    customer_turns_old,
    decision_take,
    decisions_record,
    end_of_billing_second,
    order_contribution,
    orders_locked,
    others_to_redecide,
    rule_set_for,
    snapshot_applied,
    snapshot_not_applied,
    snapshot_take,
)


@dataclass
class _Taken:
    order: Order
    cause: str
    contribution_before: redecision.Contribution | None


class RunNotApart(Exception):
    """A snapshot moves its order to another customer, or two name one order: the facts of the
    run's orders are not apart, and its events are applied one at a time instead."""


def snapshots_apply(snapshots, *, today=None):
    """Apply snapshots of different customers that share no identity signal, in the caller's
    transaction. Returns each snapshot's result, as `order_snapshot_apply` gives it."""
    today = today or timezone.localdate()
    profiles = _profiles_locked({snapshot.customer for snapshot in snapshots})
    stored = orders_locked([snapshot.billing_id for snapshot in snapshots])
    if len({snapshot.billing_id for snapshot in snapshots}) < len(snapshots) or any(
        stored[snapshot.billing_id].customer_id != snapshot.customer.pk
        for snapshot in snapshots
        if snapshot.billing_id in stored
    ):
        raise RunNotApart
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
    customer), those missing made first, as `customer_profile_locked` makes one."""
    ids = sorted(customer.pk for customer in customers)
    locked = CustomerProfile.objects.select_for_update().filter(customer_id__in=ids).order_by("customer_id")
    profiles = {profile.customer_id: profile for profile in locked}
    if len(profiles) < len(ids):  # made by one statement, even beside another transaction making them
        missing = [CustomerProfile(customer_id=pk) for pk in ids if pk not in profiles]
        CustomerProfile.objects.bulk_create(missing, ignore_conflicts=True)
        profiles = {profile.customer_id: profile for profile in locked.all()}
    return profiles


def _decide(taken, *, profiles, today):
    """Decide the snapshots' orders: the payments make their customers old first (R1.2, R3.4),
    as `order_snapshot_apply` does before deciding; then the other orders the payments reach."""
    associations, old, ended = _associations_after_payments(taken, profiles)
    decided = _decisions_take(taken, associations, today=today)
    rows_update(old, ["became_old_at"])
    rows_update(ended, ["ended_at", "end_reason"])
    Order.objects.bulk_create([one.order for one in taken if one.order.pk is None])
    rows_update([one.order for one in taken if one.order.pk is not None], _ORDER_FIELDS)
    decisions_record(decided)
    _others_redecide(taken, today=today)


def orders_redecide(orders, *, today=None):
    """Decide these stored orders again, locked by the caller, as `order_decide` decides each
    (cause: re-judged), with each kind of fact read once for all of them. A decision reads which
    orders are paid and when, never another order's decision, so their order does not matter."""
    today = today or timezone.localdate()
    taken = [_Taken(order=order, cause=RebateChange.Cause.REJUDGED, contribution_before=None) for order in orders]
    if not taken:
        return
    associations = {one.order.customer_id: [] for one in taken}
    for association in Association.objects.select_related("ambassador").filter(customer_id__in=list(associations)):
        associations[association.customer_id].append(association)
    decided = _decisions_take(taken, associations, today=today)
    rows_update(orders, _ORDER_FIELDS)
    decisions_record(decided)


def _decisions_take(taken, associations, *, today):
    """Each order's facts, read once for all (`associations`: customer id → theirs), and its
    decision put on it (not saved)."""
    holding = {id(one): _association_holding(associations, one.order) for one in taken}
    ambassador_ids = {association.ambassador_id for association in holding.values() if association}
    shared = shared_signal_kinds_of_pairs(
        (association.ambassador.user_id, one.order.customer_id) for one in taken if (association := holding[id(one)])
    )
    held = ambassadors_with_rebates_held(ambassador_ids) if ambassador_ids else set()
    # One prepared statement per order: joined into one statement, PostgreSQL planned each part
    # again, 35 ms for a run of 20 against 0.1 ms to run each prepared one (docs/PERFORMANCE.md).
    customer_facts = {id(one): customer_facts_of(one.order) for one in taken}
    in_force = cache(RuleSet.objects.in_force_for)  # one read per month
    decided = []
    for one in taken:
        association = holding[id(one)]
        customer, ever_associated = customer_facts[id(one)]
        facts = DecisionFacts(
            association=association,
            rule_set=rule_set_for(one.order, in_force_for=in_force),
            shared=frozenset(shared[association.ambassador.user_id, one.order.customer_id] if association else ()),
            customer=customer,
            ever_associated=ever_associated,
            rebates_held=lambda association=association: association.ambassador_id in held,
        )
        decided.append(decision_take(one.order, facts, cause=one.cause, today=today))
    return decided


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
    end_of_second = end_of_billing_second(moment)
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


_ORDER_FIELDS = [field.name for field in Order._meta.concrete_fields if not field.primary_key]


def _others_redecide(taken, *, today):
    """The customers' other unsettled orders a payment reaches, decided again (R1.3, R2.1)."""
    since = {}
    for one in taken:
        moment = redecision.changed_since(one.contribution_before, order_contribution(one.order))
        if moment is not None:
            since[one.order.customer_id] = moment
    if since:
        orders_redecide(
            list(others_to_redecide(since, exclude=[one.order.pk for one in taken], today=today)), today=today
        )
