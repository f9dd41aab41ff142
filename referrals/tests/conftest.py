"""Fixtures of the referral tests: here an ambassador is a verified one, who can refer."""

from datetime import date
from decimal import Decimal

import pytest

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from portal.kernel.staff import OPERATIONS
from referrals.models import Product, RuleSet
from referrals.rebates.rule_sets import rule_set_publish
from referrals.tests.staff import staff_in


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


@pytest.fixture
def operations(client):
    """A client logged in as a member of the operations group (imports, products, rule sets)."""
    client.force_login(staff_in(OPERATIONS))
    return client
