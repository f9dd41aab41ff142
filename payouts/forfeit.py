"""R10.2: cancelling the account forfeits the rebates not yet withdrawn."""

from portal.kernel.audit import audit_record

from .ledger import Line, ambassadors_locked, balances_of, post
from .models import Bucket, Posting


def forfeit_preview(ambassador):
    """What cancelling now would forfeit: pending and withdrawable (a withdrawal
    already on its way to Alipay is still paid)."""
    balances = balances_of(ambassador)
    return balances.pending + balances.withdrawable


def ambassador_forfeit(*, ambassador, actor):
    """Post the forfeit in the caller's transaction (the cancellation's); returns the amount."""
    ambassadors_locked([ambassador.pk])
    balances = balances_of(ambassador)
    forfeited = balances.pending + balances.withdrawable
    post(
        key=f"forfeit:{ambassador.pk}",
        kind=Posting.Kind.FORFEIT,
        lines=[
            Line(ambassador.pk, Bucket.PENDING, -balances.pending),
            Line(ambassador.pk, Bucket.WITHDRAWABLE, -balances.withdrawable),
            Line(ambassador.pk, Bucket.FORFEITED, forfeited),
        ],
    )
    audit_record(actor=actor, action="ledger.forfeit", target=ambassador, after={"forfeited": str(forfeited)})
    return forfeited
