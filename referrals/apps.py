from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    """Links, visits, associations, orders and rebate decisions (issues 3 to 5)."""

    name = "referrals"
    verbose_name = _("推广与返利")

    def ready(self):
        # The system checks, and the receiver that lets a blacklisted ambassador's customers go.
        from . import risk  # noqa: F401
        from .attribution import checks  # noqa: F401
