from django.core.management.base import BaseCommand, CommandError

from ambassadors.models import Ambassador


class Command(BaseCommand):
    help = "Checks every verified ambassador's bound values against their keyed hashes (R10.1)."

    def handle(self, *args, **options):
        broken = [
            a.pk for a in Ambassador.objects.filter(verified_at__isnull=False).iterator() if not a.binding_intact()
        ]
        if broken:
            raise CommandError(f"Bound values that do not match their hashes: ambassadors {broken}")
        self.stdout.write("Every binding matches its hashes.")
