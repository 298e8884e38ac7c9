"""Set-based writes for hot paths (ledger sync, bulk status refresh): one INSERT/UPDATE ... FROM unnest(column
arrays) per batch.

Django's bulk_create/bulk_update build one parameter (and, for bulk_update, one CASE branch) per row and
column, which costs more than the database work itself at 1,000 rows; these helpers send one array per column.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import connection


def _column(model, name: str) -> tuple[str, str]:
    field = model._meta.get_field(name)
    return field.column, field.db_type(connection)


def _value(value):
    return str(value) if isinstance(value, uuid.UUID) else value


def insert_rows(model, fields: Sequence[str], rows: Sequence[Sequence], *, conflict: str = "",
                returning: str | None = None) -> list:
    """INSERT the rows (tuples in `fields` order); `conflict` is an ON CONFLICT clause; returns the `returning` rows."""
    if not rows:
        return []
    columns = [_column(model, name) for name in fields]
    arrays = [[_value(row[i]) for row in rows] for i in range(len(fields))]
    names = ", ".join(column for column, _type in columns)
    unnest = ", ".join(f"%s::{db_type}[]" for _column_name, db_type in columns)
    sql = f"INSERT INTO {model._meta.db_table} ({names}) SELECT * FROM unnest({unnest}) {conflict}"  # noqa: S608
    if returning:
        sql += f" RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.fetchall() if returning else []


def update_rows(model, fields: Sequence[str], rows: Sequence[Sequence]) -> int:
    """UPDATE the rows (tuples of (pk, *values in `fields` order)) in one statement; returns the rows updated."""
    if not rows:
        return 0
    pk = model._meta.pk.name
    columns = [_column(model, name) for name in [pk, *fields]]
    arrays = [[_value(row[i]) for row in rows] for i in range(len(columns))]
    names = [column for column, _type in columns]
    unnest = ", ".join(f"%s::{db_type}[]" for _column_name, db_type in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (f"UPDATE {model._meta.db_table} AS t SET {assignments} "  # noqa: S608 - names come from the model
           f"FROM unnest({unnest}) AS v({', '.join(names)}) WHERE t.{names[0]} = v.{names[0]}")
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount
