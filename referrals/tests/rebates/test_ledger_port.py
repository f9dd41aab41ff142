"""The rebate engine posts to the ledger through one port, by name, where money changes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from ambassadors.tests.factories import UserFactory
from referrals.models import RebateChange, RuleSet
from referrals.rebates import ledger_port
from referrals.rebates.bonus import quarterly_bonus_compute
from referrals.tests.rebates.test_orders import apply, associate

pytestmark = pytest.mark.django_db


class RecordingLedger:
    def __init__(self):
        self.calls = []

    def rebate_post(self, *, order, change):
        self.calls.append(("rebate", order.billing_id, change.before, change.after))

    def bonus_post(self, *, bonus):
        self.calls.append(("bonus", bonus.ambassador_id, bonus.amount))

    def order_settled(self):
        raise AssertionError("not read here")


@pytest.fixture
def recording():
    registered = ledger_port.rebate_ledger()
    ledger = RecordingLedger()
    ledger_port.rebate_ledger_register(ledger)
    yield ledger
    ledger_port.rebate_ledger_register(registered)


def test_the_payouts_app_registers_the_ledger_when_ready():
    assert ledger_port.rebate_ledger().__name__ == "payouts.rebate_ledger"


def test_without_a_ledger_the_engine_refuses_rather_than_move_money_unrecorded(monkeypatch):
    monkeypatch.setattr(ledger_port, "_ledger", None)
    with pytest.raises(ImproperlyConfigured, match="payouts"):
        ledger_port.rebate_ledger()


def test_each_change_of_a_rebate_is_posted_with_its_change(recording, ambassador, current_rules):
    customer = UserFactory()
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer, "o-1")
    apply(customer, "o-1", version=2, refunded_amount=Decimal("400.00"))
    changes = RebateChange.objects.order_by("pk")
    assert recording.calls == [("rebate", "o-1", change.before, change.after) for change in changes]
    assert [call[2:] for call in recording.calls] == [(0, Decimal("250.00")), (Decimal("250.00"), Decimal("150.00"))]


def test_a_granted_bonus_is_posted(recording, ambassador, current_rules):
    RuleSet.objects.filter(pk=current_rules.pk).update(bonus_tiers=[{"min_orders": 1, "bonus": "100.00"}])
    customer = UserFactory()
    associate(customer, ambassador, "2026-08-01 09:00")
    apply(customer, "big", placed="2026-08-02 10:00", paid="2026-08-02 10:05")
    recording.calls.clear()
    assert quarterly_bonus_compute(quarter=date(2026, 7, 1), today=date(2026, 10, 1)) == 1
    assert recording.calls == [("bonus", ambassador.pk, Decimal("100.00"))]
