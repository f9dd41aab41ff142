from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The shared kernel every app may use: accounts, the audit log, money, months, personal
    data, staff groups. It imports no app. Its label stays "portal", so the user model is
    "portal.User" and its tables and migrations keep their names."""

    name = "portal.kernel"
    label = "portal"
    verbose_name = _("账户与审计")
