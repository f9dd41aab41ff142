"""Computing the quarterly cash bonus (R5.5, R7.2) once a quarter has ended."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from portal.kernel.money import parse_yuan
from portal.kernel.months import add_months, quarter_of
from referrals.models import Order, OrderType, QuarterlyBonus, RuleSet

from .ledger_port import rebate_ledger
from .rules import bonus_settlement_date

QUALIFYING_AMOUNT = Decimal("500.00")  # R5.5: member first purchases of 500 yuan or more


def tier_reached(tiers, qualifying):
    """The highest published tier the count reaches, or None."""
    reached = [tier for tier in tiers if qualifying >= int(tier["min_orders"])]
    return max(reached, key=lambda tier: int(tier["min_orders"]), default=None)


@transaction.atomic
def quarterly_bonus_compute(*, quarter: date, today=None):
    """Compute every ambassador's bonus for a quarter that has ended; returns how many
    bonuses were made. Safe to run again: a bonus already computed is kept."""
    today = today or timezone.localdate()
    quarter = quarter_of(quarter)
    next_quarter = add_months(quarter, 3)
    if today < next_quarter:
        raise ValueError(f"the quarter starting {quarter} has not ended yet")
    rule_set = RuleSet.objects.in_force_for(add_months(quarter, 2))
    if rule_set is None or not rule_set.bonus_tiers:
        return 0
    counts = (
        Order.objects.filter(
            placed_at__date__gte=quarter,
            placed_at__date__lt=next_quarter,
            order_type=OrderType.MEMBER_FIRST_PURCHASE,
            reason="",
            ambassador__isnull=False,
        )
        .filter(amount__gte=F("refunded_amount") + QUALIFYING_AMOUNT)  # what was kept is 500 or more
        .values("ambassador")
        .annotate(qualifying=Count("pk"))
    )
    made = 0
    for row in counts:
        tier = tier_reached(rule_set.bonus_tiers, row["qualifying"])
        if tier is None:
            continue
        bonus, created = QuarterlyBonus.objects.get_or_create(
            ambassador_id=row["ambassador"],
            quarter=quarter,
            defaults={
                "qualifying_orders": row["qualifying"],
                "tier_min_orders": int(tier["min_orders"]),
                "amount": parse_yuan(str(tier["bonus"])),
                "rule_set": rule_set,
                "settles_on": bonus_settlement_date(quarter),
            },
        )
        if created:
            rebate_ledger().bonus_post(bonus=bonus)
        made += created
    return made


def previous_quarter_bonus_compute():
    """The scheduled job: the quarter before this one (a no-op once done)."""
    today = timezone.localdate()
    return quarterly_bonus_compute(quarter=add_months(quarter_of(today), -3), today=today)
