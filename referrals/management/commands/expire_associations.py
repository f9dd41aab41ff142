from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from referrals.attribution.services import associations_expire


class Command(BaseCommand):
    help = "Ends associations whose 30-day window has passed (R3.4), as of now or of --at."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="an ISO date-time, Asia/Shanghai unless it says otherwise")

    def handle(self, *args, at=None, **options):
        moment = timezone.now()
        if at:
            moment = parse_datetime(at)
            if moment is None:
                raise CommandError(f"--at {at!r} is not an ISO date-time such as 2026-12-01T00:00")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        self.stdout.write(f"{associations_expire(now=moment)} associations ended.")
