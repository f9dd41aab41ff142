"""Events received from billing, kept once each (DESIGN.md, events API)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Event(models.Model):
    """An event applied once: its id makes a replay answer the first result,
    and its body hash tells a replay from a conflicting reuse of the id."""

    id = models.CharField(primary_key=True, max_length=100)
    type = models.CharField(_("类型"), max_length=40)
    body_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True, db_index=True)
    result = models.JSONField(_("结果"), default=dict)

    class Meta:
        verbose_name = _("计费事件")
        verbose_name_plural = pgettext_lazy("plural", "计费事件")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.id}"
