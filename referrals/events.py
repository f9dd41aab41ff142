"""Receiving billing's events: the signature, idempotency by event id, and applying each type."""

import hashlib
import hmac
import time

from django.conf import settings
from django.db import IntegrityError, transaction

from ambassadors.identity import identity_signal_record
from ambassadors.models import IdentitySignal
from portal import personal_data
from portal.models import User

from .event_schema import Envelope, EventInvalid
from .models import Event, Product
from .orders import OrderSnapshot, customer_orders_rejudge, order_snapshot_apply
from .services import customer_segment_set

SIGNATURE_TOLERANCE = 300  # seconds, either way


def signature_valid(header, raw_body, *, now=None):
    """`Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
    within SIGNATURE_TOLERANCE of now, compared in constant time."""
    parts = [part.split("=", 1) for part in (header or "").split(",") if "=" in part]
    timestamps = [value for key, value in parts if key.strip() == "t"]
    signatures = [value.strip() for key, value in parts if key.strip() == "v1"]
    if len(timestamps) != 1 or not signatures or not timestamps[0].strip().isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs((now or time.time()) - timestamp) > SIGNATURE_TOLERANCE:
        return False
    expected = hmac.new(
        settings.EVENTS_SIGNING_SECRET.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


def event_receive(envelope: Envelope, raw_body: bytes):
    """Apply an event once; returns (HTTP status, JSON answer).

    A replay of the same id and body answers the first result; the same id
    with another body answers 409. Bad references answer 400; in every
    refusal nothing is stored.
    """
    body_sha256 = hashlib.sha256(raw_body).hexdigest()
    seen = Event.objects.filter(id=envelope.id).first()
    if seen is not None:
        return _replay(seen, body_sha256)
    try:
        with transaction.atomic():
            result = APPLY[envelope.type](envelope.data)
            Event.objects.create(id=envelope.id, type=envelope.type, body_sha256=body_sha256, result=result)
    except EventInvalid as invalid:
        return 400, {"errors": invalid.errors}
    except IntegrityError:
        # The same id arrived twice at once; the other request stored it first.
        return _replay(Event.objects.get(id=envelope.id), body_sha256)
    return 200, result


def _replay(seen, body_sha256):
    if seen.body_sha256 != body_sha256:
        return 409, {"errors": [{"field": "id", "message": "was used before with a different body"}]}
    return 200, seen.result


def _account(uid, field):
    account = User.objects.filter(uid=uid).first()
    if account is None:
        raise EventInvalid([{"field": field, "message": "is not a known account"}])
    return account


_NORMALISE = {
    "id_number": (IdentitySignal.Kind.ID_NUMBER, personal_data.normalise_id_number),
    "phone": (IdentitySignal.Kind.PHONE, personal_data.normalise_phone),
    "payment_account": (
        IdentitySignal.Kind.PAYMENT_ACCOUNT,
        lambda v: personal_data.normalise_email(v) if "@" in v else personal_data.normalise_phone(v),
    ),
    "device_id": (IdentitySignal.Kind.DEVICE, str.strip),
    "address": (IdentitySignal.Kind.ADDRESS, lambda v: " ".join(v.split()).lower()),
}


def _customer_updated(data):
    customer = _account(data["customer"], "data.customer")
    if "segment" in data:
        customer_segment_set(customer=customer, segment=data["segment"])
    for key, value in data.get("identity", {}).items():
        kind, normalise = _NORMALISE[key]
        identity_signal_record(
            user=customer, kind=kind, value_hash=personal_data.keyed_hash(normalise(value)), source="billing"
        )
    rejudged = customer_orders_rejudge(customer)
    return {"customer": data["customer"], "orders_rejudged": rejudged}


def _order_updated(data):
    order = data  # the parsed snapshot
    product = Product.objects.filter(code=order["product"]).first()
    customer = User.objects.filter(uid=order["customer"]).first()
    errors = []
    if customer is None:
        errors.append({"field": "data.order.customer", "message": "is not a known account"})
    if product is None:
        errors.append({"field": "data.order.product", "message": "is not in the product catalogue; import it first"})
    if errors:
        raise EventInvalid(errors)
    snapshot = OrderSnapshot(
        billing_id=order["id"],
        customer=customer,
        product=product,
        **{key: order[key] for key in order if key not in ("id", "customer", "product")},
    )
    return order_snapshot_apply(snapshot)


APPLY = {"customer.updated": _customer_updated, "order.updated": _order_updated}
