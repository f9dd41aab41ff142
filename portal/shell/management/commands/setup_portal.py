from django.core.management.base import BaseCommand

from portal.kernel.staff import staff_groups_sync
from portal.shell.schedules import SCHEDULES, schedules_sync


class Command(BaseCommand):
    help = "Creates the staff groups and scheduled jobs. Idempotent: run it after every deploy."

    def handle(self, *args, **options):
        staff_groups_sync()
        schedules_sync()
        self.stdout.write(self.style.SUCCESS(f"Staff groups and {len(SCHEDULES)} schedules are up to date."))
