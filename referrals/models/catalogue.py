"""What is sold and on what terms: products, monthly rule sets (R5) and the news that announces them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.kernel.money import AmountInvalid, parse_yuan


class Product(models.Model):
    class Category(models.TextChoices):
        CLOUD = "cloud", _("云产品")
        DOMAIN = "domain", _("域名")
        SHARED_HOST = "shared_host", _("共享虚拟主机")
        DEDICATED_HOST = "dedicated_host", _("独享虚拟主机")

    code = models.CharField(_("产品代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(
        _("英文名称"), max_length=100, blank=True, help_text=_("英文页面显示；留空则显示中文名称并标注“中文”。")
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category, default=Category.CLOUD)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = pgettext_lazy("plural", "产品")
        ordering = ["code"]
        permissions = [("import_product", _("可以导入产品")), ("export_product", _("可以导出产品"))]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def makes_customer_old(self):
        """R1.1–1.2: only a paid cloud product; domains and virtual hosts do not."""
        return self.category == self.Category.CLOUD

    @property
    def takes_first_purchase_slot(self):
        """R2.2: a domain order does not take the member-first-purchase slot."""
        return self.category != self.Category.DOMAIN


def default_refund_rating_steps():
    """R6.3: 3 refunded orders lower the rating once, 6 twice, 10 blacklist."""
    return [3, 6, 10]


class RuleSetQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=RuleSet.Status.PUBLISHED)

    def in_force_for(self, month):
        """The rule set that judges orders placed in `month` (R5.2): the newest
        published version for that month, or, when the month has none, the
        latest earlier month's (rules stand until changed)."""
        return self.published().filter(month__lte=month).order_by("-month", "-version").first()


class RuleSet(models.Model):
    """The rebate terms of one calendar month (R5). Published versions are never
    edited (R5.6): a correction is a new version, and rebates keep the version
    they were computed with."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=10, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    summary = models.TextField(_("说明"), blank=True, help_text=_("发布时作为最新动态展示给云大使"))
    title_en = models.CharField(
        _("英文标题"), max_length=100, blank=True, help_text=_("英文页面显示；留空则显示中文并标注“中文”。")
    )
    summary_en = models.TextField(_("英文说明"), blank=True)
    member_first_purchase_rate = models.DecimalField(_("会员首购返利比例"), max_digits=5, decimal_places=4)
    new_purchase_rate = models.DecimalField(_("新购返利比例"), max_digits=5, decimal_places=4, default=0)
    renewal_rate = models.DecimalField(_("续费返利比例"), max_digits=5, decimal_places=4, default=0)
    upgrade_rate = models.DecimalField(_("升级返利比例"), max_digits=5, decimal_places=4, default=0)
    product_first_purchase_rate = models.DecimalField(_("产品首购返利比例"), max_digits=5, decimal_places=4, default=0)
    rebate_products = models.ManyToManyField(Product, verbose_name=_("返利产品"), related_name="rule_sets")
    excluded_activities = models.JSONField(_("不返利的活动代码"), default=list, blank=True)
    bonus_tiers = models.JSONField(
        _("季度奖励档位"),
        default=list,
        blank=True,
        help_text=_('例如 [{"min_orders": 5, "bonus": "300.00"}]：季度内 500 元及以上的会员首购单数达到档位即得奖励'),
    )
    # Risk control as data (R9.3, R6.3).
    risk_window_days = models.PositiveSmallIntegerField(_("风控统计天数"), default=30)
    risk_min_orders = models.PositiveSmallIntegerField(
        _("风控最少订单数"), default=5, help_text=_("统计期内订单少于此数时不按占比触发风控")
    )
    risk_suspect_share = models.DecimalField(
        _("可疑订单占比阈值"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.300"),
        help_text=_("同人、客户间共用设备或地址、退款的订单占比达到此值时，暂停结算并转人工审核"),
    )
    refund_window_days = models.PositiveSmallIntegerField(_("退款评级统计天数"), default=180)
    refund_rating_steps = models.JSONField(
        _("退款评级阈值"),
        default=default_refund_rating_steps,
        help_text=_("例如 [3, 6, 10]：退款订单数每达到一档评级降一级，达到最后一档即列入黑名单"),
    )

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("返利规则")
        verbose_name_plural = pgettext_lazy("plural", "返利规则")
        permissions = [("publish_ruleset", _("可以发布返利规则"))]
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="one_rule_set_per_month_and_version"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="rule_set_month_is_first_day"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} v{self.version} {self.title}"

    def save(self, *args, **kwargs):
        if self.pk is not None and RuleSet.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ValidationError(_("已发布的返利规则不能修改；请发布一个新版本（R5.6）。"))
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.month and self.month.day != 1:
            errors["month"] = _("请填写该月的第一天。")
        if not _bonus_tiers_valid(self.bonus_tiers):
            errors["bonus_tiers"] = _('每个档位写作 {"min_orders": 正整数, "bonus": "金额"}，金额如 "300.00"。')
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


def _bonus_tiers_valid(tiers):
    """A list of {"min_orders": a whole number from 1, "bonus": an amount of yuan}."""
    if not isinstance(tiers, list):
        return False
    for tier in tiers:
        if not isinstance(tier, dict) or set(tier) != {"min_orders", "bonus"}:
            return False
        if type(tier["min_orders"]) is not int or tier["min_orders"] < 1:
            return False
        try:
            parse_yuan(str(tier["bonus"]))
        except AmountInvalid:
            return False
    return True


class NewsEntry(models.Model):
    """最新动态: rule changes and announcements (R5.1, R12.4)."""

    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    title_en = models.CharField(
        _("英文标题"), max_length=100, blank=True, help_text=_("英文页面显示；留空则显示中文并标注“中文”。")
    )
    body_en = models.TextField(_("英文内容"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), db_index=True)
    rule_set = models.OneToOneField(
        RuleSet, on_delete=models.PROTECT, null=True, blank=True, related_name="news", verbose_name=_("返利规则")
    )

    class Meta:
        verbose_name = _("最新动态")
        verbose_name_plural = pgettext_lazy("plural", "最新动态")
        ordering = ["-published_at"]

    def __str__(self):
        return self.title


class Activity(models.Model):
    """A billing promotion by its code, named for people: rule sets list the activities whose
    orders earn nothing (R4.9) by code, and pages show these names instead."""

    code = models.CharField(_("活动代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(
        _("英文名称"), max_length=100, blank=True, help_text=_("英文页面显示；留空则显示中文名称并标注“中文”。")
    )

    class Meta:
        verbose_name = _("促销活动")
        verbose_name_plural = pgettext_lazy("plural", "促销活动")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
