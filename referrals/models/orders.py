"""Orders from billing, each with its rebate decision (R4), and every change to a rebate."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador

from .catalogue import Product, RuleSet
from .customers import Association


class Reason(models.TextChoices):
    """R4, in its order: the first condition an order fails. The labels are the
    sentences ambassadors read (R12.5: "why does this order earn nothing?")."""

    NO_ASSOCIATION = "NO_ASSOCIATION", _("下单时客户未与你关联")
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW", _("下单时不在关联期内")
    UNPAID = "UNPAID", _("订单未付款")
    CBM_OR_PARTNER = "CBM_OR_PARTNER", _("CBM 或合作伙伴的客户不返利")
    SAME_PERSON = "SAME_PERSON", _("风控/同人订单：购买者与云大使为同一人")
    NOT_NEW_CUSTOMER = "NOT_NEW_CUSTOMER", _("下单时客户已是老客户")
    TYPE_NOT_REBATED = "TYPE_NOT_REBATED", _("当月返利规则不为这类订单返利")
    NOT_FIRST_PURCHASE = "NOT_FIRST_PURCHASE", _("不是会员首购")
    SAME_PERSON_SLOT_TAKEN = "SAME_PERSON_SLOT_TAKEN", _("客户的同人账号已发生首购")
    NOT_REBATE_PRODUCT = "NOT_REBATE_PRODUCT", _("不是当月返利产品")
    NOT_PREPAID = "NOT_PREPAID", _("不是预付费购买（如按量付费）")
    ACTIVITY_PRODUCT = "ACTIVITY_PRODUCT", _("不参加返利的活动产品")
    REFUNDED = "REFUNDED", _("订单已全额退款")


class RiskVerdict(models.TextChoices):
    CLEARED = "cleared", _("已排除风险")
    CONFIRMED = "confirmed", _("已确认无效")


class OrderType(models.TextChoices):
    """R5.1: what kind of purchase an order is, for its rate."""

    MEMBER_FIRST_PURCHASE = "member_first_purchase", _("会员首购")
    PRODUCT_FIRST_PURCHASE = "product_first_purchase", _("产品首购")
    NEW_PURCHASE = "new_purchase", _("新购")
    RENEWAL = "renewal", _("续费")
    UPGRADE = "upgrade", _("升级")


class Order(models.Model):
    """The latest snapshot billing sent of one order, and the portal's decision on it."""

    class Billing(models.TextChoices):
        PREPAID = "prepaid", _("预付费")
        POSTPAID = "postpaid", _("按量付费")

    class Kind(models.TextChoices):
        NEW = "new", _("新购")
        RENEW = "renew", _("续费")
        UPGRADE = "upgrade", _("升级")

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("未付款")
        PAID = "paid", _("已付款")
        REFUNDED = "refunded", _("已退款")
        CANCELLED = "cancelled", _("已取消")

    # The snapshot (order.updated in the events API's contract).
    billing_id = models.CharField(_("订单号"), max_length=64, unique=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("客户")
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders", verbose_name=_("产品"))
    billing = models.CharField(_("计费方式"), max_length=10, choices=Billing)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind)
    trial = models.BooleanField(_("试用"), default=False)
    activity = models.CharField(_("活动代码"), max_length=64, blank=True)
    amount = models.DecimalField(_("订单金额"), max_digits=12, decimal_places=2)
    period_days = models.PositiveIntegerField(_("购买时长（天）"))
    placed_at = models.DateTimeField(_("下单时间"), db_index=True)
    status = models.CharField(_("订单状态"), max_length=10, choices=Status)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    refunded_amount = models.DecimalField(_("退款金额"), max_digits=12, decimal_places=2, default=0)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("快照版本"))

    # The decision (R4), remade whenever the facts change.
    # No index of its own: `order_ambassador_newest` serves every read by ambassador, and a second
    # one gave the list's generic plan a way to read all of a large ambassador's orders and sort them.
    ambassador = models.ForeignKey(
        Ambassador,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("云大使"),
        db_index=False,
    )
    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("推广关联")
    )
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("返利规则")
    )
    order_type = models.CharField(_("返利类型"), max_length=24, choices=OrderType, blank=True)
    rate = models.DecimalField(_("返利比例"), max_digits=5, decimal_places=4, default=0)
    rebate = models.DecimalField(_("返利"), max_digits=12, decimal_places=2, default=0)
    reason = models.CharField(_("不返利原因"), max_length=24, choices=Reason, blank=True)
    decided_at = models.DateTimeField(_("判定时间"), null=True, blank=True)
    settles_on = models.DateField(_("结算日"), null=True, blank=True, db_index=True)
    # Risk control (R9.3): a held rebate does not settle until staff decide.
    on_hold = models.BooleanField(_("风控冻结"), default=False)
    # Staff's word on the order (R9.3), which outweighs the signals: cleared pays it,
    # confirmed makes it invalid (R8.2).
    risk_verdict = models.CharField(_("风控结论"), max_length=10, choices=RiskVerdict, blank=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = pgettext_lazy("plural", "订单")
        permissions = [("import_order", _("可以导入订单"))]
        ordering = ["-placed_at", "-pk"]
        indexes = [
            # An ambassador's orders, newest first (返利订单). It holds what the list filters on, so
            # that the page's ids are read from the index alone: the plan PostgreSQL's generic plan
            # takes for a large ambassador among many small ones, while the table's pages are marked
            # all-visible, as autovacuum keeps them (docs/PERFORMANCE.md, docs/DEPLOY.md).
            models.Index(
                fields=["ambassador", "-placed_at", "-id"],
                include=["reason", "order_type"],
                name="order_ambassador_newest",
            ),
            models.Index(fields=["customer", "placed_at"]),
            # A customer's orders paid before or after a moment, at any length of history.
            models.Index(fields=["customer", "paid_at"], name="order_customer_paid"),
        ]

    def __str__(self):
        return self.billing_id

    @property
    def is_compliant(self):
        return not self.reason

    @property
    def is_invalid(self):
        """R8.2: flagged by risk control; shown to ambassadors as 无效订单."""
        return self.reason == Reason.SAME_PERSON

    @property
    def kept_amount(self):
        """R6.1: what the customer kept, the amortised used part after refunds."""
        return self.amount - self.refunded_amount


class RebateChange(models.Model):
    """One change of an order's rebate and why (R6, R12.5: "why is my rebate lower?").

    A change after the rebate settled (R6.2) is a clawback for the payouts app
    to post as a debt (挂账)."""

    class Cause(models.TextChoices):
        DECISION = "decision", _("订单判定")
        PAYMENT = "payment", _("订单付款")
        REFUND = "refund", _("客户退款，按实际使用计算")
        REJUDGED = "rejudged", _("重新判定")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="rebate_changes", verbose_name=_("订单"))
    cause = models.CharField(_("原因"), max_length=12, choices=Cause)
    before = models.DecimalField(_("变更前"), max_digits=12, decimal_places=2)
    after = models.DecimalField(_("变更后"), max_digits=12, decimal_places=2)
    reason_after = models.CharField(_("变更后的不返利原因"), max_length=24, choices=Reason, blank=True)
    after_settlement = models.BooleanField(_("结算后发生"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返利变动")
        verbose_name_plural = pgettext_lazy("plural", "返利变动")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.order}: {self.before} → {self.after}"

    @property
    def delta(self):
        return self.after - self.before
