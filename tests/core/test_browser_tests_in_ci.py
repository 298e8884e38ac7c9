"""Without Chromium the browser tests are skipped on a developer's machine, but fail in CI (CI=true)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ONE_BROWSER_TEST = "tests/browser/test_login.py::test_logout_returns_to_login"


def _run_without_chromium(**env: str) -> subprocess.CompletedProcess:
    # No chromium on PATH; unreachable servers, so the inner run can touch nothing of this one.
    base = {k: v for k, v in os.environ.items() if k not in {"CI", "CHROMIUM_PATH"}}
    env = {**base, "PATH": str(Path(sys.executable).parent), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
           "REDIS_URL": "redis://127.0.0.1:1/0", **env}
    return subprocess.run([sys.executable, "-m", "pytest", ONE_BROWSER_TEST, "-p", "no:cacheprovider", "-q", "-rs"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 error"), ("", "1 skipped")])
def test_a_missing_chromium_skips_except_in_ci(ci, outcome):
    result = _run_without_chromium(CI=ci)

    assert outcome in result.stdout, result.stdout + result.stderr
    assert "Chromium is not installed" in result.stdout
    assert (result.returncode != 0) == (ci == "true")
