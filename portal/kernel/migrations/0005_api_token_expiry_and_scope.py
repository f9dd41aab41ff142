"""API tokens get a scope (`read`) and an expiry. Tokens made before have none: they get 90
days from this migration (docs/SECURITY.md), so no script stops on the day of the upgrade."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

EXISTING_TOKENS_LIFETIME = timedelta(days=90)


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("portal", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=timezone.now() + EXISTING_TOKENS_LIFETIME)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0004_audit_target_id_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(choices=[("read", "只读")], default="read", max_length=20, verbose_name="权限范围"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="有效期至"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="有效期至"),
        ),
    ]
