"""Events keep no identity value in clear: every stored body's identity values
become their keyed hashes, and the body's SHA-256 becomes a keyed digest.

The stored bodies were the bodies as received, so the digest of each is the
digest of the bytes billing would send again: a replay still answers 200.
"""

import hashlib
import json

from django.db import migrations

BATCH = 1000


def hash_identity_in_stored_events(apps, schema_editor):
    from referrals.billing.identity import identity_stored, is_stored_form
    from referrals.billing.services import event_body_digest

    Event = apps.get_model("referrals", "Event")
    changed = []
    for event in Event.objects.only("id", "type", "body", "body_digest").order_by("pk").iterator(chunk_size=BATCH):
        raw = event.body.encode()
        if event.body_digest != hashlib.sha256(raw).hexdigest():
            continue  # not a row of the earlier code: done already
        event.body_digest = event_body_digest(raw)
        if event.type == "customer.updated":
            event.body = _redacted(event.body, identity_stored, is_stored_form)
        changed.append(event)
        if len(changed) >= BATCH:
            Event.objects.bulk_update(changed, ["body", "body_digest"])
            changed = []
    Event.objects.bulk_update(changed, ["body", "body_digest"])


def _redacted(body, identity_stored, is_stored_form):
    document = json.loads(body)
    identity = document.get("data", {}).get("identity") or {}
    in_clear = {key: value for key, value in identity.items() if not is_stored_form(value)}
    if not in_clear:
        return body
    document["data"]["identity"] = {**identity, **identity_stored(in_clear)}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0014_risk_verdict_label"),
    ]

    operations = [
        migrations.RenameField(model_name="event", old_name="body_sha256", new_name="body_digest"),
        # Digests cannot be turned back into SHA-256, nor hashes into values: nothing to undo.
        migrations.RunPython(hash_identity_in_stored_events, migrations.RunPython.noop, elidable=False),
    ]
