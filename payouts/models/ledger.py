"""The ledger: append-only postings, each made of entries in Decimal yuan.

Every balance an ambassador has (pending, withdrawable, in payout, debt, paid out,
forfeited) is the sum of their entries in that bucket; nothing stores a balance.
A posting names its cause, and its unique `key` makes posting one cause twice
impossible (R7, R11). On PostgreSQL a trigger refuses UPDATE and DELETE."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador
from portal.kernel.money import yuan_text
from referrals.models import Order, QuarterlyBonus, RebateChange


class Bucket(models.TextChoices):
    """Where money stands. Debt (挂账, R6.2) is negative: what the ambassador owes."""

    PENDING = "pending", _("待结算")
    WITHDRAWABLE = "withdrawable", _("可提现")
    IN_PAYOUT = "in_payout", _("提现中")
    PAID_OUT = "paid_out", _("已提现")
    DEBT = "debt", _("挂账")
    FORFEITED = "forfeited", _("注销作废")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("ledger rows are append-only: post a correction instead")

    def delete(self):
        raise TypeError("ledger rows are append-only: post a correction instead")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("ledger rows are append-only: post a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ledger rows are append-only: post a correction instead")


def _cause(to, verbose_name, related_name="+", db_index=False):
    """A posting's optional cause, which the ledger never lets go of (PROTECT)."""
    return models.ForeignKey(
        to,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
        db_index=db_index,
    )


class Posting(AppendOnly):
    """One event that moved money, and its cause."""

    class Kind(models.TextChoices):
        REBATE = "rebate", _("返利变动")  # cause: a rebate change (R4, R6.1)
        SETTLEMENT = "settlement", _("结算")  # cause: an order's day 31 (R7.1)
        BONUS = "bonus", _("额外奖励")  # cause: a quarterly bonus (R5.5)
        BONUS_SETTLEMENT = "bonus_settlement", _("额外奖励结算")  # R7.2
        DEBT_NETTING = "debt_netting", _("挂账抵扣")  # R6.2: debt repaid from a settlement
        WITHDRAWAL = "withdrawal", _("提现申请")  # R11.1
        PAYOUT = "payout", _("提现到账")
        REVERSAL = "reversal", _("提现失败退回")
        FORFEIT = "forfeit", _("注销作废")  # R10.2

    key = models.CharField(_("记账键"), max_length=80, unique=True, help_text=_("原因的唯一键：同一原因不能记两次"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind)
    # The causes: each posting has one or two, so their indexes (Meta) skip the empty ones;
    # a settlement run writes a million postings and should not write a million NULL keys.
    order = _cause(Order, _("订单"))
    rebate_change = _cause(RebateChange, _("返利变动"))
    bonus = _cause(QuarterlyBonus, _("季度奖励"))
    withdrawal = _cause("payouts.Withdrawal", _("提现"), related_name="postings")
    settlement_run = _cause("payouts.SettlementRun", _("结算批次"), related_name="postings", db_index=True)
    posted_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("记账")
        verbose_name_plural = pgettext_lazy("plural", "记账")
        ordering = ["-posted_at", "-pk"]
        indexes = [
            models.Index(fields=[cause], name=f"posting_{cause}", condition=models.Q(**{f"{cause}__isnull": False}))
            for cause in ["order", "rebate_change", "bonus", "withdrawal"]
        ]

    def __str__(self):
        return self.key


class Entry(AppendOnly):
    """One amount in one bucket of one ambassador. The entries of a posting that
    moves money between buckets sum to zero; those that earn or forfeit do not."""

    # No index of their own: one_entry_per_bucket starts with posting, entry_balance with ambassador.
    posting = models.ForeignKey(
        Posting, on_delete=models.PROTECT, related_name="entries", verbose_name=_("记账"), db_index=False
    )
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("云大使"), db_index=False
    )
    bucket = models.CharField(_("账户"), max_length=16, choices=Bucket)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    # Copied from the posting so that an order's pending rebate is one indexed sum (settlement).
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("订单")
    )

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = pgettext_lazy("plural", "分录")
        constraints = [
            models.UniqueConstraint(fields=["posting", "ambassador", "bucket"], name="one_entry_per_bucket"),
            models.CheckConstraint(condition=~models.Q(amount=0), name="entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["ambassador", "bucket"], name="entry_balance"),
            models.Index(fields=["order"], name="entry_pending_order", condition=models.Q(bucket="pending")),
        ]

    def __str__(self):
        return f"{self.posting} {self.get_bucket_display()} {yuan_text(self.amount)}"
