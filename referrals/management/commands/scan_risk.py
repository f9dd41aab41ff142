from datetime import date

from django.core.management.base import BaseCommand, CommandError

from referrals.risk.services import risk_scan


class Command(BaseCommand):
    help = (
        "Holds the rebates of ambassadors whose share of suspect orders reached the threshold (R9.3) and "
        "blacklists those whose refunds passed the last rating step (R6.3), under the rule set of --date "
        "(today unless given). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="an ISO date such as 2026-12-01")

    def handle(self, *args, date=None, **options):
        today = None
        if date:
            try:
                today = _parse(date)
            except ValueError:
                raise CommandError(f"--date {date!r} is not an ISO date such as 2026-12-01") from None
        figures = risk_scan(today=today)
        self.stdout.write(f"{figures['held']} ambassadors held for review, {figures['blacklisted']} blacklisted.")


def _parse(text):
    return date.fromisoformat(text)
