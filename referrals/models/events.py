"""Events received from billing, kept once each (the events API's contract, docs/ARCHITECTURE.md)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Event(models.Model):
    """An event as received: stored once by its id, then applied by a worker.

    Its body is kept so that applying it can be retried until it succeeds,
    with billing's identity values replaced by their keyed hashes
    (`referrals.billing.identity`); a keyed digest of the body as received tells
    a replay from a conflicting reuse of the id."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收，待处理")
        PROCESSED = "processed", _("已处理")
        FAILED = "failed", _("处理失败，需人工查看")

    id = models.CharField(primary_key=True, max_length=100)
    type = models.CharField(_("类型"), max_length=40)
    body = models.TextField(_("内容"), default="")
    body_digest = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status, default=Status.RECEIVED)
    attempts = models.PositiveSmallIntegerField(_("处理次数"), default=0)
    next_attempt_at = models.DateTimeField(
        _("下次处理时间"), default=timezone.now, help_text=_("失败后等待的时间逐次加倍，到此时间才再处理")
    )
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("计费事件")
        verbose_name_plural = pgettext_lazy("plural", "计费事件")
        ordering = ["-received_at"]
        permissions = [("retry_event", _("可以重新处理失败的计费事件"))]
        indexes = [
            # The order a worker claims them in (`events_claim`): without the id the backlog was
            # sorted whole for every batch, 22 ms for 9,000 waiting events (docs/PERFORMANCE.md).
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="received"),
                name="event_waiting_claim_order",
            )
        ]

    def __str__(self):
        return f"{self.type} {self.id}"
