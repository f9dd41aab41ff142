"""Importing orders from a staff spreadsheet (xlsx or csv) through the same
checks and the same service as the events API: all rows or none."""

from django.db import transaction

from .event_schema import ORDER_KEYS, Checker, EventInvalid, order_data_check
from .events import APPLY

_INTEGERS = ("period_days", "version")
_NULLABLE = ("activity", "paid_at", "refunded_at")


def _typed(row):
    """Spreadsheet cells are text; give each column the JSON type the API expects."""
    order = {}
    for key in ORDER_KEYS:
        value = row.get(key)
        value = "" if value is None else str(value).strip()
        if key in _NULLABLE and value == "":
            value = None
        elif key in _INTEGERS and value.lstrip("-").isdigit():
            value = int(value)
        elif key == "trial":
            value = {"true": True, "1": True, "false": False, "0": False, "": False}.get(value.lower(), value)
        order[key] = value
    return order


def orders_import(dataset):
    """Apply every row of a tablib Dataset; returns (rows applied, errors by row).
    With any error nothing is stored."""
    missing = [key for key in ORDER_KEYS if key not in (dataset.headers or [])]
    if missing:
        return 0, [{"row": 1, "field": key, "message": "column is missing"} for key in missing]
    errors, applied = [], 0
    with transaction.atomic():
        for number, row in enumerate(dataset.dict, start=2):  # row 1 is the header
            check = Checker()
            parsed = order_data_check(check, {"order": _typed(row)})
            try:
                if check.errors:
                    raise EventInvalid(check.errors)
                APPLY["order.updated"](parsed)
                applied += 1
            except EventInvalid as invalid:
                errors += [{"row": number, **error} for error in invalid.errors]
        if errors:
            transaction.set_rollback(True)
            return 0, errors
    return applied, []
