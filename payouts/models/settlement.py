"""A run of settlement for one Asia/Shanghai date (R7), committed chunk by chunk."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SettlementRun(models.Model):
    """Its figures add up the chunks committed so far; `settled_through` is the highest ambassador
    id of the last of them, where a run that stopped resumes. Finished once every chunk is in."""

    day = models.DateField(_("结算日"))
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    orders_settled = models.PositiveIntegerField(_("结算订单数"), default=0)
    bonuses_settled = models.PositiveIntegerField(_("结算额外奖励数"), default=0)
    amount_settled = models.DecimalField(_("结算金额"), max_digits=16, decimal_places=2, default=0)
    debt_netted = models.DecimalField(_("抵扣挂账"), max_digits=16, decimal_places=2, default=0)
    chunks_committed = models.PositiveIntegerField(_("已提交分段数"), default=0, db_default=0)
    settled_through = models.BigIntegerField(
        _("已结算至云大使编号"), null=True, blank=True, help_text=_("已提交的最后一段中最大的云大使编号")
    )

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = pgettext_lazy("plural", "结算批次")
        ordering = ["-started_at"]
        constraints = [
            # Two runs of a day started at once share one: the second continues the first.
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(finished_at__isnull=True), name="one_open_settlement_run_per_day"
            )
        ]

    def __str__(self):
        return f"{self.day} #{self.pk}"
