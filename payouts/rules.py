"""Pure decisions of payouts over facts the services gather. No database here."""

from datetime import datetime, timedelta
from enum import StrEnum

from .models import Withdrawal

# A withdrawal left `submitted` this long (its worker died mid-call) is asked about.
STALE_AFTER = timedelta(minutes=10)


class QueryDue(StrEnum):
    """Whether Alipay may be asked where a withdrawal stands (R11.1)."""

    ASK = "ask"
    TOO_SOON = "too_soon"  # its transfer may still be on the wire: "not found" now would send it again
    SETTLED = "settled"  # paid, failed or not yet sent: Alipay's answer is known or not awaited


def withdrawal_query_due(*, state: str, submitted_at: datetime | None, now: datetime) -> QueryDue:
    """R11.1: a withdrawal's fate is open when Alipay's answer was unknown, or when it was
    submitted at least STALE_AFTER ago and no answer came (its worker died)."""
    if state == Withdrawal.State.UNKNOWN:
        return QueryDue.ASK
    if state != Withdrawal.State.SUBMITTED:
        return QueryDue.SETTLED
    if submitted_at is None or submitted_at >= now - STALE_AFTER:
        return QueryDue.TOO_SOON
    return QueryDue.ASK
