"""Risk control's reads (R9.3, R6.3): the suspect share and the refund counts per ambassador,
each in one query, and an ambassador's refund rating."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from ambassadors.models import IdentitySignal, SamePersonLink
from portal.kernel.months import month_of
from referrals.models import Order, Reason, RuleSet

from . import rules as risk_rules

# Customers of one ambassador sharing these with each other look like one person
# buying many times (R9.3); shared with the ambassador they are R4.4 already.
SHARED_AMONG_CUSTOMERS = (IdentitySignal.Kind.DEVICE, IdentitySignal.Kind.ADDRESS)


def suspect_condition():
    """An order is suspect (R9.3): same person, refunded, or its customer shares a
    device or address with another customer of the same ambassador."""
    shared = SamePersonLink.objects.filter(
        user=OuterRef("customer"), kind__in=SHARED_AMONG_CUSTOMERS, other__orders__ambassador=OuterRef("ambassador")
    )
    return Q(reason=Reason.SAME_PERSON) | Q(refunded_amount__gt=0) | Q(Exists(shared))


def share_figures(*, since):
    """{ambassador id: ShareFigures} over paid orders placed since `since`, in one query."""
    rows = (
        Order.objects.filter(ambassador__isnull=False, placed_at__gte=since, paid_at__isnull=False)
        .values("ambassador")
        .annotate(total=Count("pk"), suspect=Count("pk", filter=suspect_condition()))
    )
    return {row["ambassador"]: risk_rules.ShareFigures(row["total"], row["suspect"]) for row in rows}


def refund_counts(*, since):
    rows = (
        Order.objects.filter(ambassador__isnull=False, placed_at__gte=since, refunded_amount__gt=0)
        .values("ambassador")
        .annotate(refunds=Count("pk"))
    )
    return {row["ambassador"]: row["refunds"] for row in rows}


def rating_of(ambassador, *, today=None):
    """The ambassador's refund rating now (R6.3), for the desk and the overview."""
    today = today or timezone.localdate()
    policy = RuleSet.objects.in_force_for(month_of(today))
    if policy is None:
        return "A"
    since = timezone.now() - timedelta(days=policy.refund_window_days)
    refunds = Order.objects.filter(ambassador=ambassador, placed_at__gte=since, refunded_amount__gt=0).count()
    return risk_rules.refund_rating(refunds, policy.refund_rating_steps)[0]
