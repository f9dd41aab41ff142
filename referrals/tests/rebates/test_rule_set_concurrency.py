"""New versions of one month's rule set made at the same moment (PostgreSQL: row locks)."""

from datetime import date
from decimal import Decimal

import pytest

from portal.tests.threads import run_together
from referrals.models import RuleSet
from referrals.rebates.rule_sets import rule_set_correct, rule_set_draft_create, rule_set_publish

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_r5_6_versions_made_at_once_are_numbered_one_after_the_other():
    month = date(2031, 6, 1)
    published = rule_set_publish(
        rule_set=rule_set_draft_create(
            rule_set=RuleSet(month=month, title="v1", member_first_purchase_rate=Decimal("0.25"))
        ),
        actor=None,
    )
    run_together(
        *[lambda: rule_set_correct(rule_set=published, actor=None) for _ in range(2)],
        *[
            lambda index=index: rule_set_draft_create(
                rule_set=RuleSet(month=month, title=f"new {index}", member_first_purchase_rate=Decimal("0.25"))
            )
            for index in range(2)
        ],
    )
    versions = sorted(RuleSet.objects.filter(month=month).values_list("version", flat=True))
    assert versions == [1, 2, 3, 4, 5]
