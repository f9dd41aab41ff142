"""Exclusive links and the clicks on them."""

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

    Anonymous clicks are buffered and written in batches (referrals.attribution.visit_log);
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
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("访客"),
    )
    device_hash = models.CharField(_("设备（密钥哈希）"), max_length=64, blank=True)
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
