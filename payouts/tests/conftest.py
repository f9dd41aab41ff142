from datetime import date
from decimal import Decimal

import pytest

from ambassadors.tests.factories import BoundAmbassadorFactory
from referrals.models import Product, RuleSet
from referrals.rebates.rule_sets import rule_set_publish

from .alipay_fixtures import *  # noqa: F403  (the fake Alipay gateway and a client pointed at it)


@pytest.fixture
def current_rules(db):
    """A rule set for 2026 like April 2019's: member first purchases only, 25%."""
    rule_set = RuleSet.objects.create(month=date(2026, 1, 1), title="2026", member_first_purchase_rate=Decimal("0.25"))
    rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "rds"]))
    return rule_set_publish(rule_set=rule_set, actor=None)


@pytest.fixture
def bound_ambassador(db):
    """Verified, with an Alipay account bound: may withdraw (R11.1)."""
    return BoundAmbassadorFactory()
