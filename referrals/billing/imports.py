"""Staff imports from a spreadsheet (xlsx or csv) through the same checks and
the same services as the events API: all rows or none, each bad row named."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .schema import ORDER_KEYS, SEGMENTS, Checker, EventInvalid, order_data_check
from .services import APPLY

_INTEGERS = ("period_days", "version")
_NULLABLE = ("activity", "paid_at", "refunded_at")


def _typed(row):
    """Spreadsheet cells are text; give each column the JSON type the API expects."""
    order = {}
    for key in ORDER_KEYS:
        value = row.get(key)
        if isinstance(value, datetime):
            # An xlsx date cell has no time zone: it is Asia/Shanghai time, as staff typed it.
            value = (value if timezone.is_aware(value) else timezone.make_aware(value)).isoformat()
        value = "" if value is None else str(value).strip()
        if key in _NULLABLE and value == "":
            value = None
        elif key in _INTEGERS and value.lstrip("-").isdigit():
            value = int(value)
        elif key == "trial":
            value = {"true": True, "1": True, "false": False, "0": False, "": False}.get(value.lower(), value)
        order[key] = value
    return order


def _import(dataset, columns, apply_row):
    """Apply every row of a tablib Dataset; returns (rows applied, errors by row).
    With any error nothing is stored."""
    missing = [key for key in columns if key not in (dataset.headers or [])]
    if missing:
        return 0, [{"row": 1, "field": key, "message": "column is missing"} for key in missing]
    errors, applied = [], 0
    with transaction.atomic():
        for number, row in enumerate(dataset.dict, start=2):  # row 1 is the header
            try:
                with transaction.atomic():
                    apply_row(row)
                applied += 1
            except EventInvalid as invalid:
                errors += [{"row": number, **error} for error in invalid.errors]
            except Exception as error:  # a row the services could not apply: named, never a 500
                errors.append(
                    {"row": number, "field": "-", "message": f"could not be applied ({type(error).__name__})"}
                )
        if errors:
            transaction.set_rollback(True)
            return 0, errors
    return applied, []


def _order_row(row):
    check = Checker()
    parsed = order_data_check(check, {"order": _typed(row)})
    if check.errors:
        raise EventInvalid(check.errors)
    APPLY["order.updated"](parsed)


def _segment_row(row):
    check = Checker()
    data = {"customer": check.uid(str(row.get("customer") or "").strip(), "customer")}
    data["segment"] = check.choice(str(row.get("segment") or "").strip().lower(), "segment", SEGMENTS)
    if check.errors:
        raise EventInvalid(check.errors)
    APPLY["customer.updated"](data)


def orders_import(dataset):
    """Order snapshots, one a row, columns as the events API's order fields."""
    return _import(dataset, ORDER_KEYS, _order_row)


def segments_import(dataset):
    """Customers' segments, columns `customer` (account id) and `segment`."""
    return _import(dataset, ("customer", "segment"), _segment_row)
