"""What the billing platform may send (the events API's contract, docs/ARCHITECTURE.md), checked field by field.

`parse_event` turns a raw body into plain values or raises `EventInvalid`
with every bad field named; nothing here touches the database.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from portal.kernel.money import AmountInvalid, parse_yuan

EVENT_TYPES = ("customer.updated", "order.updated")
SEGMENTS = ("normal", "cbm", "partner")
IDENTITY_KEYS = ("id_number", "phone", "payment_account", "device_id", "address")
BILLINGS = ("prepaid", "postpaid")
KINDS = ("new", "renew", "upgrade")
STATUSES = ("unpaid", "paid", "refunded", "cancelled")
ORDER_KEYS = (
    "id", "customer", "product", "billing", "kind", "trial", "activity", "amount", "period_days",
    "placed_at", "status", "paid_at", "refunded_amount", "refunded_at", "version",
)  # fmt: skip
# Times billing can mean, and the portal can store, compare and shift by days without
# overflowing (year 1 or 9999 with an offset cannot be turned into UTC, and
# `created` = 2**40 is not a date at all).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive


class EventInvalid(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    data: dict
    created: int = 0  # unix seconds, when billing made the event


class Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self):
        self.errors = []

    def error(self, field, message):
        self.errors.append({"field": field, "message": message})

    def text(self, value, field, *, max_length, allow_empty=False):
        if not isinstance(value, str):
            return self.error(field, "must be a string")
        if (not value.strip() and not allow_empty) or len(value) > max_length:
            return self.error(field, f"must be 1 to {max_length} characters")
        if any(not character.isprintable() for character in value):
            return self.error(field, "must not contain control characters")
        return value

    def choice(self, value, field, choices):
        if value not in choices:
            return self.error(field, "must be one of " + ", ".join(choices))
        return value

    def integer(self, value, field, *, minimum, maximum):
        if type(value) is not int or not minimum <= value <= maximum:
            return self.error(field, f"must be a whole number from {minimum} to {maximum}")
        return value

    def boolean(self, value, field):
        if type(value) is not bool:
            return self.error(field, "must be true or false")
        return value

    def amount(self, value, field):
        try:
            return parse_yuan(value)
        except AmountInvalid:
            return self.error(
                field, 'must be a string of ASCII digits with at most 2 decimal places (yuan), such as "199.00"'
            )

    def moment(self, value, field, *, nullable=False):
        if value is None and nullable:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return self.error(
                field, "must be an ISO 8601 date-time with a time zone" + (" or null" if nullable else "")
            )
        if not EARLIEST <= moment < LATEST:
            return self.error(field, f"must be from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d} (UTC)")
        return moment

    def unix_time(self, value, field):
        """Whole unix seconds in the same range as the date-times."""
        earliest, latest = int(EARLIEST.timestamp()), int(LATEST.timestamp())
        if type(value) is not int or not earliest <= value < latest:
            return self.error(
                field, f"must be whole unix seconds from {earliest} ({EARLIEST:%Y-%m-%d}) to before {latest}"
            )
        return value

    def uid(self, value, field):
        try:
            return str(uuid.UUID(value)) if isinstance(value, str) else self.error(field, "must be an account id")
        except ValueError:
            return self.error(field, "must be an account id")

    def exact_keys(self, value, field, allowed, *, required=()):
        if not isinstance(value, dict):
            self.error(field, "must be an object")
            return False
        for key in value.keys() - set(allowed):
            self.error(f"{field}.{key}", "is not a known field")
        for key in required:
            if key not in value:
                self.error(f"{field}.{key}", "is required")
        return True


NOT_UTF8 = "must be JSON encoded as UTF-8 (RFC 8259); UTF-16 and UTF-32 are not accepted"


def json_text(raw_body: bytes) -> str:
    """The body as text: UTF-8 only (RFC 8259, 8.1), a UTF-8 byte order mark ignored.

    `json.loads` would also guess UTF-16 and UTF-32 from the bytes, and such a
    body could then not be stored as text. Without a byte order mark, UTF-16
    and UTF-32 JSON decode as UTF-8 only with NUL bytes, which JSON text never
    holds (a NUL inside a string must be escaped)."""
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise EventInvalid([{"field": "body", "message": NOT_UTF8}]) from None
    if "\x00" in text:
        raise EventInvalid([{"field": "body", "message": NOT_UTF8}])
    return text.removeprefix("\ufeff")


def parse_event(raw_body: bytes) -> Envelope:
    text = json_text(raw_body)
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise EventInvalid([{"field": "body", "message": "must be a JSON object"}]) from None
    check = Checker()
    if not check.exact_keys(
        body, "body", ("id", "type", "created", "data"), required=("id", "type", "created", "data")
    ):
        raise EventInvalid(check.errors)
    event_id = check.text(body.get("id"), "id", max_length=100)
    event_type = check.choice(body.get("type"), "type", EVENT_TYPES)
    check.unix_time(body.get("created"), "created")
    data = body.get("data")
    if event_type == "customer.updated":
        data = _customer_updated(check, data)
    elif event_type == "order.updated":
        data = order_data_check(check, data)
    if check.errors:
        raise EventInvalid(check.errors)
    return Envelope(id=event_id, type=event_type, data=data, created=body["created"])


def _customer_updated(check, data):
    if not check.exact_keys(data, "data", ("customer", "segment", "identity"), required=("customer",)):
        return None
    parsed = {"customer": check.uid(data.get("customer"), "data.customer")}
    if "segment" in data:
        parsed["segment"] = check.choice(data["segment"], "data.segment", SEGMENTS)
    identity = data.get("identity", {})
    if check.exact_keys(identity, "data.identity", IDENTITY_KEYS):
        parsed["identity"] = {
            key: check.text(value, f"data.identity.{key}", max_length=200) for key, value in identity.items()
        }
    return parsed


def order_data_check(check, data):
    """The `data` of an order.updated event: {"order": {...}}; also used by the order import."""
    if not check.exact_keys(data, "data", ("order",), required=("order",)):
        return None
    order = data.get("order")
    if not check.exact_keys(order, "data.order", ORDER_KEYS, required=ORDER_KEYS):
        return None

    def field(name):
        return f"data.order.{name}"

    parsed = {
        "id": check.text(order.get("id"), field("id"), max_length=64),
        "customer": check.uid(order.get("customer"), field("customer")),
        "product": check.text(order.get("product"), field("product"), max_length=64),
        "billing": check.choice(order.get("billing"), field("billing"), BILLINGS),
        "kind": check.choice(order.get("kind"), field("kind"), KINDS),
        "trial": check.boolean(order.get("trial"), field("trial")),
        "activity": ""
        if order.get("activity") is None
        else check.text(order["activity"], field("activity"), max_length=64),
        "amount": check.amount(order.get("amount"), field("amount")),
        "period_days": check.integer(order.get("period_days"), field("period_days"), minimum=1, maximum=36500),
        "placed_at": check.moment(order.get("placed_at"), field("placed_at")),
        "status": check.choice(order.get("status"), field("status"), STATUSES),
        "paid_at": check.moment(order.get("paid_at"), field("paid_at"), nullable=True),
        "refunded_amount": check.amount(order.get("refunded_amount"), field("refunded_amount")),
        "refunded_at": check.moment(order.get("refunded_at"), field("refunded_at"), nullable=True),
        "version": check.integer(order.get("version"), field("version"), minimum=1, maximum=2**31 - 1),
    }
    _order_consistent(check, parsed, field)
    return parsed


def _order_consistent(check, order, field):
    """Rules between fields: what a real order cannot look like."""
    if order["status"] in ("paid", "refunded") and "paid_at" in order and order["paid_at"] is None:
        check.error(field("paid_at"), f"is required when the status is {order['status']}")
    if isinstance(order["amount"], Decimal) and isinstance(order["refunded_amount"], Decimal):
        if order["refunded_amount"] > order["amount"]:
            check.error(field("refunded_amount"), "must not be more than the amount")
        if order["refunded_amount"] > 0 and order["refunded_at"] is None:
            check.error(field("refunded_at"), "is required when something was refunded")
    if order["status"] == "refunded" and order["refunded_amount"] == 0:
        check.error(field("refunded_amount"), "must be more than 0 when the status is refunded")
    placed = order["placed_at"]
    for later in ("paid_at", "refunded_at"):
        if isinstance(placed, datetime) and isinstance(order[later], datetime) and order[later] < placed:
            check.error(field(later), "must not be before placed_at")
