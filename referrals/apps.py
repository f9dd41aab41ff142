from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Referrals in four sub-packages stacked one way (docs/ARCHITECTURE.md): attribution,
    rebates, and above them billing and risk. The models, migrations, templates, commands,
    admin registration and django-q2 tasks stay at this package's top level."""

    name = "referrals"
    verbose_name = _("推广与返利")

    def ready(self):
        # The system checks, and the receiver that lets a blacklisted ambassador's customers go.
        from .attribution import checks  # noqa: F401
        from .risk import services  # noqa: F401
