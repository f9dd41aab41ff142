"""Random streams of billing events for a few customers, and the state they leave.

A stream is what billing could send: new orders (unpaid or paid), their payment, partial and
full refunds, and `customer.updated` with a segment or an identity signal. Times fall on a coarse
grid so that orders placed and paid at the same moment, the edges of R1.3 and R2.1, come up
often. Tests apply one stream two ways and compare `stream_state`.
"""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from referrals.models import Association, CustomerProfile, Event, Order, RebateChange

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)  # the clock the streams are applied at
START = datetime(2026, 10, 22, 0, 0, tzinfo=SHANGHAI)  # orders paid by 27 October settle before NOW (R7.1)
GRID = timedelta(hours=6)
PRODUCTS = ("ecs", "ecs", "rds", "domain", "vhost-shared")

moments = st.integers(min_value=0, max_value=40).map(lambda step: START + step * GRID)


def new_order_of(customers):
    return st.fixed_dictionaries(
        {
            "step": st.just("order"),
            "customer": customers,
            "placed": moments,
            "product": st.sampled_from(PRODUCTS),
            "kind": st.sampled_from(["new", "new", "renew", "upgrade"]),
            "billing": st.sampled_from(["prepaid", "prepaid", "prepaid", "postpaid"]),
            "trial": st.sampled_from([False, False, False, True]),
            "amount": st.sampled_from([Decimal("0.00"), Decimal("100.00"), Decimal("1000.00"), Decimal("1000.00")]),
            "paid_after": st.none() | st.sampled_from([timedelta(0), GRID, 3 * GRID, 8 * GRID]),
        }
    )


new_order = new_order_of(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))
payment = st.fixed_dictionaries(
    {
        "step": st.just("pay"),
        "order": st.integers(0, 30),
        "paid_after": st.sampled_from([timedelta(0), GRID, 4 * GRID, 8 * GRID]),
    }
)
refund = st.fixed_dictionaries(
    {"step": st.just("refund"), "order": st.integers(0, 30), "share": st.sampled_from(["0.5", "1"])}
)


def customer_update_of(customers):
    return st.fixed_dictionaries(
        {
            "step": st.just("customer"),
            "customer": customers,
            "segment": st.none() | st.sampled_from(["normal", "normal", "cbm"]),
            # A phone number per customer, or one shared by customers from 2 on (R2.4, R9.1).
            "phone": st.none() | st.sampled_from(["own", "shared"]),
        }
    )


customer_update = customer_update_of(st.integers(0, 3))
steps = st.lists(st.one_of(new_order, new_order, payment, refund, customer_update), min_size=8, max_size=30)
# Each customer's association: from before the stream (most), none, or from a moment inside it.
association_start = st.one_of(
    st.just(START - timedelta(days=1)), st.just(START - timedelta(days=1)), st.none(), moments
)
associations = st.lists(association_start, min_size=4, max_size=4)

# Many customers, few `customer.updated`: long runs of snapshots of different customers, the runs a
# batch decides together (referrals/rebates/snapshot_batches.py), broken where customers repeat or
# share a phone (customers 2 to 7 when it is the shared one).
WIDE = 8
wide_steps = st.lists(
    st.one_of(
        *[new_order_of(st.integers(0, WIDE - 1))] * 3,
        payment,
        payment,
        refund,
        customer_update_of(st.integers(0, WIDE - 1)),
    ),
    min_size=10,
    max_size=40,
)
wide_associations = st.lists(association_start, min_size=WIDE, max_size=WIDE)


def stream_events(steps, customers):
    """The event bodies of `steps` for these four accounts, in order, each with a new id."""
    orders, events = [], []
    for step in steps:
        if step["step"] == "order":
            placed = step["placed"]
            paid = None if step["paid_after"] is None else placed + step["paid_after"]
            order = {
                "id": f"ord-{len(orders):03d}",
                "customer": str(customers[step["customer"]].uid),
                "product": step["product"],
                "billing": step["billing"],
                "kind": step["kind"],
                "trial": step["trial"],
                "activity": None,
                "amount": str(step["amount"]),
                "period_days": 360,
                "placed_at": placed.isoformat(),
                "status": "unpaid" if paid is None else "paid",
                "paid_at": None if paid is None else paid.isoformat(),
                "refunded_amount": "0.00",
                "refunded_at": None,
                "version": 1,
            }
            orders.append(order)
        elif step["step"] == "customer":
            data = {"customer": str(customers[step["customer"]].uid)}
            if step["segment"]:
                data["segment"] = step["segment"]
            if step["phone"]:
                shared = step["phone"] == "shared" and step["customer"] >= 2
                data["identity"] = {"phone": "13800000000" if shared else f"1390000000{step['customer']}"}
            events.append(_event(len(events), "customer.updated", data))
            continue
        elif not orders:
            continue
        else:
            order = dict(orders[step["order"] % len(orders)])
            if step["step"] == "pay":
                if order["status"] != "unpaid":
                    continue
                paid = datetime.fromisoformat(order["placed_at"]) + step["paid_after"]
                order |= {"status": "paid", "paid_at": paid.isoformat()}
            else:
                if order["status"] != "paid" or Decimal(order["amount"]) == 0:
                    continue
                amount = Decimal(order["amount"])
                refunded = min(amount, max(Decimal(order["refunded_amount"]), amount * Decimal(step["share"])))
                refunded_at = min(datetime.fromisoformat(order["paid_at"]) + 8 * GRID, NOW)
                order |= {
                    "refunded_amount": f"{refunded:.2f}",
                    "refunded_at": refunded_at.isoformat(),
                    "status": "refunded" if refunded == amount else "paid",
                }
            order["version"] += 1
            orders[[o["id"] for o in orders].index(order["id"])] = order
        events.append(_event(len(events), "order.updated", {"order": order}))
    return events


def _event(number, event_type, data):
    return {"id": f"evt_{number:05d}", "type": event_type, "created": int(NOW.timestamp()) + number, "data": data}


def events_store(bodies):
    """Stored as the API stores them (identity values as keyed hashes), all due at once."""
    from referrals.billing.identity import identity_stored

    for body in bodies:
        if body["type"] == "customer.updated" and "identity" in body["data"]:
            body = body | {"data": body["data"] | {"identity": identity_stored(body["data"]["identity"])}}
        Event.objects.create(
            id=body["id"], type=body["type"], body=json.dumps(body), body_digest="-", next_attempt_at=NOW
        )


def stream_state(customers):
    """Everything a stream decides, without ids or clocks that differ between two runs:
    every order and its decision, every rebate change (each order's in sequence), the events'
    outcomes, the associations and profiles."""
    orders = {
        order["billing_id"]: order
        for order in Order.objects.filter(customer__in=customers).values(
            "billing_id",
            "status",
            "paid_at",
            "refunded_amount",
            "version",
            "ambassador_id",
            # The association by what it is, not its id: PostgreSQL does not hand a rolled-back
            # id out again, so the second run's associations have new ids.
            "association__started_at",
            "rule_set_id",
            "order_type",
            "rate",
            "rebate",
            "reason",
            "settles_on",
            "on_hold",
            "risk_verdict",
        )  # fmt: skip
    }
    # Each order's changes in the order they were made. Between two orders the order of ids only
    # says which step of a worker came first: a batch decides a run of customers' snapshots before
    # the other orders their payments reach, one event at a time decides those in between.
    changes = list(
        RebateChange.objects.filter(order__customer__in=customers)
        .order_by("order__billing_id", "pk")
        .values_list("order__billing_id", "cause", "before", "after", "reason_after", "after_settlement")
    )
    events = list(Event.objects.order_by("pk").values_list("pk", "status", "attempts", "result", "error"))
    association_ends = list(
        Association.objects.filter(customer__in=customers)
        .order_by("pk")
        .values_list("customer_id", "started_at", "ended_at", "end_reason")
    )
    profiles = list(
        CustomerProfile.objects.filter(customer__in=customers)
        .order_by("customer_id")
        .values_list("customer_id", "segment", "became_old_at")
    )
    return {
        "orders": orders,
        "changes": changes,
        "events": events,
        "associations": association_ends,
        "profiles": profiles,
    }
