"""Building signed events the way the billing platform sends them."""

import hashlib
import hmac
import json
import time
import uuid

from django.conf import settings

EVENTS_URL = "/api/v1/events"


def sign(raw_body, *, timestamp=None, secret=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    secret = secret or settings.EVENTS_SIGNING_SECRET
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(client, body, *, raw=None, **signing):
    raw = raw if raw is not None else json.dumps(body).encode()
    return client.post(
        EVENTS_URL, data=raw, content_type="application/json", HTTP_PORTAL_SIGNATURE=sign(raw, **signing)
    )


def event(event_type, data, *, event_id=None):
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": event_type, "created": int(time.time()), "data": data}


def order_snapshot(account, /, **changes):
    snapshot = {
        "id": "ord-1",
        "customer": str(account.uid),
        "product": "ecs",
        "billing": "prepaid",
        "kind": "new",
        "trial": False,
        "activity": None,
        "amount": "1000.00",
        "period_days": 360,
        "placed_at": "2026-11-20T10:00:00+08:00",
        "status": "paid",
        "paid_at": "2026-11-20T10:05:00+08:00",
        "refunded_amount": "0.00",
        "refunded_at": None,
        "version": 1,
    }
    return snapshot | changes


def order_event(account, /, *, event_id=None, **changes):
    return event("order.updated", {"order": order_snapshot(account, **changes)}, event_id=event_id)
