"""Opening risk cases from the rebate engine (R4.4, R9.3), below `orders` so it can call them."""

from ambassadors.identity import shared_signal_kinds

from .models import RiskCase


def same_person_case_open(order):
    """R4.4: an order found to be the ambassador's own is invalid and waits on the desk.
    The case names the signals as the customer showed them (a phone the ambassador
    also uses as an Alipay logon id is the customer's phone, not a payment account)."""
    if order.risk_verdict or RiskCase.objects.filter(order=order, status=RiskCase.Status.OPEN).exists():
        return None
    return RiskCase.objects.create(
        kind=RiskCase.Kind.SAME_PERSON_ORDER,
        ambassador=order.ambassador,
        order=order,
        signals=",".join(sorted(shared_signal_kinds(order.customer, order.ambassador.user))),
    )


def rebates_held_for(ambassador_id) -> bool:
    """Whether the ambassador's new rebates start held (an open suspect-share case)."""
    return RiskCase.objects.filter(
        ambassador_id=ambassador_id, kind=RiskCase.Kind.SUSPECT_SHARE, status=RiskCase.Status.OPEN
    ).exists()
