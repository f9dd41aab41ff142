"""What the engine writes, through the engine: the four orders whose rows the bulk copies."""

from datetime import date
from decimal import Decimal

from .config import RATE


def engine_orders():
    """What the engine writes, through the engine: a rule set like the tests' (25% on member first
    purchases), a bound ambassador, and four orders of a customer each (payouts/tests/helpers.py):
    plain, refunded in part before settlement, refunded in full before settlement, and settled
    (a real settlement_run) then refunded in full, which leaves a debt (R6.2)."""
    from ambassadors.tests.factories import BoundAmbassadorFactory
    from payouts.settlement import settlement_run
    from payouts.tests.helpers import paid_order, refund
    from referrals.models import Product, RuleSet
    from referrals.rebates.rule_sets import rule_set_publish

    rule_set = RuleSet.objects.create(month=date(2026, 1, 1), title="bench 2026", member_first_purchase_rate=RATE)
    rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "rds"]))
    rule_set = rule_set_publish(rule_set=rule_set, actor=None)
    ambassador = BoundAmbassadorFactory()
    plain = paid_order(ambassador, paid="2026-11-10 10:05")
    partial = refund(paid_order(ambassador, paid="2026-11-11 10:05"), "400.00", on="2026-11-20 12:00")
    full = refund(paid_order(ambassador, paid="2026-11-12 10:05"), "1000.00", on="2026-11-21 12:00")
    debt = paid_order(ambassador, paid="2026-10-01 10:05")
    settlement_run(date(2026, 10, 31))
    debt = refund(debt, "1000.00", on="2026-11-05 09:00")
    assert plain.rebate == Decimal("250.00") and partial.rebate == Decimal("150.00") and full.rebate == 0
    return rule_set, ambassador, {"plain": plain.pk, "partial": partial.pk, "full": full.pk, "debt": debt.pk}
