"""The billing platform of the soak: it makes customers' orders as successive snapshots and sends
them, and customers' segments and identity signals, to `POST /api/v1/events`, signed as the API
requires, out of order and more than once, as a real delivery system does:

- each snapshot (version) of an order is its own event, and the versions of one order are due at
  independent random times, so a later version often arrives first;
- a quarter of the deliveries are repeated later (same id, same body: 200 with the first answer);
- some snapshots are delivered again under a new event id (stored, then ignored as not newer);
- a few event ids are sent again with another body (another `created`): whichever arrives second
  must be answered 409.

It remembers every answer, so the end checks can say what the portal must hold."""

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal

from .browser import Browser

EVENTS_PATH = "/api/v1/events"
PRODUCTS = (
    ["ecs"] * 6
    + ["rds"] * 3
    + ["oss"] * 2
    + ["slb", "vhost-shared", "vhost-shared", "vhost-dedicated"]
    + ["domain"] * 2
)
ACTIVITIES = [None] * 24 + ["double11", "spring-sale"]
RETRIES = 3  # a delivery that got no answer (or a 5xx) is sent again, as billing would


@dataclass(frozen=True)
class Delivery:
    event_id: str
    raw: bytes
    kind: str  # "order", "customer", or "conflicting twin"
    order: str = ""  # billing id
    version: int = 0
    customer: str = ""  # uid, for customer.updated
    segment: str = ""
    created: int = 0

    @property
    def digest(self):
        """The portal's keyed digest of this body, as stored with the event."""
        from referrals.billing.services import event_body_digest

        return event_body_digest(self.raw)


def _iso(moment):
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _money(value):
    return f"{value:.2f}"


class Billing:
    def __init__(self, *, port, secret, stats, rng, duration):
        self.port = port
        self.secret = secret.encode()
        self.stats = stats
        self.rng = rng
        self.duration = duration
        self.started = time.monotonic()
        self._heap = []
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._order_numbers = itertools.count(1)
        # What was sent and answered, for the checks.
        self.snapshots = {}  # billing id -> {version: snapshot}
        self.accepted_versions = defaultdict(set)  # billing id -> versions answered 200 at least once
        self.answers = []  # (event id, body digest, status) of every delivery's last attempt
        self.segments = defaultdict(list)  # uid -> [(created, segment)] answered 200
        self.sent = 0
        self.answered_200 = 0
        self.answered_409 = 0
        self.unanswered = 0

    # what billing sends

    def _due(self, delay):
        return time.monotonic() + max(0.0, delay)

    def _put(self, delivery, delay):
        with self._wake:
            heapq.heappush(self._heap, (self._due(delay), next(self._sequence), delivery))
            self._wake.notify()

    def _deliver(self, delivery, delay):
        """One delivery, maybe repeated, maybe again under a new id, maybe with a conflicting twin."""
        rng = self.rng
        self._put(delivery, delay)
        if rng.random() < 0.25:
            self._put(delivery, delay + rng.uniform(0.2, 12))
        if delivery.kind == "order" and rng.random() < 0.08:
            again = json.loads(delivery.raw)
            again["id"] = f"{again['id']}-redelivered"
            self._put(self._with_body(delivery, again), delay + rng.uniform(0.5, 20))
        if rng.random() < 0.02:
            twin = json.loads(delivery.raw)
            twin["created"] += 1  # the same id with another body: the second to arrive gets 409
            self._put(self._with_body(delivery, twin, kind="conflicting twin"), delay + rng.uniform(0, 6))

    @staticmethod
    def _with_body(delivery, body, kind=None):
        return Delivery(
            event_id=body["id"],
            raw=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
            kind=kind or delivery.kind,
            order=delivery.order,
            version=delivery.version,
            customer=delivery.customer,
            segment=delivery.segment,
            created=body["created"],
        )

    def _event(self, event_id, event_type, data, created):
        body = {"id": event_id, "type": event_type, "created": created, "data": data}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def order_snapshots(self, customer_uid, placed_at, *, first, live):
        """An order's life as billing sees it: unpaid, then paid (or cancelled, or left unpaid),
        then maybe refunded in part or in full. `live` orders happen now; the others in the past."""
        rng = self.rng
        billing_id = f"soak-{next(self._order_numbers):06d}"
        amount = Decimal(rng.randrange(50_00, 3_000_00)) / 100
        base = {
            "id": billing_id,
            "customer": customer_uid,
            "product": rng.choice(PRODUCTS),
            "billing": "prepaid" if rng.random() < 0.92 else "postpaid",
            "kind": "new" if first or rng.random() < 0.5 else rng.choice(["renew", "upgrade"]),
            "trial": rng.random() < 0.04,
            "activity": rng.choice(ACTIVITIES),
            "amount": _money(amount),
            "period_days": rng.choice([30, 90, 180, 365, 730]),
            "placed_at": _iso(placed_at),
            "status": "unpaid",
            "paid_at": None,
            "refunded_amount": "0.00",
            "refunded_at": None,
            "version": 1,
        }
        snapshots = [base]
        fate = rng.random()
        if fate < 0.05:
            pass  # never paid
        elif fate < 0.09:
            snapshots.append(base | {"status": "cancelled", "version": 2})
        else:
            paid_at = placed_at + (timedelta(seconds=1) if live else timedelta(minutes=rng.randrange(1, 120)))
            paid = base | {"status": "paid", "paid_at": _iso(paid_at), "version": 2}
            snapshots.append(paid)
            if rng.random() < 0.25:
                refunded_at = paid_at + (timedelta(seconds=2) if live else timedelta(hours=rng.randrange(1, 96)))
                if rng.random() < 0.6:
                    refund = {"status": "refunded", "refunded_amount": _money(amount)}
                else:
                    refund = {"refunded_amount": _money((amount * Decimal(rng.randrange(10, 90)) / 100).quantize(1))}
                    if Decimal(refund["refunded_amount"]) == 0:
                        refund["refunded_amount"] = "1.00"
                snapshots.append(paid | refund | {"refunded_at": _iso(refunded_at), "version": 3})
        self.snapshots[billing_id] = {snapshot["version"]: snapshot for snapshot in snapshots}
        return billing_id, snapshots

    def order_send(self, customer_uid, placed_at, *, first, live, windows):
        """Make an order and schedule its snapshots; `windows[i]` is (earliest, latest) delay in
        seconds of the i-th snapshot (the refund has its own, later window)."""
        billing_id, snapshots = self.order_snapshots(customer_uid, placed_at, first=first, live=live)
        created = int(time.time())
        for snapshot in snapshots:
            version = snapshot["version"]
            earliest, latest = windows[min(version, len(windows)) - 1]
            event_id = f"{billing_id}-v{version}"
            raw = self._event(event_id, "order.updated", {"order": snapshot}, created)
            delivery = Delivery(event_id, raw, "order", order=billing_id, version=version, created=created)
            self._deliver(delivery, self.rng.uniform(earliest, latest))
        return billing_id

    def customer_send(self, customer, *, ambassador_phone, number, window):
        """customer.updated: identity signals, and a segment; some customers change segment twice
        (sent in any order: the newer `created` must win), a few share the ambassador's phone."""
        rng = self.rng
        now = int(time.time())
        identity = {
            "device_id": f"soak-device-{customer.uid}",
            "address": f"上海市浦东新区压力路 {number} 号",
            "phone": ambassador_phone if rng.random() < 0.03 else f"1370{number:07d}",
        }
        roll = rng.random()
        if roll < 0.05:
            updates = [(now, "cbm")]
        elif roll < 0.10:
            updates = [(now - 30, "cbm"), (now, "normal")]
        else:
            updates = [(now, "normal")]
        for index, (created, segment) in enumerate(updates):
            data = {"customer": customer.uid, "segment": segment}
            if index == 0:
                data["identity"] = identity
            event_id = f"customer-{customer.uid}-{index}"
            raw = self._event(event_id, "customer.updated", data, created)
            delivery = Delivery(event_id, raw, "customer", customer=customer.uid, segment=segment, created=created)
            self._deliver(delivery, rng.uniform(*window))

    # sending

    def pending(self):
        with self._lock:
            return len(self._heap)

    def _take(self, stop, flush):
        """The next due delivery; once `flush` is set, every delivery left, due or not."""
        with self._wake:
            while True:
                if self._heap and (flush.is_set() or self._heap[0][0] <= time.monotonic()):
                    return heapq.heappop(self._heap)[2]
                if flush.is_set() and not self._heap:
                    return None
                wait = self._heap[0][0] - time.monotonic() if self._heap else 0.5
                self._wake.wait(timeout=min(max(wait, 0.01), 0.5))

    def sender(self, stop, flush):
        """One sender thread: until flushed empty, send what is due."""
        browser = Browser(self.port, self.stats)
        while True:
            delivery = self._take(stop, flush)
            if delivery is None:
                return
            self._send(browser, delivery)

    def _signature(self, raw):
        timestamp = int(time.time())
        digest = hmac.new(self.secret, f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    def _send(self, browser, delivery):
        # 409 is right for whichever of an id's two bodies arrives second: the end checks say which.
        kind = "event " + ("order.updated" if delivery.kind != "customer" else "customer.updated")
        for _attempt in range(RETRIES):
            headers = {"Content-Type": "application/json", "Portal-Signature": self._signature(delivery.raw)}
            answer = browser.request(
                "POST", EVENTS_PATH, body=delivery.raw, headers=headers, kind=kind, expected=(200, 409)
            )
            if isinstance(answer.status, int) and answer.status < 500:
                break
            time.sleep(1)
        with self._lock:
            self.sent += 1
            self.answers.append((delivery.event_id, delivery.digest, answer.status))
            if answer.status == 200:
                self.answered_200 += 1
                if delivery.order:
                    self.accepted_versions[delivery.order].add(delivery.version)
                if delivery.segment:
                    self.segments[delivery.customer].append((delivery.created, delivery.segment))
            elif answer.status == 409:
                self.answered_409 += 1
            else:
                self.unanswered += 1
