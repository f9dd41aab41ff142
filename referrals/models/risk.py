"""The risk desk's cases (R9.3, R4.4): what risk control flagged and what staff decided."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador

from .orders import Order


class RiskCase(models.Model):
    class Kind(models.TextChoices):
        SAME_PERSON_ORDER = "same_person_order", _("同人订单")  # R4.4: one order, invalid until cleared
        SUSPECT_SHARE = "suspect_share", _("可疑订单占比过高")  # R9.3: the ambassador's rebates held

    class Status(models.TextChoices):
        OPEN = "open", _("待审核")
        CLEARED = "cleared", _("已排除")
        CONFIRMED = "confirmed", _("已确认无效")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind)
    status = models.CharField(_("状态"), max_length=10, choices=Status, default=Status.OPEN)
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="risk_cases", verbose_name=_("云大使")
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="risk_cases", verbose_name=_("订单")
    )
    # The kinds of signal that linked the accounts, comma-separated (for the desk's filter).
    signals = models.CharField(_("关联信号"), max_length=100, blank=True)
    details = models.JSONField(_("触发数据"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decision_reason = models.TextField(_("审核理由"), blank=True)

    class Meta:
        verbose_name = _("风控案件")
        verbose_name_plural = pgettext_lazy("plural", "风控案件")
        ordering = ["-opened_at", "-pk"]
        permissions = [("decide_riskcase", _("可以审核风控案件"))]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="open", kind="same_person_order"),
                name="one_open_case_per_order",
            ),
            models.UniqueConstraint(
                fields=["ambassador"],
                condition=models.Q(status="open", kind="suspect_share"),
                name="one_open_share_case_per_ambassador",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(decision_reason=""), name="a_decision_has_a_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "-opened_at"], name="risk_case_desk")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
