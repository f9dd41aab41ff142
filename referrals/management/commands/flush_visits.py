from django.core.management.base import BaseCommand

from referrals.attribution.visit_log import visit_log_flush, visit_log_pending


class Command(BaseCommand):
    help = "Writes buffered link clicks from Redis to the database (the scheduled job, by hand)."

    def handle(self, *args, **options):
        written = visit_log_flush()
        self.stdout.write(f"{written} visits written; {visit_log_pending()} still buffered.")
