"""Receiving billing's events: the signature, idempotency by event id, and applying each type."""

import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from ambassadors.identity import identity_signal_record, signal_values_of, signal_values_shared
from ambassadors.selectors import ambassador_accounts
from portal.kernel import personal_data
from portal.kernel.audit import audit_record
from portal.kernel.bulk_writes import rows_update
from referrals.attribution.services import customer_segment_set
from referrals.models import Event, Product
from referrals.rebates.services import (
    OrderSnapshot,
    customer_orders_rejudge,
    order_snapshot_apply,
    orders_customer_bears_on,
)
from referrals.rebates.snapshot_batches import (
    RunNotApart,
    orders_redecide,
    snapshots_apply,
)

from . import batches
from .batches import EVENTS_PER_BATCH
from .identity import KINDS, event_signal_hashes, identity_stored, signal_hash
from .schema import Envelope, EventInvalid, json_text, parse_event

SIGNATURE_TOLERANCE = 300  # seconds, either way

logger = logging.getLogger(__name__)


def signature_valid(header, raw_body, *, now=None):
    """`Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
    within SIGNATURE_TOLERANCE of now, compared in constant time."""
    parts = [part.split("=", 1) for part in (header or "").split(",") if "=" in part]
    timestamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if len(timestamps) != 1 or not signatures or not re.fullmatch(r"[0-9]{1,12}", timestamps[0].strip()):
        return False
    timestamp = int(timestamps[0])
    if abs((now or time.time()) - timestamp) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(
        settings.EVENTS_SIGNING_SECRET.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


def event_accept(envelope: Envelope, raw_body: bytes):
    """Store a well-formed, signed event once and have a worker apply it;
    returns (HTTP status, JSON answer).

    What the answer promises is that the event is stored and will be applied:
    the same id and body again answers the same; the same id with another body
    answers 409; an unknown customer or product answers 400 and nothing is
    stored. Applying it (deciding the order) happens in `events_process`, off
    the request (docs/ARCHITECTURE.md, "The events API").

    The body is stored with billing's identity values already replaced by their
    keyed hashes, so "the same body" is judged by a keyed digest of the bytes
    as received, not by what is stored.
    """
    _references_check(envelope)
    digest = event_body_digest(raw_body)
    if _insert(envelope, _stored_body(envelope, raw_body), digest):
        _kick_processing()
        return 200, _accepted(envelope.id)
    seen = Event.objects.only("body_digest").get(id=envelope.id)
    if not hmac.compare_digest(seen.body_digest, digest):
        return 409, {"errors": [{"field": "id", "message": "was used before with a different body"}]}
    return 200, _accepted(envelope.id)


def event_body_digest(raw_body: bytes) -> str:
    """What tells a replay (the same bytes) from a reuse of the id with another body."""
    return personal_data.keyed_digest("event-body", raw_body)


def _stored_body(envelope, raw_body):
    """The body as received, except that identity values become their keyed hashes."""
    identity = envelope.data.get("identity") if envelope.type == "customer.updated" else None
    if not identity:
        return json_text(raw_body)
    data = {**envelope.data, "identity": identity_stored(identity)}
    body = {"id": envelope.id, "type": envelope.type, "created": envelope.created, "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _accepted(event_id):
    return {"event": event_id, "accepted": True}


def _references_check(envelope):
    """The customer and product must be known before an event is accepted (400 otherwise)."""
    customer_known, product_known = _known(envelope.data["customer"], envelope.data.get("product"))
    _references_require(envelope.type, customer_known=customer_known, product_known=product_known)


def _references_require(event_type, *, customer_known, product_known=True):
    """EventInvalid naming each reference that names nothing: the customer, and an order's
    product. Checked when an event is accepted and again when it is applied (an import
    applies rows without the first check)."""
    prefix = "data.order." if event_type == "order.updated" else "data."
    errors = []
    if not customer_known:
        errors.append({"field": f"{prefix}customer", "message": "is not a known account"})
    if event_type == "order.updated" and not product_known:
        errors.append({"field": "data.order.product", "message": "is not in the product catalogue; import it first"})
    if errors:
        raise EventInvalid(errors)


def _known(customer_uid, product_code):
    """Whether the account and the product exist: one round trip for both."""
    quote = connection.ops.quote_name
    users, products = quote(get_user_model()._meta.db_table), quote(Product._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {users} WHERE uid = %s), EXISTS (SELECT 1 FROM {products} WHERE code = %s)",
            [uuid.UUID(customer_uid).hex if connection.vendor == "sqlite" else customer_uid, product_code or ""],
        )
        return (bool(known) for known in cursor.fetchone())


def _insert(envelope, body, digest):
    """One statement: stored, or already there (then False). No read before the write."""
    table = connection.ops.quote_name(Event._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM writes it, so it compares
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, type, body, body_digest, received_at, next_attempt_at, status, attempts,"
            " result, error) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, '') ON CONFLICT (id) DO NOTHING RETURNING id",
            [envelope.id, envelope.type, body, digest, now, now, Event.Status.RECEIVED, "{}"],
        )
        return cursor.fetchone() is not None


_last_kick = 0.0  # this process's last wake-up: only spares the shared cache a call


def _kick_processing():
    """Wake a worker, at most once per EVENTS_KICK_SECONDS across all web
    processes (a cache key); the worker takes every waiting event."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < settings.EVENTS_KICK_SECONDS:
        return
    _last_kick = now
    if cache.add("referrals:events:kick", 1, timeout=settings.EVENTS_KICK_SECONDS):
        async_task("referrals.tasks.process_events")


# A failing event is tried again after 15 s, 30 s, 1 min, 2 min, … doubling up to
# 30 min between tries, and marked failed at the tenth failure, about an hour
# and a half after the first: an outage of seconds or minutes costs a try or two.
MAX_ATTEMPTS = 10
RETRY_FIRST_DELAY = timedelta(seconds=15)
RETRY_LONGEST_DELAY = timedelta(minutes=30)


def retry_delay(failures: int) -> timedelta:
    """How long an event waits after its `failures`-th failed attempt."""
    return min(RETRY_FIRST_DELAY * 2 ** min(failures - 1, 16), RETRY_LONGEST_DELAY)


def events_process(*, limit=None, batch_size=EVENTS_PER_BATCH):
    """Apply the events that are due, oldest first, `batch_size` to a transaction
    (referrals/billing/batches.py); returns how many succeeded.

    Workers take different events (SKIP LOCKED). An event that fails rolls back
    alone, waits `retry_delay` before it is due again, whichever run or wake-up
    comes first, and is marked failed after MAX_ATTEMPTS, for staff to retry from
    the admin (`events_retry`); it is never dropped."""
    done = taken = 0
    while limit is None or taken < limit:
        size = batch_size if limit is None else min(batch_size, limit - taken)
        try:
            claimed, succeeded = _batch_apply(size)
        except DatabaseError:  # the batch's own transaction failed: each event alone instead
            logger.exception("a batch of events failed; applying them one by one")
            claimed, succeeded = _batch_apply(size, one_by_one=True)
        if not claimed:
            break
        taken, done = taken + claimed, done + succeeded
    return done


def _batch_apply(size, *, one_by_one=False):
    """One transaction: claim up to `size` events, read what they name, lock their customers,
    apply each in a savepoint; returns (claimed, succeeded)."""
    if one_by_one and size > 1:
        claimed = succeeded = 0
        for _ in range(size):
            one, ok = _batch_apply(1)
            if not one:
                break
            claimed, succeeded = claimed + one, succeeded + ok
        return claimed, succeeded
    with transaction.atomic():
        events = batches.events_claim(size)
        envelopes, references = batches.references_load(events)
        batches.customers_lock(batches.customers_reached(envelopes, references))
        if one_by_one or size == 1:
            for event in events:
                _attempt(event, envelopes[event.pk], references)
        else:
            _events_apply_in_runs(events, envelopes, references)
        rows_update(events, ["attempts", "next_attempt_at", "result", "status", "processed_at", "error"])
    return len(events), sum(event.status == Event.Status.PROCESSED for event in events)


def _events_apply_in_runs(events, envelopes, references):
    """Apply a batch's events: order snapshots in runs decided together, a `customer.updated`
    held back behind the run where it may be (`batches.Run`), anything else alone, each in its
    place. A run that fails is applied again event by event, so an event fails on its own."""
    customers = [account.pk for account in references.accounts.values() if account]
    ambassadors = ambassador_accounts(customers)
    run = batches.Run(signals=signal_values_of(customers))
    for event in events:
        envelope = envelopes[event.pk]
        try:
            kind, subject = _place_in_run(envelope, references, ambassadors, run)
        except Exception:  # a body the worker cannot read here: applied alone, where it fails alone
            kind, subject = "alone", None
        if kind == "snapshot":
            if not run.takes(subject):
                run = _run_end(run, envelopes, references, customers)
            run.snapshots.append((event, subject))
        elif kind == "held back":
            run.hold_back(event, subject)
        else:
            run = _run_end(run, envelopes, references, customers)
            _attempt(event, envelope, references, together=True)
            if envelope and envelope.type == "customer.updated":  # it may have linked accounts (R2.4)
                run = batches.Run(signals=signal_values_of(customers))
    _run_end(run, envelopes, references, customers)


def _place_in_run(envelope, references, ambassadors, run):
    """("snapshot", the snapshot), ("held back", the customer's id) or ("alone", None)."""
    if envelope is None:
        return "alone", None
    if envelope.type == "order.updated":
        snapshot = _snapshot(envelope.data, references)
        return ("snapshot", snapshot) if snapshot else ("alone", None)
    customer = references.account(envelope.data["customer"])
    if envelope.type != "customer.updated" or customer is None or customer.pk in ambassadors:
        return "alone", None
    values = run.signals.get(customer.pk, set()) | event_signal_hashes(envelope.data)
    if signal_values_shared(customer.pk, values):
        return "alone", None
    return "held back", customer.pk


def _run_end(run, envelopes, references, customers):
    """Apply the run and the events held back behind it; the next run, with the signals now."""
    _run_attempt(run.snapshots, envelopes, references)
    _held_back_attempt(run.held_back, envelopes, references)
    return batches.Run(signals=signal_values_of(customers) if run.held_back else run.signals)


class _SameOrdersReached(Exception):
    """Two customer.updated events bear on one order: applied one after the other instead.
    Raised, not returned: leaving the savepoint by it undoes the signals already recorded."""


def _held_back_attempt(events, envelopes, references):
    """The customer.updated events held back behind a run, in one savepoint: each one's segment
    and signals recorded in turn, then the orders they bear on re-judged together, when no order
    is borne on by two of them (so none re-judges what another changed). Otherwise, or if that
    fails, each is applied alone."""
    if len(events) > 1:
        try:
            with transaction.atomic():
                results = _customers_updated_together([envelopes[event.pk] for event in events], references)
        except _SameOrdersReached:
            pass
        except Exception:
            logger.exception("%d held-back customer updates failed together; applying them one at a time", len(events))
        else:
            for event, result in zip(events, results, strict=True):
                event.attempts += 1
                _succeeded(event, result)
            return
    for event in events:
        _attempt(event, envelopes[event.pk], references, together=True)


def _customers_updated_together(envelopes, references):
    """`_customer_updated` for each, the orders they bear on re-judged in one pass; raises
    _SameOrdersReached, before re-judging anything, when two reach one order."""
    customers = [
        _customer_update_record(envelope.data, created=_created(envelope), references=references)
        for envelope in envelopes
    ]
    today = timezone.localdate()
    reached = [list(orders_customer_bears_on(customer, today=today)) for customer in customers]
    orders = [order for group in reached for order in group]
    if len({order.pk for order in orders}) < len(orders):
        raise _SameOrdersReached
    orders_redecide(orders, today=today)
    return [
        {"customer": envelope.data["customer"], "orders_rejudged": len(group)}
        for envelope, group in zip(envelopes, reached, strict=True)
    ]


def _created(envelope):
    return datetime.fromtimestamp(envelope.created, tz=UTC) if envelope.created else None


def _run_attempt(run, envelopes, references):
    """Apply a run of snapshots in one savepoint, or, if that fails, each event in its own.
    A run of one gains nothing from reading its facts together: it is applied alone."""
    if len(run) <= 1:
        for event, _ in run:
            _attempt(event, envelopes[event.pk], references)
        return
    try:
        with transaction.atomic():
            results = snapshots_apply([snapshot for _, snapshot in run])
    except RunNotApart:
        for event, _ in run:
            _attempt(event, envelopes[event.pk], references)
        return
    except Exception:
        logger.exception("a run of %d events failed together; applying them one at a time", len(run))
        for event, _ in run:
            _attempt(event, envelopes[event.pk], references)
        return
    for (event, _), result in zip(run, results, strict=True):
        event.attempts += 1
        _succeeded(event, result)


def _attempt(event, envelope, references, *, together=False):
    """Apply one event in its own savepoint and record the outcome on it (saved by the caller).
    `together`: in a batch, the orders a `customer.updated` bears on are decided together."""
    event.attempts += 1
    try:
        with transaction.atomic():
            envelope = envelope or parse_event(event.body.encode())
            context = {"created": _created(envelope), "references": references}
            if together and envelope.type == "customer.updated":
                context["rejudge"] = partial(customer_orders_rejudge, redecide=orders_redecide)
            result = APPLY[envelope.type](envelope.data, **context)
        _succeeded(event, result)
    except Exception as error:  # any failure is kept on the event and retried
        logger.exception("event %s not applied (attempt %d)", event.pk, event.attempts)
        event.error = f"{type(error).__name__}: {error}"[:2000]
        if event.attempts >= MAX_ATTEMPTS:
            event.status = Event.Status.FAILED
        else:
            event.next_attempt_at = timezone.now() + retry_delay(event.attempts)


def _succeeded(event, result):
    event.result = result
    event.status = Event.Status.PROCESSED
    event.processed_at = timezone.now()
    event.error = ""


@transaction.atomic
def events_retry(*, event_ids, actor):
    """Staff send failed events back to the worker, due now, with their tries
    counted from zero; returns how many. Only failed events change, so a second
    click changes nothing; each one is audited."""
    now, retried = timezone.now(), 0
    for event in Event.objects.select_for_update().filter(pk__in=event_ids, status=Event.Status.FAILED).order_by("pk"):
        before = {"status": event.status, "attempts": event.attempts}
        event.status, event.attempts, event.next_attempt_at = Event.Status.RECEIVED, 0, now
        event.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit_record(actor=actor, action="event.retry", target=event, before=before, after={"status": event.status})
        retried += 1
    if retried:
        transaction.on_commit(lambda: async_task("referrals.tasks.process_events"))
    return retried


def _customer_updated(data, created=None, references=None, rejudge=customer_orders_rejudge):
    """`identity` holds stored values (`referrals.billing.identity`): keyed hashes. In a batch the
    orders it bears on are decided together (`rejudge`)."""
    customer = _customer_update_record(data, created=created, references=references)
    return {"customer": data["customer"], "orders_rejudged": rejudge(customer)}


def _customer_update_record(data, *, created=None, references=None):
    """The segment and identity signals of a customer.updated stored; returns the customer."""
    customer = (references or batches.References()).account(data["customer"])
    _references_require("customer.updated", customer_known=customer is not None)
    if "segment" in data:
        customer_segment_set(customer=customer, segment=data["segment"], as_of=created)
    for key, stored_value in data.get("identity", {}).items():
        identity_signal_record(user=customer, kind=KINDS[key], value_hash=signal_hash(stored_value), source="billing")
    return customer


def _order_updated(data, created=None, references=None):  # snapshots carry their own version
    references = references or batches.References()
    snapshot = _snapshot(data, references)
    if snapshot is None:
        _references_require(
            "order.updated",
            customer_known=references.account(data["customer"]) is not None,
            product_known=references.product(data["product"]) is not None,
        )
    return order_snapshot_apply(snapshot)


def _snapshot(order, references):
    """The parsed snapshot as the rebate engine takes it, or None when its customer or product
    names nothing."""
    product, customer = references.product(order["product"]), references.account(order["customer"])
    if product is None or customer is None:
        return None
    return OrderSnapshot(
        billing_id=order["id"],
        customer=customer,
        product=product,
        **{key: order[key] for key in order if key not in ("id", "customer", "product")},
    )


APPLY = {"customer.updated": _customer_updated, "order.updated": _order_updated}
