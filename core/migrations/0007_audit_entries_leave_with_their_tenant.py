"""Audit entries stay append-only, except that a tenant that leaves (退会) takes its own entries with it: a DELETE
passes only for rows of the tenant named in the transaction-local setting hub.purging_tenant
(core.audit.allow_purge_of_tenant, used by accounts.leaving)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0006_job_task_id_waiting_since")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND OLD.tenant_id::text = current_setting('hub.purging_tenant', true) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """,
            reverse_sql="""
            CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """,
        ),
    ]
