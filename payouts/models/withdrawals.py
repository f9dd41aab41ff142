"""A withdrawal to the ambassador's bound Alipay account (R11.1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador
from portal.kernel.money import yuan_text


class Withdrawal(models.Model):
    """requested → submitted → succeeded, or failed (returned to the balance), or
    unknown until a query to Alipay resolves it. Its id is Alipay's `out_biz_no`,
    so a retry can never pay twice."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        SUBMITTED = "submitted", _("处理中")
        SUCCEEDED = "succeeded", _("已到账")
        FAILED = "failed", _("失败，已退回余额")
        UNKNOWN = "unknown", _("结果确认中")

    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="withdrawals", verbose_name=_("云大使")
    )
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    state = models.CharField(_("状态"), max_length=12, choices=State, default=State.REQUESTED)
    # The form's one-time token: a double submit finds the withdrawal it already made.
    request_token = models.UUIDField(unique=True, editable=False)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("提交次数"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    alipay_order_id = models.CharField(_("支付宝单号"), max_length=64, blank=True)
    failure_code = models.CharField(_("失败代码"), max_length=64, blank=True)
    failure_message = models.CharField(_("失败说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("singular", "提现")  # the page and the menu say 提现 for the plural
        verbose_name_plural = pgettext_lazy("plural", "提现")
        ordering = ["-requested_at", "-pk"]
        permissions = [
            ("export_full_id_numbers", _("可以导出完整身份证号")),
            ("export_withdrawal", _("可以导出打款表")),
            ("reconcile_withdrawal", _("可以向支付宝查询提现结果")),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="withdrawal_positive")]
        indexes = [
            # The month's payout sheet, in the order it is written (payouts/resources.py).
            models.Index(fields=["finished_at", "id"], name="withdrawal_paid", condition=models.Q(state="succeeded")),
            # Reconciliation every five minutes reads only the few still open.
            models.Index(
                fields=["state", "requested_at"],
                name="withdrawal_open",
                condition=models.Q(state__in=["requested", "submitted", "unknown"]),
            ),
        ]

    def __str__(self):
        return f"{self.out_biz_no} {yuan_text(self.amount)}"

    @property
    def is_final(self):
        """Paid or returned: nothing will change it any more."""
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def out_biz_no(self):
        """Alipay's merchant order number: the withdrawal's id, fixed for every retry."""
        return f"W{self.pk:012d}"
