"""The generated rows checked against the engine's: each kind of generated order must look like
the one the engine wrote (same columns set, same links, amounts that follow the same way), and
the whole data set must keep the ledger's invariants."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from .config import SHANGHAI, TABLES

ORDER_KEPT = {"billing", "kind", "trial", "activity", "status", "version", "order_type", "rate", "reason", "on_hold"}


def _rows(cursor, sql, params):
    cursor.execute(sql, params)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _presence(row, kept=()):
    return {name: (value if name in kept else value is not None) for name, value in row.items() if name != "id"}


def order_shape(cursor, order_id):
    """An order, its customer's profile and association, its rebate changes, postings and entries, with ids
    replaced by what they point at and amounts by how they follow from each other: equal for two orders
    of the same kind if the rows were written the same way."""
    order = _rows(cursor, f"SELECT * FROM {TABLES['order']} WHERE id = %s", [order_id])[0]
    association = _rows(cursor, f"SELECT * FROM {TABLES['association']} WHERE id = %s", [order["association_id"]])[0]
    profile = _rows(cursor, f"SELECT * FROM {TABLES['profile']} WHERE customer_id = %s", [order["customer_id"]])[0]
    changes = _rows(cursor, f"SELECT * FROM {TABLES['change']} WHERE order_id = %s ORDER BY id", [order_id])
    postings = _rows(cursor, f"SELECT * FROM {TABLES['posting']} WHERE order_id = %s ORDER BY id", [order_id])
    entries = _rows(
        cursor,
        f"SELECT * FROM {TABLES['entry']} WHERE posting_id = ANY(%s) ORDER BY posting_id, bucket",
        [[posting["id"] for posting in postings]],
    )
    paid_on = order["paid_at"].astimezone(ZoneInfo(SHANGHAI)).date()
    kept = order["amount"] - order["refunded_amount"]
    return {
        "order": _presence(order, ORDER_KEPT),
        "settles_on is paid date + 30": order["settles_on"] == paid_on + timedelta(days=30),
        "rebate from kept amount": order["rebate"]
        == ((kept * order["rate"]).quantize(Decimal("0.01"), ROUND_HALF_UP) if not order["reason"] else 0),
        "association": _presence(association, {"end_reason"}),
        "association is the order's": (association["ambassador_id"], association["customer_id"])
        == (order["ambassador_id"], order["customer_id"]),
        "association ended at payment": association["ended_at"] == order["paid_at"],
        "association held at placing": association["started_at"] <= order["placed_at"] < association["expires_at"],
        "profile": _presence(profile, {"segment"}),
        "became old at payment": profile["became_old_at"] == order["paid_at"],
        "changes": [
            _presence(change, {"cause", "reason_after", "after_settlement"})
            | {"before is previous after": change["before"] == (changes[index - 1]["after"] if index else 0)}
            for index, change in enumerate(changes)
        ],
        "last change is the rebate": changes[-1]["after"] == order["rebate"],
        "postings": [_posting_shape(posting, entries, changes, order) for posting in postings],
    }


def _posting_shape(posting, entries, changes, order):
    """A posting of the order: its kind, its key with the ids named, the change it follows and its entries."""
    change_index = {change["id"]: index for index, change in enumerate(changes)}
    change = changes[change_index[posting["rebate_change_id"]]] if posting["rebate_change_id"] else None
    key = {
        f"rebate:{posting['rebate_change_id']}": "rebate:<change>",
        f"settlement:{order['id']}": "settlement:<order>",
    }
    return _presence(posting, {"kind"}) | {
        "key": key.get(posting["key"], posting["key"]),
        "order is the order": posting["order_id"] == order["id"],
        "change": change_index.get(posting["rebate_change_id"]),
        "entries": [
            _entry_shape(entry, change, earned=changes[0]["after"], order=order)
            for entry in entries
            if entry["posting_id"] == posting["id"]
        ],
    }


def _entry_shape(entry, change, *, earned, order):
    """An entry, its amount named by where it comes from: the change's difference or what the order earned."""
    amount = entry["amount"]
    if change and amount == change["after"] - change["before"]:
        amount = "change after - before"
    elif amount in (earned, -earned):
        amount = "+earned" if amount > 0 else "-earned"
    return {
        "bucket": entry["bucket"],
        "amount": amount,
        "ambassador is the order's": entry["ambassador_id"] == order["ambassador_id"],
        "order is the order": entry["order_id"] == order["id"],
    }


def shapes_compare(engine, generated):
    """Every generated kind of order against the engine's: the differences (none expected)."""
    from django.db import connection

    differences = []
    with connection.cursor() as cursor:
        for kind, engine_id in engine.items():
            expected, found = order_shape(cursor, engine_id), order_shape(cursor, generated[kind])
            if expected != found:
                differences.append(f"{kind}: engine {expected}\n  generated {found}")
    return differences


INVARIANTS = {
    # What an order has earned is what the ledger holds for it.
    "orders whose rebate postings do not sum to the order's rebate": """
        SELECT COUNT(*) FROM {order} o
        LEFT JOIN (SELECT e.order_id, SUM(e.amount) AS total FROM {entry} e JOIN {posting} p ON p.id = e.posting_id
                   WHERE p.kind = 'rebate' GROUP BY e.order_id) l ON l.order_id = o.id
        WHERE o.rebate <> COALESCE(l.total, 0)""",
    "orders whose settlement date is not day 31 in Shanghai": """
        SELECT COUNT(*) FROM {order} WHERE settles_on <> (paid_at AT TIME ZONE 'Asia/Shanghai')::date + 30""",
    "rebate postings whose key is not rebate:<change id> of the order": """
        SELECT COUNT(*) FROM {posting} p LEFT JOIN {change} c ON c.id = p.rebate_change_id
        WHERE p.kind = 'rebate' AND (p.key <> 'rebate:' || c.id OR c.order_id IS DISTINCT FROM p.order_id)""",
    "entries not carrying their posting's order": """
        SELECT COUNT(*) FROM {entry} e JOIN {posting} p ON p.id = e.posting_id
        WHERE p.order_id IS NOT NULL AND e.order_id IS DISTINCT FROM p.order_id""",
    "entries of an order for another ambassador than the order's": """
        SELECT COUNT(*) FROM {entry} e JOIN {order} o ON o.id = e.order_id WHERE e.ambassador_id <> o.ambassador_id""",
}
