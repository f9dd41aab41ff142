from django.core.management.base import BaseCommand, CommandError

from portal.kernel.key_rotation import personal_data_rotate, personal_data_stale


class Command(BaseCommand):
    help = (
        "Re-encrypts personal data under the first key of PERSONAL_DATA_KEYS. Safe to run again. "
        "With --check, only counts what is left and fails if anything is (docs/SECURITY.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--check", action="store_true", help="count rows not yet under the first key")

    def handle(self, *args, batch_size, check, **options):
        if check:
            stale = personal_data_stale()
            for label, count in stale.items():
                self.stdout.write(f"{label}: {count} rows not under the first key")
            if any(stale.values()):
                raise CommandError("Some rows are not under the first key yet: run the command without --check.")
            return
        for label, rewritten in personal_data_rotate(batch_size=batch_size).items():
            self.stdout.write(f"{label}: {rewritten} rows re-encrypted")
