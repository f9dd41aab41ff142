"""When Alipay may be asked where a withdrawal stands (R11.1): a pure rule, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from payouts.models import Withdrawal
from payouts.rules import STALE_AFTER, QueryDue, withdrawal_query_due

NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "submitted_at", "due"),
    [
        (Withdrawal.State.UNKNOWN, NOW - timedelta(seconds=1), QueryDue.ASK),
        (Withdrawal.State.SUBMITTED, NOW - STALE_AFTER - timedelta(seconds=1), QueryDue.ASK),  # its worker died
        (Withdrawal.State.SUBMITTED, NOW - STALE_AFTER, QueryDue.TOO_SOON),  # may still be on the wire
        (Withdrawal.State.SUBMITTED, NOW - timedelta(minutes=1), QueryDue.TOO_SOON),
        (Withdrawal.State.REQUESTED, None, QueryDue.SETTLED),  # not sent yet: the schedule sends it
        (Withdrawal.State.SUCCEEDED, NOW - timedelta(days=1), QueryDue.SETTLED),
        (Withdrawal.State.FAILED, NOW - timedelta(days=1), QueryDue.SETTLED),
    ],
)
def test_r11_1_alipay_is_asked_only_about_a_withdrawal_whose_fate_is_open(state, submitted_at, due):
    assert withdrawal_query_due(state=state, submitted_at=submitted_at, now=NOW) == due
