"""The quarterly cash bonus (R5.5): an extra rebate that settles in the month after next (R7.2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador
from portal.kernel.money import yuan_text

from .catalogue import RuleSet


class QuarterlyBonus(models.Model):
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="quarterly_bonuses", verbose_name=_("云大使")
    )
    quarter = models.DateField(_("季度"), help_text=_("季度第一天"))
    qualifying_orders = models.PositiveIntegerField(_("达标会员首购单数"))
    tier_min_orders = models.PositiveIntegerField(_("达到的档位（单数）"))
    amount = models.DecimalField(_("奖励金额"), max_digits=12, decimal_places=2)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("返利规则"))
    settles_on = models.DateField(_("结算日"))
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("季度奖励")
        verbose_name_plural = pgettext_lazy("plural", "季度奖励")
        ordering = ["-quarter"]
        constraints = [models.UniqueConstraint(fields=["ambassador", "quarter"], name="one_bonus_per_quarter")]

    def __str__(self):
        return f"{self.ambassador} {self.quarter:%Y-%m} {yuan_text(self.amount)}"
