"""Recording the vendor-borne tax when income is paid (R11.2–11.3), and the same figures worked
out before a withdrawal is confirmed."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from portal.kernel.money import ZERO
from portal.kernel.months import month_of

from .models import TaxAssessment
from .tax import TaxFigures, tax_for_net


@dataclass(frozen=True)
class PaymentTax:
    """The month's tax once one more payment is counted in it (one month's payments are one
    payment): the figures on the month's net total, and what was already assessed before it."""

    month: date
    month_figures: TaxFigures
    earlier_net: Decimal
    earlier_tax: Decimal

    @property
    def this_payment(self) -> Decimal:
        """The part of the month's tax this payment bears."""
        return self.month_figures.tax - self.earlier_tax


def payment_tax(ambassador_id, month, amount) -> PaymentTax:
    """The month's tax with `amount` more paid in `month`, on the month's latest assessment."""
    previous = (
        TaxAssessment.objects.filter(ambassador_id=ambassador_id, month=month).order_by("-assessed_at", "-pk").first()
    )
    earlier_net, earlier_tax = (previous.net_income, previous.tax) if previous else (ZERO, ZERO)
    return PaymentTax(month, tax_for_net(earlier_net + amount), earlier_net, earlier_tax)


def payment_tax_estimate(ambassador, amount) -> PaymentTax:
    """What the platform would pay for a withdrawal of `amount` paid out this month (Shanghai):
    shown before the ambassador confirms. The record is made when Alipay pays, in the month it pays."""
    return payment_tax(ambassador.pk, month_of(timezone.localdate()), amount)


def tax_assess(withdrawal):
    """Recompute the month's tax on the month's net total, this payment included,
    and record the difference this payment bears. Called with the ambassador locked."""
    month = month_of(timezone.localdate(withdrawal.finished_at))
    tax = payment_tax(withdrawal.ambassador_id, month, withdrawal.amount)
    figures = tax.month_figures
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
        tax_this_payment=tax.this_payment,
    )
