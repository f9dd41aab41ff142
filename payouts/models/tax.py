"""The vendor-borne income tax on labour remuneration, per ambassador and month (R11.2–11.3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador
from portal.kernel.money import yuan_text


class TaxAssessment(models.Model):
    """The month's tax recomputed on the month's total after one payment; the
    latest row of a month is that month's record. Never changed afterwards."""

    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="tax_assessments", verbose_name=_("云大使")
    )
    month = models.DateField(_("所属月份"), help_text=_("月份第一天"))
    withdrawal = models.OneToOneField(
        "payouts.Withdrawal", on_delete=models.PROTECT, related_name="tax_assessment", verbose_name=_("提现")
    )
    net_income = models.DecimalField(_("当月到手收入"), max_digits=14, decimal_places=2)
    gross_income = models.DecimalField(_("当月应税收入（含税）"), max_digits=14, decimal_places=2)
    deduction = models.DecimalField(_("减除费用"), max_digits=14, decimal_places=2)
    taxable_income = models.DecimalField(_("应纳税所得额"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("税率"), max_digits=4, decimal_places=2)
    quick_deduction = models.DecimalField(_("速算扣除数"), max_digits=10, decimal_places=2)
    tax = models.DecimalField(_("当月应纳税额"), max_digits=14, decimal_places=2)
    tax_this_payment = models.DecimalField(_("本次代缴"), max_digits=14, decimal_places=2)
    assessed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("个税记录")
        verbose_name_plural = pgettext_lazy("plural", "个税记录")
        ordering = ["-month", "-assessed_at", "-pk"]
        permissions = [("export_taxassessment", _("可以导出个税表"))]
        indexes = [models.Index(fields=["ambassador", "month", "-assessed_at"], name="tax_latest_of_month")]

    def __str__(self):
        return f"{self.ambassador} {self.month:%Y-%m} {yuan_text(self.tax)}"
