"""Reads about links and associations. Each list is one query for its rows,
whatever their number (tested with django_assert_num_queries)."""

from django.db.models import Q
from django.db.models.functions import Coalesce

from .models import Association


def active_associations_of(ambassador, *, now):
    """R3: associated now; an association past its window counts as ended even
    before the expiry job records it."""
    return (
        Association.objects.filter(ambassador=ambassador, ended_at__isnull=True, expires_at__gt=now)
        .select_related("customer")
        .order_by("-started_at", "-pk")
    )


def lost_associations_of(ambassador, *, now):
    """R12.5: customers who left this ambassador, newest first, without the
    ones associated with the ambassador again since."""
    still_active = active_associations_of(ambassador, now=now).values("customer")
    return (
        Association.objects.filter(ambassador=ambassador)
        .filter(Q(ended_at__isnull=False) | Q(expires_at__lte=now))
        .exclude(customer__in=still_active)
        .select_related("customer")
        .annotate(lost_at=Coalesce("ended_at", "expires_at"))
        .order_by("-lost_at", "-pk")
    )
