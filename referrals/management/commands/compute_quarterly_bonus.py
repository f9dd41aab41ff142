from datetime import date

from django.core.management.base import BaseCommand, CommandError

from referrals.rebates.bonus import quarterly_bonus_compute


class Command(BaseCommand):
    help = "Computes the quarterly bonus (R5.5) of a quarter that has ended, e.g. --quarter 2026Q3. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="YYYYQn, such as 2026Q3")

    def handle(self, *args, quarter, **options):
        try:
            year, number = quarter.upper().split("Q")
            start = date(int(year), (int(number) - 1) * 3 + 1, 1)
            if not 1 <= int(number) <= 4:
                raise ValueError
        except ValueError:
            raise CommandError(f"--quarter {quarter!r} is not a quarter such as 2026Q3") from None
        try:
            made = quarterly_bonus_compute(quarter=start)
        except ValueError as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(f"{made} bonuses computed for {quarter.upper()}.")
