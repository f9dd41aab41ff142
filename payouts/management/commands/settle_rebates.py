from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payouts.settlement import settlement_run


class Command(BaseCommand):
    help = (
        "Settles the rebates due on a date (R7; Asia/Shanghai, today unless --date), committing chunk by chunk."
        " Safe to run again: a run of the day that stopped is continued where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="an ISO date such as 2026-12-01")

    def handle(self, *args, date=None, **options):
        day = timezone.localdate()
        if date:
            try:
                day = _parse(date)
            except ValueError:
                raise CommandError(f"--date {date!r} is not an ISO date such as 2026-12-01") from None
        run = settlement_run(day)
        self.stdout.write(
            f"Settlement for {day}: {run.orders_settled} orders and {run.bonuses_settled} bonuses, "
            f"¥{run.amount_settled} settled, ¥{run.debt_netted} of debt repaid ({run.chunks_committed} chunks)."
        )


def _parse(text):
    return date.fromisoformat(text)
