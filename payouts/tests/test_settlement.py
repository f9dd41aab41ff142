"""Settlement on day 31 (R7), refunds before and after it (R6.1–6.2), debt netting, held
rebates (R9.3), extra rebates (R7.2) and forfeiture (R10.2), all read from the ledger."""

from datetime import date
from decimal import Decimal

import pytest

from payouts.ledger import balances_of
from payouts.models import Entry, Posting
from payouts.settlement import settlement_run
from referrals.models import Order, RuleSet
from referrals.rebates.bonus import quarterly_bonus_compute

from .helpers import paid_order, refund

pytestmark = pytest.mark.django_db


def balances(ambassador):
    figures = balances_of(ambassador)
    return {name: value for name, value in vars(figures).items() if value}


@pytest.mark.parametrize("paid", ["2026-11-10 00:30", "2026-11-10 23:59"])
def test_a_rebate_settles_on_day_31_by_the_shanghai_date(bound_ambassador, current_rules, paid):
    """R7.1: paid on 10 November in Shanghai (whatever the UTC date) settles on 10 December."""
    order = paid_order(bound_ambassador, paid=paid)
    assert order.settles_on == date(2026, 12, 10)
    assert balances(bound_ambassador) == {"pending": Decimal("250.00")}

    settlement_run(date(2026, 12, 9))  # day 30
    assert balances(bound_ambassador) == {"pending": Decimal("250.00")}

    run = settlement_run(date(2026, 12, 10))  # day 31
    assert balances(bound_ambassador) == {"withdrawable": Decimal("250.00")}
    assert (run.orders_settled, run.amount_settled) == (1, Decimal("250.00"))


def test_settling_again_posts_nothing_twice(bound_ambassador, current_rules):
    paid_order(bound_ambassador)
    settlement_run(date(2026, 12, 10))
    entries = Entry.objects.count()
    again = settlement_run(date(2026, 12, 10))
    later = settlement_run(date(2026, 12, 31))
    assert Entry.objects.count() == entries
    assert (again.orders_settled, later.orders_settled) == (0, 0)
    assert balances(bound_ambassador) == {"withdrawable": Decimal("250.00")}


def test_a_refund_before_settlement_shrinks_the_pending_rebate(bound_ambassador, current_rules):
    """R6.1–6.2: 400 of 1,000 refunded before day 31: the rebate is 25% of the 600 kept."""
    order = refund(paid_order(bound_ambassador), "400.00", on="2026-11-20 12:00")
    assert order.rebate == Decimal("150.00")
    assert balances(bound_ambassador) == {"pending": Decimal("150.00")}
    settlement_run(date(2026, 12, 10))
    assert balances(bound_ambassador) == {"withdrawable": Decimal("150.00")}


def test_a_refund_after_settlement_is_debt_repaid_from_the_next_settlement(bound_ambassador, current_rules):
    """R6.2: a refund after day 30 claws back as debt (挂账), deducted before anything
    of the next settlement becomes withdrawable."""
    first = paid_order(bound_ambassador, paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    refund(first, "1000.00", on="2026-12-12 09:00")
    assert balances(bound_ambassador) == {"withdrawable": Decimal("250.00"), "debt": Decimal("250.00")}
    assert Posting.objects.filter(kind=Posting.Kind.REBATE, order=first).count() == 2

    paid_order(bound_ambassador, amount="400.00", paid="2026-11-20 10:00")  # earns 100
    paid_order(bound_ambassador, amount="2000.00", paid="2026-12-01 10:00")  # earns 500
    run = settlement_run(date(2026, 12, 20))  # the 100 settles: all of it repays debt
    assert run.debt_netted == Decimal("100.00")
    assert balances(bound_ambassador) == {
        "withdrawable": Decimal("250.00"),
        "debt": Decimal("150.00"),
        "pending": Decimal("500.00"),
    }
    run = settlement_run(date(2027, 1, 1))  # the 500 settles: 150 repays the rest
    assert run.debt_netted == Decimal("150.00")
    assert balances(bound_ambassador) == {"withdrawable": Decimal("600.00")}


def test_a_held_rebate_does_not_settle_until_released(bound_ambassador, current_rules):
    """R9.3: risk holds an order; it waits past day 31 and settles at the first run after release."""
    order = paid_order(bound_ambassador)
    Order.objects.filter(pk=order.pk).update(on_hold=True)
    settlement_run(date(2026, 12, 10))
    assert balances(bound_ambassador) == {"pending": Decimal("250.00")}
    Order.objects.filter(pk=order.pk).update(on_hold=False)
    settlement_run(date(2026, 12, 15))
    assert balances(bound_ambassador) == {"withdrawable": Decimal("250.00")}


def test_a_quarterly_bonus_settles_in_the_month_after_next(bound_ambassador, current_rules):
    """R5.5, R7.2: a bonus for October–December settles on 1 February."""
    RuleSet.objects.filter(pk=current_rules.pk).update(bonus_tiers=[{"min_orders": 1, "bonus": "88.00"}])
    paid_order(bound_ambassador, amount="600.00", paid="2026-12-05 10:00")
    assert quarterly_bonus_compute(quarter=date(2026, 10, 1), today=date(2027, 1, 3)) == 1
    assert balances(bound_ambassador)["pending"] == Decimal("238.00")  # 150 + 88

    settlement_run(date(2027, 1, 31))
    assert balances(bound_ambassador) == {"withdrawable": Decimal("150.00"), "pending": Decimal("88.00")}
    settlement_run(date(2027, 2, 1))
    assert balances(bound_ambassador) == {"withdrawable": Decimal("238.00")}


def test_every_balance_is_the_sum_of_its_entries(bound_ambassador, current_rules):
    for paid in ["2026-11-01 10:00", "2026-11-05 10:00", "2026-11-20 10:00"]:
        paid_order(bound_ambassador, paid=paid)
    settlement_run(date(2026, 12, 10))
    figures = balances_of(bound_ambassador)
    by_bucket = {
        bucket: sum(Entry.objects.filter(ambassador=bound_ambassador, bucket=bucket).values_list("amount", flat=True))
        for bucket in ["pending", "withdrawable"]
    }
    assert (figures.pending, figures.withdrawable) == (by_bucket["pending"], by_bucket["withdrawable"])
    assert (figures.pending, figures.withdrawable) == (Decimal("250.00"), Decimal("500.00"))
