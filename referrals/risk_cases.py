"""Opening risk cases from the rebate engine (R4.4, R9.3), below `orders` so it can call them."""

from .models import RiskCase


def same_person_case_open(order, signal_kinds):
    """R4.4: an order found to be the ambassador's own is invalid and waits on the desk."""
    if order.risk_verdict or RiskCase.objects.filter(order=order, status=RiskCase.Status.OPEN).exists():
        return None
    return RiskCase.objects.create(
        kind=RiskCase.Kind.SAME_PERSON_ORDER,
        ambassador=order.ambassador,
        order=order,
        signals=",".join(sorted(signal_kinds)),
    )


def rebates_held_for(ambassador_id) -> bool:
    """Whether the ambassador's new rebates start held (an open suspect-share case)."""
    return RiskCase.objects.filter(
        ambassador_id=ambassador_id, kind=RiskCase.Kind.SUSPECT_SHARE, status=RiskCase.Status.OPEN
    ).exists()
