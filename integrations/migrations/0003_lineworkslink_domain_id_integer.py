# The LINE WORKS domain id becomes LINE WORKS's own int64 (issue 14, item 17). It was free text, so
# "040000001" and "40000001" (or full-width digits) passed as two domains and one LINE WORKS could be linked to
# two tenants. Existing rows are normalised; where two rows turn out to be one domain, the link made first keeps
# it (the later one would have been refused had the id been normalised when it was saved) and every later one
# is left without a domain: it receives no callbacks and sends nothing, and its last_error tells its admins what
# happened and what to do. Rows whose value is no domain id at all are left the same way. Nothing is deleted.
# The conflicts are printed while migrating, one line each.

import unicodedata

from django.db import migrations, models

DOMAIN_ID_MAX = 2**63 - 1

DUPLICATE = ("移行時にこの連携を停止しました: ドメインID {domain} は事業所「{owner}」が先に連携しています"
             "（1つのLINE WORKSに連携できる事業所は1つだけです）。このLINE WORKSがこの事業所のものであれば、"
             "サポートにお問い合わせください。別のLINE WORKSであれば、正しいドメインIDを入力して保存してください。")
INVALID = ("移行時にこの連携を停止しました: 保存されていたドメインID「{value}」は数字ではありません。"
           "LINE WORKSの管理者画面に表示されるドメインIDを入力して保存してください。")


def _parse(value):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= DOMAIN_ID_MAX else None


def normalise(apps, schema_editor):
    link_model = apps.get_model("integrations", "LineWorksLink")
    tenant_model = apps.get_model("tenancy", "Tenant")
    owners: dict[int, object] = {}
    for link in link_model.objects.order_by("created_at", "id"):
        number = _parse(link.domain_id)
        if number is None:
            _stop(link, INVALID.format(value=link.domain_id))
            continue
        if number in owners:
            owner = owners[number]
            name = tenant_model.objects.filter(pk=owner.tenant_id).values_list("name", flat=True).first() or "-"
            _stop(link, DUPLICATE.format(domain=number, owner=name))
            print(f"\n  LINE WORKS domain {number}: link {link.pk} (tenant {link.tenant_id}) stopped; "
                  f"link {owner.pk} (tenant {owner.tenant_id}) linked it first")
            continue
        owners[number] = link
        link.domain_id = str(number)
        link.save(update_fields=["domain_id"])
    _checks_now(schema_editor)


def _checks_now(schema_editor) -> None:
    """Run the deferred foreign-key checks the updates queued: PostgreSQL will not ALTER a table with pending
    trigger events, and the column changes type right after this step."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _stop(link, message: str) -> None:
    link.domain_id = None
    link.last_error = message
    link.access_token, link.refresh_token, link.access_expires_at = "", "", None
    link.save(update_fields=["domain_id", "last_error", "access_token", "refresh_token", "access_expires_at"])


def back_to_text(apps, schema_editor):
    """Reverse: a stopped link gets a placeholder the old NOT NULL text column accepts (and stays unique)."""
    link_model = apps.get_model("integrations", "LineWorksLink")
    for link in link_model.objects.filter(domain_id__isnull=True):
        link.domain_id = f"stopped-{link.pk}"
        link.save(update_fields=["domain_id"])
    _checks_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0002_lineworkslink'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(model_name='lineworkslink', name='lineworks_link_one_tenant_per_domain'),
        migrations.AlterField(
            model_name='lineworkslink',
            name='domain_id',
            field=models.CharField(max_length=32, null=True, verbose_name='ドメインID'),
        ),
        migrations.RunPython(normalise, back_to_text),
        migrations.AlterField(
            model_name='lineworkslink',
            name='domain_id',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='ドメインID'),
        ),
        migrations.AddConstraint(
            model_name='lineworkslink',
            constraint=models.UniqueConstraint(fields=('domain_id',), name='lineworks_link_one_tenant_per_domain'),
        ),
        migrations.AddConstraint(
            model_name='lineworkslink',
            constraint=models.CheckConstraint(condition=models.Q(('domain_id__gt', 0)),
                                              name='lineworks_link_domain_id_positive'),
        ),
        migrations.AddField(
            model_name='lineworkslink',
            name='domain_verified_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='ドメイン確認日時'),
        ),
    ]
