from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmbassadorsConfig(AppConfig):
    """Joining the program, real-name verification, the binding that cannot change."""

    name = "ambassadors"
    verbose_name = _("云大使")
