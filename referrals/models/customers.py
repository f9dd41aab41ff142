"""Customers as the program sees them, and their associations with ambassadors (R3)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Ambassador


class CustomerProfile(models.Model):
    """What the program knows of a customer account: segment (R3.5, R4.3) and newness (R1)."""

    class Segment(models.TextChoices):
        NORMAL = "normal", _("普通客户")
        CBM = "cbm", _("CBM 客户")
        PARTNER = "partner", _("合作伙伴客户")

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="customer_profile",
        verbose_name=_("客户"),
    )
    segment = models.CharField(_("客户类型"), max_length=10, choices=Segment, default=Segment.NORMAL)
    segment_as_of = models.DateTimeField(
        _("客户类型更新时间"), null=True, blank=True, help_text=_("计费平台发出该客户类型的时间；更早的更新被忽略")
    )
    became_old_at = models.DateTimeField(
        _("成为老客户的时间"), null=True, blank=True, help_text=_("首次付费购买云产品的时间（R1）")
    )

    class Meta:
        verbose_name = _("客户档案")
        verbose_name_plural = pgettext_lazy("plural", "客户档案")
        permissions = [("import_customerprofile", _("可以导入客户类型"))]

    def __str__(self):
        return str(self.customer)


class EndReason(models.TextChoices):
    """Why an association ended; the labels answer "why did my customer disappear?" (R12.5)."""

    TAKEN_OVER = "taken_over", _("客户访问了其他云大使的推广链接")
    WINDOW_ENDED = "window_ended", _("关联期已结束")
    BECAME_OLD = "became_old", _("客户已付费购买云产品，成为老客户")
    AMBASSADOR_INACTIVE = "ambassador_inactive", _("你的推广资格已失效")
    AMBASSADOR_BLACKLISTED = "ambassador_blacklisted", _("你的推广资格已被暂停")


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
