from django.core.management.base import BaseCommand

from portal.key_rotation import personal_data_rotate


class Command(BaseCommand):
    help = "Re-encrypts personal data under the first key of PERSONAL_DATA_KEYS. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        for label, rewritten in personal_data_rotate(batch_size=batch_size).items():
            self.stdout.write(f"{label}: {rewritten} rows re-encrypted")
