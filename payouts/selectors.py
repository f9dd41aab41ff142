"""Reads behind 提现 and 税务: each a fixed number of queries."""

from django.db.models import Max

from .models import TaxAssessment, Withdrawal

HISTORY_SIZE = 50


def withdrawals_of(ambassador, *, limit=HISTORY_SIZE):
    return Withdrawal.objects.filter(ambassador=ambassador).order_by("-requested_at", "-pk")[:limit]


def tax_records_of(ambassador):
    """One record per month: the month's latest assessment (rows only ever grow, under the
    ambassador's lock, so the highest id is the latest)."""
    latest = TaxAssessment.objects.filter(ambassador=ambassador).values("month").annotate(last=Max("pk")).values("last")
    return TaxAssessment.objects.filter(pk__in=latest).order_by("-month")
