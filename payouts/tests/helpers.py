"""Money earned the way it is in production: a customer associated by a visit, then a
billing snapshot decided by the rebate engine (the ledger follows by its signal)."""

import itertools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ambassadors.tests.factories import UserFactory
from referrals.attribution.services import association_apply
from referrals.models import Order, Product
from referrals.rebates.services import OrderSnapshot, order_snapshot_apply
from referrals.tests.visits import visit_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def snapshot_of(order, **changes):
    fields = [
        "billing_id", "customer", "product", "billing", "kind", "trial", "activity", "amount", "period_days",
        "placed_at", "status", "paid_at", "refunded_amount", "refunded_at", "version",
    ]  # fmt: skip
    return OrderSnapshot(**({name: getattr(order, name) for name in fields} | changes))


def paid_order(ambassador, *, amount="1000.00", paid="2026-11-10 10:05", today=None):
    """A member first purchase by a new customer of `ambassador`, paid at `paid` (Shanghai):
    it earns 25% under the rule set of the month (conftest's `current_rules`)."""
    customer = UserFactory()
    placed = at(paid)
    association_apply(customer=customer, visit=visit_to(ambassador, at=placed), now=placed)
    billing_id = f"pay-{next(_numbers)}"
    order_snapshot_apply(
        OrderSnapshot(
            billing_id=billing_id,
            customer=customer,
            product=Product.objects.get(code="ecs"),
            billing="prepaid",
            kind="new",
            trial=False,
            activity="",
            amount=Decimal(amount),
            period_days=360,
            placed_at=placed,
            status="paid",
            paid_at=placed,
            refunded_amount=Decimal("0.00"),
            refunded_at=None,
            version=1,
        ),
        today=today or placed.date(),
    )
    return Order.objects.get(billing_id=billing_id)


def refund(order, refunded, *, on):
    """Billing's next snapshot: `refunded` yuan returned to the customer (R6.1)."""
    order_snapshot_apply(
        snapshot_of(
            order,
            status="refunded" if Decimal(refunded) == order.amount else "paid",
            refunded_amount=Decimal(refunded),
            refunded_at=at(on),
            version=order.version + 1,
        ),
        today=at(on).date(),
    )
    order.refresh_from_db()
    return order
