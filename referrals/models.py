from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador


class ReferralLink(models.Model):
    """An ambassador's exclusive link: `/r/<code>`. One per ambassador, never reused."""

    ambassador = models.OneToOneField(
        Ambassador, on_delete=models.PROTECT, related_name="referral_link", verbose_name=_("云大使")
    )
    code = models.CharField(_("链接代码"), max_length=24, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专属链接")
        verbose_name_plural = pgettext_lazy("plural", "专属链接")

    def __str__(self):
        return self.code


class Visit(models.Model):
    """One click on an exclusive link, with what came of it.

    Anonymous clicks are buffered and written in batches (referrals.visit_log);
    the id is chosen at the click, so a batch written twice stores each once.
    """

    class Outcome(models.TextChoices):
        # An anonymous click lands; what it led to at sign-up or log-in is its AppliedVisit.
        LANDED = "landed", _("已落地（注册或登录时生效）")
        ASSOCIATED = "associated", _("已关联")
        REFUSED = "refused", _("未关联")
        IGNORED = "ignored", _("已忽略（早于客户最近一次关联）")
        UNKNOWN_LINK = "unknown_link", _("链接不存在")
        INACTIVE_AMBASSADOR = "inactive_ambassador", _("云大使不可推广")

    id = models.UUIDField(primary_key=True, editable=False)
    code = models.CharField(_("链接代码"), max_length=64)
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, null=True, blank=True, related_name="visits", verbose_name=_("云大使")
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    device_hash = models.CharField(max_length=64, blank=True)
    landing = models.CharField(_("落地页"), max_length=500, blank=True)
    visited_at = models.DateTimeField(_("访问时间"), db_index=True)
    outcome = models.CharField(_("结果"), max_length=24, choices=Outcome)

    class Meta:
        verbose_name = _("访问")
        verbose_name_plural = pgettext_lazy("plural", "访问")
        ordering = ["-visited_at"]

    def __str__(self):
        return f"{self.code} @ {self.visited_at:%Y-%m-%d %H:%M}"


class AppliedVisit(models.Model):
    """The one customer account a visit was applied to: a visit counts once,
    so one browser's cookie cannot associate every account that logs in on it."""

    visit_id = models.UUIDField(primary_key=True)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("已使用的访问")
        verbose_name_plural = pgettext_lazy("plural", "已使用的访问")

    def __str__(self):
        return str(self.visit_id)


class CustomerProfile(models.Model):
    """What the program knows of a customer account: segment (R3.5, R4.3) and newness (R1)."""

    class Segment(models.TextChoices):
        NORMAL = "normal", _("普通客户")
        CBM = "cbm", _("CBM 客户")
        PARTNER = "partner", _("合作伙伴客户")

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="customer_profile"
    )
    segment = models.CharField(_("客户类型"), max_length=10, choices=Segment, default=Segment.NORMAL)
    became_old_at = models.DateTimeField(
        _("成为老客户的时间"), null=True, blank=True, help_text=_("首次付费购买云产品的时间（R1）")
    )

    class Meta:
        verbose_name = _("客户档案")
        verbose_name_plural = pgettext_lazy("plural", "客户档案")

    def __str__(self):
        return str(self.customer)


class EndReason(models.TextChoices):
    """Why an association ended; the labels answer "why did my customer disappear?" (R12.5)."""

    TAKEN_OVER = "taken_over", _("客户访问了其他云大使的推广链接")
    WINDOW_ENDED = "window_ended", _("关联期已结束")
    BECAME_OLD = "became_old", _("客户已成为老客户")
    AMBASSADOR_INACTIVE = "ambassador_inactive", _("你的推广资格已失效")


class Association(models.Model):
    """A customer associated with an ambassador by a visit (R3). Never deleted:
    an ended association keeps when and why it ended."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="associations", verbose_name=_("客户")
    )
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="associations", verbose_name=_("云大使")
    )
    visit_id = models.UUIDField(_("访问"), help_text=_("最近一次关联或续期的访问"))
    started_at = models.DateTimeField(_("关联时间"))
    renewed_at = models.DateTimeField(_("最近续期"), null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=24, choices=EndReason, blank=True)
    taken_over_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="took_over", verbose_name=_("被接替")
    )

    class Meta:
        verbose_name = _("推广关联")
        verbose_name_plural = pgettext_lazy("plural", "推广关联")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(ended_at__isnull=True), name="one_open_association_per_customer"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | (models.Q(ended_at__isnull=False) & ~models.Q(end_reason="")),
                name="association_end_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["ambassador", "ended_at", "expires_at"])]

    def __str__(self):
        return f"{self.customer} → {self.ambassador}"


class RefusalReason(models.TextChoices):
    """Why a visit did not associate its customer (R3.5); recorded, never shown with details."""

    CBM_OR_PARTNER = "cbm_or_partner", _("CBM 或合作伙伴的客户")
    OLD_CUSTOMER = "old_customer", _("老客户")
    SAME_PERSON = "same_person", _("与云大使为同一人")
    INACTIVE_AMBASSADOR = "inactive_ambassador", _("云大使不可推广")
    UNKNOWN_LINK = "unknown_link", _("链接不存在")
    ASSOCIATED_ELSEWHERE = "associated_elsewhere", _("已与其他云大使关联")
    VISIT_USED = "visit_used", _("这次访问已用于另一个账户")


class AssociationRefusal(models.Model):
    """A visit that reached a customer account and did not associate it, and why."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ambassador = models.ForeignKey(Ambassador, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    visit_id = models.UUIDField()
    visited_at = models.DateTimeField()
    reason = models.CharField(_("原因"), max_length=24, choices=RefusalReason)
    detail = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("仅供风控查看，不向云大使展示"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("未关联记录")
        verbose_name_plural = pgettext_lazy("plural", "未关联记录")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["customer", "visit_id"], name="one_refusal_per_customer_visit")]

    def __str__(self):
        return f"{self.customer}: {self.get_reason_display()}"
