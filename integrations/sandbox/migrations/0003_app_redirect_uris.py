"""Sandbox apps get registered redirect URIs (freee's コールバックURL); existing apps get the defaults: the hub's
own callback URL and urn:ietf:wg:oauth:2.0:oob."""

from django.db import migrations, models


def fill_defaults(apps, schema_editor):
    from integrations.sandbox.services import default_redirect_uris

    apps.get_model("sandbox", "SandboxApp").objects.filter(redirect_uris="").update(
        redirect_uris="\n".join(default_redirect_uris()))


class Migration(migrations.Migration):

    dependencies = [
        ("sandbox", "0002_lineworks"),
    ]

    operations = [
        migrations.AddField(
            model_name="sandboxapp",
            name="redirect_uris",
            field=models.TextField(blank=True, help_text="1行に1つ。認可のredirect_uriはこのいずれかと完全に一致する必要があります。",
                                   verbose_name="コールバックURL"),
        ),
        migrations.RunPython(fill_defaults, migrations.RunPython.noop),
    ]
