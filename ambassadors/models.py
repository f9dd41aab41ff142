from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.kernel import personal_data
from portal.kernel.fields import EncryptedTextField


class ProgramState(models.TextChoices):
    """Where an account stands in the program, as /api/v1/me reports it."""

    NOT_JOINED = "not_joined", _("未加入")
    PENDING_VERIFICATION = "pending_verification", _("待实名认证")
    VERIFIED = "verified", _("已实名认证")
    BOUND = "bound", _("已绑定支付宝")
    CANCELLED = "cancelled", _("已注销")


class BindingChangeError(Exception):
    """Raised when code tries to change the real-name or Alipay binding (R10.1)."""


# Fields frozen once the identity is verified, and once Alipay is bound (R10.1).
IDENTITY_FIELDS = ("user_id", "legal_name", "legal_name_hash", "id_number", "id_number_hash", "verified_at")
ALIPAY_FIELDS = ("alipay_account", "alipay_account_hash", "alipay_bound_at")


class AmbassadorQuerySet(models.QuerySet):
    """Refuses bulk writes that would change a binding (R10.1)."""

    def update(self, **kwargs):
        self._refuse_binding_change(kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse_binding_change(dict.fromkeys(fields))
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def _refuse_binding_change(self, changes):
        changes = {"user_id" if name == "user" else name for name in changes}
        if changes & set(IDENTITY_FIELDS) and self.filter(verified_at__isnull=False).exists():
            raise BindingChangeError("A verified real-name identity cannot be changed (R10.1).")
        if changes & set(ALIPAY_FIELDS) and self.filter(alipay_bound_at__isnull=False).exists():
            raise BindingChangeError("A bound Alipay account cannot be changed (R10.1).")


class Ambassador(models.Model):
    """An account's membership of the program.

    The identity (legal name and ID number) is written once, when a
    verification is approved; the Alipay account once, when it is bound.
    After that neither changes: `save()` and the queryset refuse, and on
    PostgreSQL a trigger refuses raw SQL too (migration 0002).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ambassador", verbose_name=_("账户")
    )
    joined_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    legal_name = EncryptedTextField(_("真实姓名"), null=True, blank=True)
    legal_name_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    id_number = EncryptedTextField(_("身份证号"), null=True, blank=True)
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)

    phone = EncryptedTextField(_("手机号"), null=True, blank=True)
    phone_hash = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)

    alipay_account = EncryptedTextField(_("支付宝账号"), null=True, blank=True)
    alipay_account_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    alipay_bound_at = models.DateTimeField(_("支付宝绑定时间"), null=True, blank=True)

    cancelled_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    # R6.3: blacklisted by risk control or staff; lifted by staff.
    blacklisted_at = models.DateTimeField(_("列入黑名单时间"), null=True, blank=True)
    blacklist_reason = models.TextField(_("黑名单原因"), blank=True, help_text=_("云大使会看到这段文字。"))

    objects = AmbassadorQuerySet.as_manager()

    class Meta:
        verbose_name = _("云大使")
        verbose_name_plural = pgettext_lazy("plural", "云大使")
        permissions = [("blacklist_ambassador", _("可以将云大使列入或移出黑名单"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(alipay_bound_at__isnull=True) | models.Q(verified_at__isnull=False),
                name="alipay_bound_only_after_verification",
            ),
        ]

    def __str__(self):
        name = self.masked_legal_name if self.verified_at else _("未认证")
        return f"{name} <{self.user.email}>"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            self._refuse_binding_change()
        super().save(*args, **kwargs)

    def _refuse_binding_change(self):
        stored = type(self).objects.filter(pk=self.pk).values(*IDENTITY_FIELDS, *ALIPAY_FIELDS).first()
        if stored is None:
            return
        for frozen_by, fields in (("verified_at", IDENTITY_FIELDS), ("alipay_bound_at", ALIPAY_FIELDS)):
            if stored[frozen_by] is not None and any(stored[f] != getattr(self, f) for f in fields):
                raise BindingChangeError(f"{', '.join(fields)} cannot change once set (R10.1).")

    def binding_intact(self):
        """Whether each bound value still matches the keyed hash stored beside it.

        The hashes can never change (the trigger allows no exception); the
        ciphertext may be rewritten only during key rotation. A value that no
        longer matches its hash was tampered with, and must not be paid to.
        """
        pairs = [
            (self.legal_name, self.legal_name_hash, personal_data.normalise_name),
            (self.id_number, self.id_number_hash, personal_data.normalise_id_number),
            (self.alipay_account, self.alipay_account_hash, personal_data.normalise_payment_account),
        ]
        return all(
            personal_data.keyed_hash(normalise(value)) == stored
            for value, stored, normalise in pairs
            if stored is not None
        )

    @property
    def program_state(self):
        if self.cancelled_at:
            return ProgramState.CANCELLED
        if self.alipay_bound_at:
            return ProgramState.BOUND
        if self.verified_at:
            return ProgramState.VERIFIED
        return ProgramState.PENDING_VERIFICATION

    @property
    def can_refer(self):
        """Whether a visit to this ambassador's link may associate a customer."""
        return self.verified_at is not None and self.cancelled_at is None and self.blacklisted_at is None

    @property
    def masked_legal_name(self):
        return personal_data.mask_name(self.legal_name or "")

    @property
    def masked_id_number(self):
        return personal_data.mask_id_number(self.id_number or "")

    @property
    def masked_phone(self):
        return personal_data.mask_phone(self.phone or "")

    @property
    def masked_alipay_account(self):
        return personal_data.mask_payment_account(self.alipay_account or "")


class Verification(models.Model):
    """One real-name verification request and its decision (R10.1)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("审核中")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.PROTECT, related_name="verifications", verbose_name=_("云大使")
    )
    legal_name = EncryptedTextField(_("真实姓名"))
    id_number = EncryptedTextField(_("身份证号"))
    id_number_hash = models.CharField(max_length=64, db_index=True, editable=False)
    phone = EncryptedTextField(_("手机号"))
    phone_hash = models.CharField(max_length=64, editable=False)
    consent_version = models.CharField(_("同意的告知书版本"), max_length=20)
    consented_at = models.DateTimeField(_("同意时间"))

    status = models.CharField(_("状态"), max_length=12, choices=Status, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reject_reason = models.TextField(_("未通过原因"), blank=True, help_text=_("云大使会看到这段文字。"))

    class Meta:
        verbose_name = _("实名认证申请")
        verbose_name_plural = pgettext_lazy("plural", "实名认证申请")
        ordering = ["-submitted_at", "-id"]
        permissions = [
            ("decide_verification", _("可以审核实名认证")),
            # Shown on the review page alone, and each view audited (ambassadors/admin.py).
            ("view_full_identity", _("可以在审核页查看完整姓名与身份证号")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ambassador"],
                condition=models.Q(status="submitted"),
                name="one_open_verification_per_ambassador",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(reject_reason=""),
                name="rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.masked_legal_name} ({self.get_status_display()})"

    @property
    def masked_legal_name(self):
        return personal_data.mask_name(self.legal_name)

    @property
    def masked_id_number(self):
        return personal_data.mask_id_number(self.id_number)

    @property
    def masked_phone(self):
        return personal_data.mask_phone(self.phone)


class IdentitySignal(models.Model):
    """A fact that identifies a person, as a keyed hash: two accounts sharing
    one are the same person (R9.1). Recorded from verification, the Alipay
    binding, devices seen at log-in and visits, and billing's customer data."""

    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号")
        PHONE = "phone", _("手机号")
        PAYMENT_ACCOUNT = "payment_account", _("支付账号")
        DEVICE = "device", _("设备")
        ADDRESS = "address", _("地址")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_signals", verbose_name=_("账户")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind)
    value_hash = models.CharField(max_length=64, db_index=True)
    source = models.CharField(_("来源"), max_length=40)
    first_seen_at = models.DateTimeField(_("首次出现"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("最近出现"), auto_now=True)

    class Meta:
        verbose_name = _("身份信号")
        verbose_name_plural = pgettext_lazy("plural", "身份信号")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value_hash"], name="one_signal_per_user_kind_value")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value_hash[:8]}…"


class SamePersonLink(models.Model):
    """Two accounts that share a signal are the same person (R9.1): one row per
    account, other account and signal, written in both directions when the
    signal is recorded, so an account's same-person group is one query and each
    link says which signal made it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="same_person_links", verbose_name=_("账户")
    )
    other = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("同人账户")
    )
    kind = models.CharField(_("关联信号"), max_length=20, choices=IdentitySignal.Kind)
    value_hash = models.CharField(max_length=64)
    linked_at = models.DateTimeField(_("关联时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("同人关联")
        verbose_name_plural = pgettext_lazy("plural", "同人关联")
        constraints = [
            models.UniqueConstraint(fields=["user", "other", "kind", "value_hash"], name="one_link_per_signal"),
            models.CheckConstraint(condition=~models.Q(user=models.F("other")), name="link_between_two_accounts"),
        ]
        indexes = [models.Index(fields=["user", "other"], name="same_person_pair")]

    def __str__(self):
        return f"{self.user_id} ~ {self.other_id} ({self.kind})"
