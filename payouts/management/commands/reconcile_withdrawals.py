from django.core.management.base import BaseCommand

from payouts.withdrawals import withdrawals_reconcile


class Command(BaseCommand):
    help = "Asks Alipay about withdrawals whose result is unknown and records the answers (R11.1)."

    def handle(self, *args, **options):
        self.stdout.write(f"{withdrawals_reconcile()} withdrawals asked about.")
