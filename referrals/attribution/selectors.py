"""Reads about links and associations. Each list is one query for its rows,
whatever their number (tested with django_assert_num_queries)."""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce

from referrals.models import Association, Order, Visit

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


def link_visited(ambassador):
    """Whether anyone has followed the ambassador's link yet: the checklist's last step."""
    return Visit.objects.filter(ambassador=ambassador).exists()
