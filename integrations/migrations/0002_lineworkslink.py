# LineWorksLink moves from notifications to integrations (issue 13): state only. The table keeps its name
# (notifications_lineworkslink) and its rows; notifications/0003 drops the model from its own state.

import uuid

import django.db.models.deletion
from django.db import migrations, models

import core.fields


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0001_initial'),
        ('notifications', '0002_delivery_unknown_outcome'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LineWorksLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='作成日時')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新日時')),
                        ('domain_id', models.CharField(max_length=32, verbose_name='ドメインID')),
                        ('name', models.CharField(blank=True, max_length=100, verbose_name='表示名')),
                        ('client_id', models.CharField(max_length=255, verbose_name='Client ID')),
                        ('client_secret', core.fields.EncryptedTextField(verbose_name='Client Secret')),
                        ('service_account', models.CharField(max_length=255, verbose_name='Service Account')),
                        ('private_key', core.fields.EncryptedTextField(verbose_name='Private Key')),
                        ('bot_id', models.CharField(max_length=64, verbose_name='Bot ID')),
                        ('bot_secret', core.fields.EncryptedTextField(verbose_name='Bot Secret')),
                        ('rate_limit_per_minute', models.PositiveIntegerField(choices=[(60, '60回/分（フリープラン）'), (240, '240回/分（スタンダード・アドバンスト）')], default=60, verbose_name='API利用上限')),
                        ('access_token', core.fields.EncryptedTextField(blank=True)),
                        ('refresh_token', core.fields.EncryptedTextField(blank=True)),
                        ('access_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('last_checked_at', models.DateTimeField(blank=True, null=True, verbose_name='最終接続確認日時')),
                        ('last_error', models.TextField(blank=True, verbose_name='最後のエラー')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenancy.tenant', verbose_name='事業所')),
                    ],
                    options={
                        'verbose_name': 'LINE WORKS連携',
                        'verbose_name_plural': 'LINE WORKS連携',
                        'db_table': 'notifications_lineworkslink',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['bot_id'], name='lineworks_link_bot')],
                        'constraints': [models.UniqueConstraint(fields=('domain_id',), name='lineworks_link_one_tenant_per_domain')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
