"""Issue 3 item 7: without ../shared/reference/freee the contract tests are skipped, and the message names the folder."""

from __future__ import annotations

import pytest

from tests.sandbox import freee_schema


def test_missing_reference_skips_naming_the_folder(monkeypatch, tmp_path):
    absent = tmp_path / "shared" / "reference" / "freee"
    monkeypatch.setattr(freee_schema, "reference_folder", lambda: absent)

    with pytest.raises(pytest.skip.Exception) as skipped:
        freee_schema.require_reference()

    assert str(absent) in str(skipped.value)

