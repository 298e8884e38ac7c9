"""Every model change has its migration (merges of parallel branches are where one goes missing)."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # makemigrations --check exits 1 when a migration would be written
        pytest.fail(f"models and migrations differ (exit {exit_.code}):\n{out.getvalue()}")
