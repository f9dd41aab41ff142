"""Fixtures of the referral tests: here an ambassador is a verified one, who can refer."""

from datetime import date
from decimal import Decimal

import pytest

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from referrals.models import Product, RuleSet
from referrals.rule_sets import rule_set_publish


@pytest.fixture
def ambassador(db):
    return VerifiedAmbassadorFactory()


@pytest.fixture
def logged_in(client, ambassador):
    client.force_login(ambassador.user)
    return client


@pytest.fixture
def current_rules(db):
    """A rule set for 2026 like April 2019's: member first purchases only, 25%."""
    rule_set = RuleSet.objects.create(
        month=date(2026, 1, 1), title="2026", member_first_purchase_rate=Decimal("0.25"), excluded_activities=["promo"]
    )
    rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "rds", "vhost-shared"]))
    return rule_set_publish(rule_set=rule_set, actor=None)
