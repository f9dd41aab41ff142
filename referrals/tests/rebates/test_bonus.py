"""R5.5 and R7.2: the quarterly cash bonus, an extra rebate settling in the month after next."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from referrals.models import Order, Product, QuarterlyBonus, RuleSet
from referrals.rebates.bonus import quarterly_bonus_compute, tier_reached
from referrals.rebates.rules import bonus_settlement_date

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TIERS = [{"min_orders": 2, "bonus": "300.00"}, {"min_orders": 4, "bonus": "1500.00"}]


@pytest.fixture
def rules():
    return RuleSet.objects.create(
        month=date(2026, 7, 1), title="Q3", member_first_purchase_rate="0.25", status="published", bonus_tiers=TIERS
    )


_numbers = iter(range(1, 10_000))


def orders(ambassador, amounts, *, order_type="member_first_purchase", reason="", month=8, refunded="0"):
    for amount in amounts:
        placed = datetime(2026, month, 10, 10, tzinfo=SHANGHAI)
        Order.objects.create(
            billing_id=f"bonus-{next(_numbers)}", customer=UserFactory(),
            product=Product.objects.get(code="ecs"), billing="prepaid", kind="new", amount=Decimal(amount),
            refunded_amount=Decimal(refunded), period_days=360, placed_at=placed, status="paid", paid_at=placed,
            version=1, ambassador=ambassador, order_type=order_type, reason=reason,
        )  # fmt: skip


@pytest.mark.parametrize(
    "tiers",
    [
        [{"min_orders": 5, "bonus": "１００"}],  # full-width digits
        [{"min_orders": 5, "bonus": "1e3"}],
        [{"min_orders": 5, "bonus": "300.005"}],
        [{"min_orders": 0, "bonus": "300.00"}],
        [{"min_orders": 5}],
        {"min_orders": 5, "bonus": "300.00"},
    ],
)
def test_a_rule_set_with_a_bad_bonus_tier_does_not_validate(tiers):
    from django.core.exceptions import ValidationError

    rule_set = RuleSet(month=date(2026, 7, 1), title="Q3", member_first_purchase_rate="0.25", bonus_tiers=tiers)
    with pytest.raises(ValidationError) as invalid:
        rule_set.full_clean(exclude=["rebate_products"])
    assert list(invalid.value.message_dict) == ["bonus_tiers"]


def test_good_bonus_tiers_validate():
    RuleSet(month=date(2026, 7, 1), title="Q3", member_first_purchase_rate="0.25", bonus_tiers=TIERS).full_clean()


def test_tiers():
    assert tier_reached(TIERS, 1) is None
    assert tier_reached(TIERS, 3)["bonus"] == "300.00"
    assert tier_reached(TIERS, 9)["bonus"] == "1500.00"


def test_r7_2_the_bonus_settles_in_the_month_after_next():
    assert bonus_settlement_date(date(2026, 7, 1)) == date(2026, 11, 1)  # Q3 ends in September


def test_r5_5_member_first_purchases_of_500_or_more_count(rules):
    ambassador = VerifiedAmbassadorFactory()
    orders(ambassador, ["500.00", "1200.00"])
    orders(ambassador, ["499.99"])  # too small
    orders(ambassador, ["800.00"], order_type="renewal")  # not a member first purchase
    orders(ambassador, ["800.00"], reason="SAME_PERSON")  # invalid
    orders(ambassador, ["900.00"], refunded="500.00")  # 400 kept
    orders(ambassador, ["900.00"], month=10)  # another quarter
    assert quarterly_bonus_compute(quarter=date(2026, 7, 1), today=date(2026, 10, 2)) == 1
    bonus = QuarterlyBonus.objects.get(ambassador=ambassador)
    assert (bonus.qualifying_orders, bonus.amount, bonus.settles_on, bonus.rule_set) == (
        2,
        Decimal("300.00"),
        date(2026, 11, 1),
        rules,
    )


def test_no_bonus_below_the_first_tier_and_computing_twice_is_harmless(rules):
    small, large = VerifiedAmbassadorFactory(), VerifiedAmbassadorFactory()
    orders(small, ["600.00"])
    orders(large, ["600.00"] * 5)
    assert quarterly_bonus_compute(quarter=date(2026, 8, 15), today=date(2026, 10, 2)) == 1
    assert quarterly_bonus_compute(quarter=date(2026, 7, 1), today=date(2026, 10, 3)) == 0
    assert QuarterlyBonus.objects.get().amount == Decimal("1500.00")


def test_a_quarter_not_yet_ended_is_refused(rules):
    with pytest.raises(ValueError, match="not ended"):
        quarterly_bonus_compute(quarter=date(2026, 7, 1), today=date(2026, 9, 30))


def test_the_command_names_a_bad_quarter():
    with pytest.raises(CommandError, match="not a quarter"):
        call_command("compute_quarterly_bonus", quarter="2026Q5")
