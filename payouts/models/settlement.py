"""A run of settlement for one Asia/Shanghai date (R7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SettlementRun(models.Model):
    day = models.DateField(_("结算日"))
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    orders_settled = models.PositiveIntegerField(_("结算订单数"), default=0)
    bonuses_settled = models.PositiveIntegerField(_("结算额外奖励数"), default=0)
    amount_settled = models.DecimalField(_("结算金额"), max_digits=16, decimal_places=2, default=0)
    debt_netted = models.DecimalField(_("抵扣挂账"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = pgettext_lazy("plural", "结算批次")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.day} #{self.pk}"
