"""What became of an event, as billing may read it back (`GET /api/v1/events/<id>`)."""

import re

from referrals.models import Event, Order

# The answer names the event's state in billing's words, not the column's.
STATUS_WORDS = {
    Event.Status.RECEIVED: "received",
    Event.Status.PROCESSED: "applied",
    Event.Status.FAILED: "failed",
}

# An error is shown as kept, except any keyed hash or long hex run in it: a failure
# while recording identity signals could quote one, and the answer carries none.
_HASH_LIKE = re.compile(r"hmac-sha256:[0-9a-f]*|\b[0-9a-fA-F]{32,}\b")


def event_status(event_id):
    """The event's state, its tries and its outcome, or None if no event has the id.

    An applied `order.updated` lists its order with the order's decision now (R4):
    `rebate` or `no_rebate` with its reason code, and whether risk control holds it.
    An applied `customer.updated` says how many orders were decided again: they
    may belong to other customers (shared identity signals), so none is named."""
    event = (
        Event.objects.filter(pk=event_id)
        .only("id", "type", "status", "attempts", "received_at", "processed_at", "next_attempt_at", "result", "error")
        .first()
    )
    if event is None:
        return None
    answer = {
        "event": event.id,
        "type": event.type,
        "status": STATUS_WORDS[event.status],
        "attempts": event.attempts,
        "received_at": event.received_at.isoformat(),
    }
    if event.status == Event.Status.PROCESSED:
        answer["applied_at"] = event.processed_at.isoformat() if event.processed_at else None
        answer |= _outcome(event)
    else:
        if event.error:
            answer["error"] = _HASH_LIKE.sub("[hidden]", event.error)
        if event.status == Event.Status.RECEIVED:
            answer["next_attempt_at"] = event.next_attempt_at.isoformat()
    return answer


def _outcome(event):
    result = event.result or {}
    if event.type == "customer.updated":
        return {"orders_rejudged": result.get("orders_rejudged", 0)}
    billing_id = result.get("order")
    order = (
        Order.objects.filter(billing_id=billing_id).only("billing_id", "reason", "rebate", "on_hold").first()
        if billing_id
        else None
    )
    outcome = {"snapshot_applied": bool(result.get("applied"))}
    if not outcome["snapshot_applied"] and "stored_version" in result:
        outcome["stored_version"] = result["stored_version"]
    outcome["orders"] = [_decision(order)] if order else []
    return outcome


def _decision(order):
    return {
        "order": order.billing_id,
        "decision": "no_rebate" if order.reason else "rebate",
        "reason": order.reason or None,
        "rebate": str(order.rebate),
        "on_hold": order.on_hold,
    }
