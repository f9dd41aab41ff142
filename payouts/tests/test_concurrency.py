"""Withdrawals and settlement at the same moment, on PostgreSQL with real row locks:
nothing is overdrawn and nothing is posted twice (R7, R11.1)."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from payouts.ledger import balances_of
from payouts.models import Entry, Posting, Withdrawal
from payouts.settlement import settlement_run
from payouts.withdrawals import withdrawal_request
from portal.kernel.errors import PortalError
from portal.tests.threads import run_together

from .helpers import paid_order

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rules(reference_data, current_rules, alipay_settings):
    """The rule set of the month, and transfers paid by the fake gateway."""
    return current_rules


def test_concurrent_withdrawals_cannot_overdraw(bound_ambassador, rules):
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))  # ¥1,000 withdrawable
    refused = []

    def withdraw_600():
        try:
            withdrawal_request(ambassador=bound_ambassador, amount="600.00", request_token=uuid.uuid4())
        except PortalError:
            refused.append(True)

    run_together(*[withdraw_600] * 6)
    assert Withdrawal.objects.count() == 1
    assert len(refused) == 5
    figures = balances_of(bound_ambassador)
    assert (figures.withdrawable, figures.in_payout + figures.paid_out) == (Decimal("400.00"), Decimal("600.00"))


def test_the_same_form_submitted_at_once_makes_one_withdrawal(bound_ambassador, rules):
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    token = uuid.uuid4()
    run_together(*[lambda: withdrawal_request(ambassador=bound_ambassador, amount="100.00", request_token=token)] * 4)
    assert Withdrawal.objects.count() == 1
    assert balances_of(bound_ambassador).withdrawable == Decimal("900.00")


def test_two_settlement_runs_at_once_settle_each_rebate_once(bound_ambassador, rules):
    for day in range(1, 9):
        paid_order(bound_ambassador, amount="400.00", paid=f"2026-11-0{day} 10:00")
    run_together(*[lambda: settlement_run(date(2026, 12, 10))] * 3)
    assert Posting.objects.filter(kind=Posting.Kind.SETTLEMENT).count() == 8
    assert Entry.objects.filter(bucket="withdrawable").count() == 8
    figures = balances_of(bound_ambassador)
    assert (figures.pending, figures.withdrawable) == (Decimal("0.00"), Decimal("800.00"))
