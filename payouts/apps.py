from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """The ledger, settlement, withdrawals and tax."""

    name = "payouts"
    verbose_name = _("结算与提现")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the ledger to referrals' signals)
