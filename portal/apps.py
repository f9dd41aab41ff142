from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The project's shared kernel: accounts, audit log, money and personal-data helpers."""

    name = "portal"
    verbose_name = _("账户与审计")
