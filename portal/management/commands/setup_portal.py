from django.core.management.base import BaseCommand

from portal.staff import staff_groups_sync


class Command(BaseCommand):
    help = "Creates the staff groups and scheduled jobs. Idempotent: run it after every deploy."

    def handle(self, *args, **options):
        staff_groups_sync()
        self.stdout.write(self.style.SUCCESS("Staff groups are up to date."))
