# LineWorksLink moves to integrations (issue 13): state only, no table or row changes. The foreign keys of
# LineWorksUserLink, LinkRequest and CallbackEvent keep pointing at the same table (notifications_lineworkslink);
# only the model they name changes. The content type is renamed so permissions on it stay attached.

import django.db.models.deletion
from django.db import migrations, models


def _rename_content_type(apps, schema_editor, old: str, new: str) -> None:
    content_type = apps.get_model('contenttypes', 'ContentType')
    if not content_type.objects.filter(app_label=new, model='lineworkslink').exists():
        content_type.objects.filter(app_label=old, model='lineworkslink').update(app_label=new)


def forwards(apps, schema_editor):
    _rename_content_type(apps, schema_editor, 'notifications', 'integrations')


def backwards(apps, schema_editor):
    _rename_content_type(apps, schema_editor, 'integrations', 'notifications')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('integrations', '0002_lineworkslink'),
        ('notifications', '0002_delivery_unknown_outcome'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='lineworksuserlink',
                    name='link',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='user_links', to='integrations.lineworkslink', verbose_name='LINE WORKS連携'),
                ),
                migrations.AlterField(
                    model_name='linkrequest',
                    name='link',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='integrations.lineworkslink'),
                ),
                migrations.AlterField(
                    model_name='callbackevent',
                    name='link',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='integrations.lineworkslink'),
                ),
                migrations.DeleteModel(name='LineWorksLink'),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
