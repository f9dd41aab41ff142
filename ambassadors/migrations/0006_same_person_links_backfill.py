"""Links for the signals recorded before links existed: every pair of accounts sharing a value."""

from collections import defaultdict

from django.db import migrations


def backfill(apps, schema_editor):
    IdentitySignal = apps.get_model("ambassadors", "IdentitySignal")
    SamePersonLink = apps.get_model("ambassadors", "SamePersonLink")
    by_value = defaultdict(list)
    for user_id, kind, value_hash in IdentitySignal.objects.values_list("user", "kind", "value_hash").iterator():
        by_value[value_hash].append((user_id, kind))
    links = [
        SamePersonLink(user_id=user_id, other_id=other_id, kind=kind, value_hash=value_hash)
        for value_hash, holders in by_value.items()
        if len(holders) > 1
        for user_id, kind in holders
        for other_id, _ in holders
        if other_id != user_id
    ]
    SamePersonLink.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("ambassadors", "0005_same_person_link")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
