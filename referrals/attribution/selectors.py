"""Reads about links and associations. Each list is one query for its rows,
whatever their number (tested with django_assert_num_queries)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce

from referrals.models import AppliedVisit, Association, Order, ReferralLink, Visit

FUNNEL_DAYS = 30

# R12.3, R12.5: each customer's orders during the association, newest first,
# to say in plain words what came of them (one query for the whole page).
_ORDERS = Prefetch("orders", queryset=Order.objects.order_by("-placed_at", "-pk"), to_attr="orders_newest_first")


def active_associations_of(ambassador, *, now):
    """R3: associated now; an association past its window counts as ended even
    before the expiry job records it."""
    return (
        Association.objects.filter(ambassador=ambassador, ended_at__isnull=True, expires_at__gt=now)
        .select_related("customer")
        .prefetch_related(_ORDERS)
        .order_by("-started_at", "-pk")
    )


def lost_associations_of(ambassador, *, now):
    """R12.5: customers who left this ambassador, newest first: each one once,
    by their latest association with the ambassador, and none that is
    associated with the ambassador again."""
    later_with_same_ambassador = Association.objects.filter(
        ambassador=OuterRef("ambassador"), customer=OuterRef("customer"), started_at__gt=OuterRef("started_at")
    )
    return (
        Association.objects.filter(ambassador=ambassador)
        .filter(Q(ended_at__isnull=False) | Q(expires_at__lte=now))
        .exclude(Exists(later_with_same_ambassador))
        .select_related("customer")
        .prefetch_related(_ORDERS)
        .annotate(lost_at=Coalesce("ended_at", "expires_at"))
        .order_by("-lost_at", "-pk")
    )


@dataclass(frozen=True)
class Funnel:
    """What came of the link in the last FUNNEL_DAYS days, step by step."""

    days: int
    clicks: int  # visits of the link, counted once each
    sign_ups: int  # accounts made after a visit of the link, whose visit was applied at sign-up
    associated: int  # customers whose association with the ambassador started in the window
    ordering: int  # customers who paid an order credited to the ambassador in the window


def link_funnel_of(ambassador, *, now):
    """The 推广链接 funnel, from what is kept already: visits, the visits applied at
    sign-up, associations and orders. Four counts, whatever the number of rows."""
    since = now - timedelta(days=FUNNEL_DAYS)
    visits = Visit.objects.filter(ambassador=ambassador, visited_at__gte=since)
    made_after_visit = visits.filter(pk=OuterRef("visit_id"), visited_at__lte=OuterRef("customer__date_joined"))
    return Funnel(
        days=FUNNEL_DAYS,
        clicks=visits.count(),
        sign_ups=AppliedVisit.objects.filter(Exists(made_after_visit)).values("customer").distinct().count(),
        associated=Association.objects.filter(ambassador=ambassador, started_at__gte=since)
        .values("customer")
        .distinct()
        .count(),
        ordering=Order.objects.filter(ambassador=ambassador, paid_at__isnull=False, placed_at__gte=since)
        .values("customer")
        .distinct()
        .count(),
    )


@dataclass(frozen=True)
class Invitation:
    """Whose invitation a referred visitor holds, as they may see it: the ambassador's masked
    name, never anything else of theirs."""

    inviter: str


def invitation_for_code(code):
    """The invitation behind a link's code, or None when the link associates no one (unknown,
    or its ambassador cannot refer): the visitor is then told nothing of it."""
    link = ReferralLink.objects.select_related("ambassador").filter(code=code).first()
    if link is None or not link.ambassador.can_refer:
        return None
    return Invitation(inviter=link.ambassador.masked_legal_name)


def invitation_of_customer(customer, *, now):
    """The invitation a customer is associated through now, or None."""
    association = (
        Association.objects.filter(customer=customer, ended_at__isnull=True, expires_at__gt=now)
        .select_related("ambassador")
        .first()
    )
    if association is None or not association.ambassador.can_refer:
        return None
    return Invitation(inviter=association.ambassador.masked_legal_name)


def link_visited(ambassador):
    """Whether anyone has followed the ambassador's link yet: the checklist's last step."""
    return Visit.objects.filter(ambassador=ambassador).exists()
