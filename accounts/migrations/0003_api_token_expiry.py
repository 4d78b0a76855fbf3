from datetime import timedelta

import accounts.models
from django.conf import settings
from django.db import migrations, models


def expire_existing_tokens(apps, schema_editor):
    """Tokens made before expiry existed run out API_TOKEN_DAYS after they were made (at
    the earliest a week from now, so no script stops the moment this is deployed)."""
    from django.utils import timezone

    ApiToken = apps.get_model("accounts", "ApiToken")
    floor = timezone.now() + timedelta(days=7)
    for token in ApiToken.objects.filter(expires_at__isnull=True):
        token.expires_at = max(token.created_at + timedelta(days=settings.API_TOKEN_DAYS), floor)
        token.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                default=accounts.models.api_token_expiry, verbose_name="到期时间"
            ),
        ),
    ]
