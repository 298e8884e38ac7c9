"""Re-encrypt every EncryptedTextField value with the newest FIELD_ENCRYPTION_KEYS key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it) and restart, run
`manage.py rotate_encryption_keys`, check that `--check` reports nothing left, then drop the old key.

Rows are read in primary-key batches and each is written back only if it still holds the ciphertext we read
(compare-and-set), so a token a worker refreshed meanwhile is never overwritten with its older value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Model

from core import crypto
from core.fields import EncryptedTextField

BATCH = 500


@dataclass
class ColumnReport:
    label: str  # app_label.Model.field
    values: int = 0  # non-empty values seen
    rotated: int = 0  # re-encrypted with the newest key
    changed_meanwhile: int = 0  # rewritten by the app between our read and our write (already on the newest key)
    stale: int = 0  # --check: values the newest key alone cannot read


class UnreadableSecret(Exception):
    """A stored value no configured key can decrypt (a key was removed before rotating)."""


def encrypted_columns() -> list[tuple[type[Model], Field]]:
    return [(model, field) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)]


def _label(model: type[Model], field: Field) -> str:
    return f"{model._meta.label}.{field.name}"


def _batches(model: type[Model], field: Field) -> Iterator[list[tuple]]:
    quote = connection.ops.quote_name
    table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
    last = None
    while True:
        where = f"{column} IS NOT NULL AND {column} <> ''" + (f" AND {pk} > %s" if last is not None else "")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s",  # noqa: S608 - quoted names
                           [*([last] if last is not None else []), BATCH])
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def _rotate_value(value: str) -> str:
    return crypto.rotate(value)


def rotate_column(model: type[Model], field: Field) -> ColumnReport:
    report = ColumnReport(_label(model, field))
    quote = connection.ops.quote_name
    table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
    for rows in _batches(model, field):
        report.values += len(rows)
        with transaction.atomic(), connection.cursor() as cursor:
            for key, old in rows:
                try:
                    new = _rotate_value(old)
                except InvalidToken as error:
                    raise UnreadableSecret(f"{report.label} (pk {key})") from error
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                               [new, key, old])
                report.rotated += cursor.rowcount
                report.changed_meanwhile += 1 - cursor.rowcount
    return report


def check_column(model: type[Model], field: Field) -> ColumnReport:
    """How many values still need the older keys (the newest key alone cannot read them)."""
    report = ColumnReport(_label(model, field))
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
    everyone = crypto.fernet()
    for rows in _batches(model, field):
        for key, value in rows:
            report.values += 1
            try:
                newest.decrypt(value.encode())
            except InvalidToken:
                try:
                    everyone.decrypt(value.encode())
                except InvalidToken as error:
                    raise UnreadableSecret(f"{report.label} (pk {key})") from error
                report.stale += 1
    return report
