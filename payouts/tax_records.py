"""Recording the vendor-borne tax when income is paid (R11.2–11.3)."""

from django.utils import timezone

from portal.kernel.money import ZERO
from portal.kernel.months import month_of

from .models import TaxAssessment
from .tax import tax_for_net


def tax_assess(withdrawal):
    """Recompute the month's tax on the month's net total, this payment included,
    and record the difference this payment bears. Called with the ambassador locked."""
    month = month_of(timezone.localdate(withdrawal.finished_at))
    previous = (
        TaxAssessment.objects.filter(ambassador_id=withdrawal.ambassador_id, month=month)
        .order_by("-assessed_at", "-pk")
        .first()
    )
    figures = tax_for_net((previous.net_income if previous else ZERO) + withdrawal.amount)
    return TaxAssessment.objects.create(
        ambassador_id=withdrawal.ambassador_id,
        month=month,
        withdrawal=withdrawal,
        net_income=figures.net,
        gross_income=figures.gross,
        deduction=figures.deduction,
        taxable_income=figures.taxable,
        rate=figures.rate,
        quick_deduction=figures.quick_deduction,
        tax=figures.tax,
        tax_this_payment=figures.tax - (previous.tax if previous else ZERO),
    )
