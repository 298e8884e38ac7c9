"""manage.py rotate_encryption_keys [--check]: re-encrypt every secret with the newest key (core/key_rotation.py)."""

from django.core.management.base import BaseCommand, CommandError

from core import key_rotation


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS. Put the new key first "
            "(keeping the old ones), restart, run this, confirm with --check, then remove the old keys.")

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="Only count the values the newest key cannot read yet; exit 1 if there are any.")

    def handle(self, *args, check: bool, **options):
        columns = key_rotation.encrypted_columns()
        try:
            reports = [(key_rotation.check_column if check else key_rotation.rotate_column)(model, field)
                       for model, field in columns]
        except key_rotation.UnreadableSecret as error:
            raise CommandError(f"No configured key can decrypt {error}. Put the key it was written with back into "
                               "FIELD_ENCRYPTION_KEYS (after the new one) and run again.") from error
        for report in reports:
            if check:
                self.stdout.write(f"{report.label}: {report.values} values, {report.stale} on older keys")
            else:
                self.stdout.write(f"{report.label}: {report.rotated} of {report.values} re-encrypted"
                                  + (f", {report.changed_meanwhile} rewritten meanwhile by the app (already on the "
                                     "newest key)" if report.changed_meanwhile else ""))
        if check:
            stale = sum(r.stale for r in reports)
            if stale:
                raise CommandError(f"{stale} values still need an older key: run rotate_encryption_keys.")
            self.stdout.write(self.style.SUCCESS("Every secret reads with the newest key; the older keys can go."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Rotated {sum(r.rotated for r in reports)} values "
                                                 f"in {len(reports)} columns."))
