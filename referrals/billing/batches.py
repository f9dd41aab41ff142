"""Applying billing's events in batches: many events in one transaction, their accounts and
products read with one query each, their customers locked up front in one order.

`events_process` (referrals/billing/services.py) claims a batch of due events and applies them
one after another, in the order they are due, each inside its own savepoint: one customer's
events keep their order, and an event that fails rolls back alone and is retried on the
schedule of docs/ARCHITECTURE.md while the others commit. Every decision is the one the event
would get alone: the same services decide each order.

Two workers take different events (SKIP LOCKED). A customer with events in both batches is
applied by one worker after the other commits: each makes its customers' missing profiles and
locks them all, with those of the accounts a `customer.updated` re-judges, before applying
anything, always in the order of their ids, so two batches never wait on each other in a circle.
Customers who share an ambassador do not hold each other up: a rebate's posting shares the lock
on its ambassador's ledger with other postings (payouts/ledger.py), and each batch takes those
locks up front in id order, as a settlement run does.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ambassadors.models import IdentitySignal
from referrals.models import Association, CustomerProfile, Event, Order, Product
from referrals.rebates.ledger_port import rebate_ledger
from referrals.rebates.services import unsettled_on

from .identity import event_signal_hashes
from .schema import EventInvalid, parse_event

# Events per transaction: large enough that the commit and the reads of a run are shared (50
# applied 10% faster than 20), small enough that a batch holds its customers' locks for well
# under a second (about 0.3 s at the rate measured in docs/PERFORMANCE.md).
EVENTS_PER_BATCH = 50


def events_claim(size):
    """Up to `size` due events, oldest first, locked for this transaction (SKIP LOCKED)."""
    return list(events_due().select_for_update(skip_locked=True)[:size])


def events_due():
    """The events due now, in the order they are claimed: read from the index
    `event_waiting_claim_order`, never by sorting the backlog."""
    return Event.objects.filter(status=Event.Status.RECEIVED, next_attempt_at__lte=timezone.now()).order_by(
        "next_attempt_at", "pk"
    )


@dataclass
class References:
    """The accounts and products a batch's events name, read with one query each.

    An event whose body does not parse names nothing here: it fails on its own when applied."""

    accounts: dict = field(default_factory=dict)  # uid as text: the account
    products: dict = field(default_factory=dict)  # code: the product

    def account(self, uid):
        uid = str(uid)
        if uid not in self.accounts:
            self.accounts[uid] = get_user_model().objects.filter(uid=uid).first()
        return self.accounts[uid]

    def product(self, code):
        if code not in self.products:
            self.products[code] = Product.objects.filter(code=code).first()
        return self.products[code]


def references_load(events):
    """What the events refer to, and each event's parsed envelope (None when it does not parse)."""
    envelopes, uids, codes = {}, set(), set()
    for event in events:
        try:
            envelope = parse_event(event.body.encode())
        except EventInvalid:
            envelopes[event.pk] = None
            continue
        envelopes[event.pk] = envelope
        data = envelope.data
        uids.add(str(data["customer"]))
        if envelope.type == "order.updated":
            codes.add(data["product"])
    references = References(
        accounts={str(account.uid): account for account in get_user_model().objects.filter(uid__in=uids)},
        products={product.code: product for product in Product.objects.filter(code__in=codes)},
    )
    references.accounts |= {uid: None for uid in uids - set(references.accounts)}
    references.products |= {code: None for code in codes - set(references.products)}
    return envelopes, references


def customers_reached(envelopes, references):
    """The ids of the accounts whose profiles a batch locks up front: every customer its events
    name and, for each `customer.updated`, the accounts whose orders it re-judges
    (`orders_customer_bears_on`): those sharing an identity signal with its customer, before or
    through the event, and the customers of the unsettled orders where its customer is the
    ambassador. Without their profiles, a re-judgement locked their orders oldest first while
    another batch, holding a newer one of them, waited for an older one: a circle."""
    reached = {account.pk for account in references.accounts.values() if account is not None}
    updated, values = set(), set()
    for envelope in envelopes.values():
        if envelope is None or envelope.type != "customer.updated":
            continue
        account = references.account(envelope.data["customer"])
        try:
            event_values = event_signal_hashes(envelope.data)
        except ValueError:  # a body stored unredacted fails on its own when it is applied
            event_values = set()
        if account is not None:
            updated.add(account.pk)
            values |= event_values
    if not updated:
        return reached
    values |= set(IdentitySignal.objects.filter(user__in=updated).values_list("value_hash", flat=True))
    reached |= set(IdentitySignal.objects.filter(value_hash__in=values).values_list("user", flat=True))
    unsettled = unsettled_on(timezone.localdate())
    customers = Order.objects.filter(unsettled, ambassador__user__in=updated).values_list("customer", flat=True)
    return reached | set(customers)


def customers_lock(ids):
    """Make the customers' missing profiles and lock them all, in the order of their ids, then
    hold their ambassadors' ledgers (the shared lock a rebate's posting takes, payouts/ledger.py),
    also in id order, before any event is applied: two batches never hold one profile while
    waiting for another the other holds, and a batch never waits on a settlement run, which
    locks ambassadors in the same order, while holding a ledger it waits for.

    The missing profiles are made here, not when each event is applied: a profile inserted
    mid-batch is held until the batch commits, so two batches making each other's customers'
    profiles in opposite orders would wait on each other in a circle (it deadlocked in CI). A
    profile made for an event that then fails is the default one applying it would make."""
    ids = sorted(set(ids))
    if not ids:
        return
    profiles_make(ids)
    list(CustomerProfile.objects.select_for_update().filter(customer_id__in=ids).order_by("customer_id").values("pk"))
    ambassadors = Association.objects.filter(customer_id__in=ids).values_list("ambassador_id", flat=True).distinct()
    rebate_ledger().ledgers_hold(set(ambassadors))


def profiles_make(ids):
    """The missing profiles of these customers (ids in order), made by one statement that
    inserts them in that order: `ON CONFLICT DO NOTHING` passes over a profile that exists,
    locked or not, and waits only for one another transaction is making."""
    CustomerProfile.objects.bulk_create([CustomerProfile(customer_id=pk) for pk in ids], ignore_conflicts=True)


@dataclass
class Run:
    """Order snapshots of a batch applied together, and the `customer.updated` events held back
    behind them (referrals/rebates/snapshot_batches.py).

    A snapshot joins the run when nothing it and the run's snapshots decide reads another's: its
    order and its customer are not in the run, and its customer shares no identity signal with a
    customer in it (R2.4). A `customer.updated` re-judges its customer's orders, those of the
    accounts sharing a signal with them and those where they are the ambassador
    (`customer_orders_rejudge`), and those orders' facts read further linked accounts. So only the
    update of a customer who is no ambassador and shares no signal value with any other account,
    before or through the event, is held back (the caller checks): it bears on that customer's
    own orders alone, which may not join the run after it, and it is applied after the run, in
    its place among the held-back events. Anything else ends the run.

    `signals`: the identity signals' values of the batch's customers, {account id: {hashes}}."""

    signals: dict
    snapshots: list = field(default_factory=list)  # (event, snapshot)
    held_back: list = field(default_factory=list)  # events
    barred: set = field(default_factory=set)  # customers whose update is held back

    def takes(self, snapshot):
        customers = {taken.customer.pk for _, taken in self.snapshots}
        orders = {taken.billing_id for _, taken in self.snapshots}
        customer_id = snapshot.customer.pk
        return (
            snapshot.billing_id not in orders
            and customer_id not in customers | self.barred
            and not self._sharing(customer_id, customers)
        )

    def hold_back(self, event, customer_id):
        """Hold back a customer.updated of `customer_id`, who shares no signal with anyone."""
        self.held_back.append(event)
        self.barred.add(customer_id)

    def _sharing(self, customer_id, customers):
        values = self.signals.get(customer_id, set())
        return values and any(self.signals.get(other, set()) & values for other in customers - {customer_id})


def in_savepoint(function, *args, **kwargs):
    """Run `function` in a savepoint: its failure rolls back its own writes only."""
    with transaction.atomic():
        return function(*args, **kwargs)
