"""Withdrawals to Alipay (R11.1) against the local fake gateway: every state and fault,
double submits, and the tax each payment records (R11.2)."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from payouts.ledger import balances_of
from payouts.models import TaxAssessment, Withdrawal
from payouts.settlement import settlement_run
from payouts.withdrawals import (
    BINDING_NOT_INTACT,
    withdrawal_request,
    withdrawal_submit,
    withdrawals_reconcile,
)
from portal.kernel import personal_data
from portal.kernel.errors import PortalError

from .helpers import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(bound_ambassador, current_rules):
    """¥1,000 withdrawable: 4,000 of member first purchases, settled."""
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    return bound_ambassador


def withdraw(ambassador, amount, capture, token=None):
    """As the page does: request in a transaction; the transfer task runs after commit."""
    with capture(execute=True):
        return withdrawal_request(ambassador=ambassador, amount=amount, request_token=token or uuid.uuid4())


def state_of(withdrawal):
    withdrawal.refresh_from_db()
    return withdrawal.state


def test_a_withdrawal_is_paid_once_and_moves_the_balance(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    withdrawal = withdraw(funded, "300.00", django_capture_on_commit_callbacks)
    assert state_of(withdrawal) == Withdrawal.State.SUCCEEDED
    payment = alipay_gateway.payments[withdrawal.out_biz_no]
    assert (payment.amount, payment.payee_account, payment.payee_name) == (
        Decimal("300.00"), str(funded.alipay_account), "张三",
    )  # fmt: skip
    figures = balances_of(funded)
    assert (figures.withdrawable, figures.in_payout, figures.paid_out) == (
        Decimal("700.00"), Decimal("0.00"), Decimal("300.00"),
    )  # fmt: skip


@pytest.mark.parametrize("failure", ["PAYEE_NOT_EXIST", "PAYEE_USER_INFO_ERROR", "PAYER_BALANCE_NOT_ENOUGH"])
def test_a_refused_transfer_fails_and_returns_the_amount(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks, failure
):
    alipay_gateway.script(None, failure)
    withdrawal = withdraw(funded, "300.00", django_capture_on_commit_callbacks)
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.failure_code) == (Withdrawal.State.FAILED, failure)
    assert alipay_gateway.payments == {}
    assert balances_of(funded).withdrawable == Decimal("1000.00")
    assert not TaxAssessment.objects.exists()


def test_a_system_error_is_unknown_until_a_query_finds_nothing_and_it_is_sent_again(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    alipay_gateway.script(None, "SYSTEM_ERROR")
    withdrawal = withdraw(funded, "300.00", django_capture_on_commit_callbacks)
    assert state_of(withdrawal) == Withdrawal.State.UNKNOWN
    assert balances_of(funded).in_payout == Decimal("300.00")  # neither paid nor returned yet

    with django_capture_on_commit_callbacks(execute=True):
        withdrawals_reconcile()  # ORDER_NOT_EXIST: it never moved, so it goes again, same out_biz_no
    assert state_of(withdrawal) == Withdrawal.State.SUCCEEDED
    assert list(alipay_gateway.payments) == [withdrawal.out_biz_no]


def test_a_timeout_after_the_money_moved_is_found_by_the_query_and_paid_once(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    alipay_gateway.script(None, "timeout_after_paying")
    withdrawal = withdraw(funded, "300.00", django_capture_on_commit_callbacks)
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.failure_code) == (Withdrawal.State.UNKNOWN, "TIMEOUT")

    withdrawals_reconcile()
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.SUCCEEDED
    assert withdrawal.alipay_order_id == alipay_gateway.payments[withdrawal.out_biz_no].order_id
    assert len(alipay_gateway.payments) == 1
    assert balances_of(funded).paid_out == Decimal("300.00")


def test_an_answer_with_a_bad_signature_is_refused_and_the_query_decides(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    alipay_gateway.script(None, "bad_signature")
    withdrawal = withdraw(funded, "300.00", django_capture_on_commit_callbacks)
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.failure_code) == (Withdrawal.State.UNKNOWN, "BAD_SIGNATURE")
    withdrawals_reconcile()
    assert state_of(withdrawal) == Withdrawal.State.SUCCEEDED
    assert len(alipay_gateway.payments) == 1


def test_a_lost_task_and_a_dead_worker_are_picked_up_by_reconciliation(
    funded, alipay_settings, alipay_gateway, django_capture_on_commit_callbacks
):
    lost = withdrawal_request(ambassador=funded, amount="100.00", request_token=uuid.uuid4())  # no task ran
    stuck = withdrawal_request(ambassador=funded, amount="200.00", request_token=uuid.uuid4())
    Withdrawal.objects.filter(pk=stuck.pk).update(state=Withdrawal.State.SUBMITTED, submitted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        withdrawals_reconcile(now=timezone.now() + timedelta(minutes=11))
    assert (state_of(lost), state_of(stuck)) == (Withdrawal.State.SUCCEEDED, Withdrawal.State.SUCCEEDED)
    assert sorted(alipay_gateway.payments) == sorted([lost.out_biz_no, stuck.out_biz_no])


def test_a_double_submit_makes_one_withdrawal(funded, alipay_settings, django_capture_on_commit_callbacks):
    token = uuid.uuid4()
    first = withdraw(funded, "300.00", django_capture_on_commit_callbacks, token=token)
    second = withdraw(funded, "300.00", django_capture_on_commit_callbacks, token=token)
    assert first == second
    assert Withdrawal.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1000.01", "超过可提现余额"),
        ("0.50", "至少"),
        ("0", "至少 ¥1.00"),
        ("-5", "至少 ¥1.00"),
        ("12.345", "两位小数"),
        ("abc", "请输入金额"),
        ("1e2", "请输入金额"),
        ("１００", "请输入金额"),
        ("+5", "请输入金额"),
    ],
)
def test_a_refused_request_changes_nothing(funded, amount, message):
    with pytest.raises(PortalError, match=message):
        withdrawal_request(ambassador=funded, amount=amount, request_token=uuid.uuid4())
    assert not Withdrawal.objects.exists()
    assert balances_of(funded).withdrawable == Decimal("1000.00")


def test_an_ambassador_without_a_bound_alipay_account_cannot_withdraw(verified_ambassador):
    with pytest.raises(PortalError, match="绑定支付宝"):
        withdrawal_request(ambassador=verified_ambassador, amount="1.00", request_token=uuid.uuid4())


def test_each_payment_records_the_months_tax_difference(
    bound_ambassador, current_rules, alipay_settings, django_capture_on_commit_callbacks
):
    """R11.2: two payments of 3,000 in one month are one payment of 6,000; the second bears 592.86."""
    paid_order(bound_ambassador, amount="24000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    withdraw(bound_ambassador, "3000.00", django_capture_on_commit_callbacks)
    withdraw(bound_ambassador, "3000.00", django_capture_on_commit_callbacks)
    first, second = TaxAssessment.objects.order_by("pk")
    assert (first.gross_income, first.tax, first.tax_this_payment) == (
        Decimal("3550.00"), Decimal("550.00"), Decimal("550.00"),
    )  # fmt: skip
    assert (second.net_income, second.tax, second.tax_this_payment) == (
        Decimal("6000.00"), Decimal("1142.86"), Decimal("592.86"),
    )  # fmt: skip


def test_nobody_is_paid_whose_binding_was_tampered_with(funded, alipay_settings, alipay_gateway):
    """docs/SECURITY.md: someone with SQL access swaps in another account's ciphertext (as key
    rotation may); the value no longer matches its hash, and nobody is paid."""
    withdrawal = withdrawal_request(ambassador=funded, amount="100.00", request_token=uuid.uuid4())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.key_rotation = 'on'")  # the one case the trigger allows it
        cursor.execute(
            "UPDATE ambassadors_ambassador SET alipay_account = %s WHERE id = %s",
            [personal_data.encrypt("intruder@example.com"), funded.pk],
        )
    withdrawal_submit(withdrawal.pk)
    withdrawal.refresh_from_db()
    assert (withdrawal.state, withdrawal.failure_code) == (Withdrawal.State.FAILED, BINDING_NOT_INTACT)
    assert alipay_gateway.payments == {}
    assert balances_of(funded).withdrawable == Decimal("1000.00")
    with pytest.raises(PortalError, match="校验未通过"):
        withdrawal_request(ambassador=funded, amount="100.00", request_token=uuid.uuid4())
