import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UserManager(BaseUserManager):
    """Accounts are identified by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An account needs an email address.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account of the vendor's site: customer, ambassador or staff.

    `uid` is the stable public account id: the `customer` of the events API
    and the `id` of /api/v1/me. The primary key never leaves the database.
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("邮箱"), unique=True)
    uid = models.UUIDField(_("账户 ID"), default=uuid.uuid4, unique=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = pgettext_lazy("plural", "账户")

    def __str__(self):
        return self.email


class AuditEntry(models.Model):
    """One recorded change of money or state: who, when, why, before and after.

    Rows are only ever inserted (see `portal.kernel.audit.audit_record`); the admin
    shows them read-only and, on PostgreSQL, a trigger refuses UPDATE and DELETE.
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("空表示系统任务"),
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象 ID"), max_length=100)  # a billing event's id is up to 100
    reason = models.TextField(_("原因"), blank=True)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = pgettext_lazy("plural", "审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.action} {self.target_type}#{self.target_id}"


class ApiToken(models.Model):
    """A personal token for the read-only ambassador API (`Authorization: Bearer`).

    Only a hash is stored: the token is shown once, when it is made. It opens the API until
    `expires_at`, for the methods its scope allows (portal/kernel/api_tokens.py)."""

    class Scope(models.TextChoices):
        READ = "read", _("只读")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=50)
    prefix = models.CharField(_("前缀"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("权限范围"), max_length=20, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = pgettext_lazy("plural", "API 令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now):
        return now >= self.expires_at
