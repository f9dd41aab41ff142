from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    """The ledger, settlement, withdrawals and tax."""

    name = "payouts"
    verbose_name = _("结算与提现")

    def ready(self):
        from referrals.rebates.ledger_port import rebate_ledger_register

        from . import rebate_ledger

        rebate_ledger_register(rebate_ledger)  # the rebate engine posts through it
