"""django-q2 jobs: thin, safe to run twice, each with a command to run it by hand."""

from .settlement import settlement_day_today, settlement_run
from .withdrawals import withdrawal_submit, withdrawals_reconcile


def settle_due_rebates():
    return settlement_run(settlement_day_today()).pk


def submit_withdrawal(withdrawal_id):
    return withdrawal_submit(withdrawal_id).state


def reconcile_withdrawals():
    return withdrawals_reconcile()
