"""Production mode: required variables named when missing or malformed, and `check --deploy` clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "APP_ENV": "production",
    "DJANGO_SECRET_KEY": "k" * 10 + "x9Z!q" * 10 + "abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "hub.example.jp",
    "DATABASE_URL": "postgres://hub:pw@db:5432/hub",
    "REDIS_URL": "redis://redis:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "SITE_URL": "https://hub.example.jp",
    "ENV_FILE": "/nonexistent/.env",  # the developer's .env must not fill in what production lacks
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is test-only; check --deploy rightly warns about it.
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS",
                                  "DJANGO_ALLOWED_HOSTS", "SITE_URL"])
def test_a_missing_required_variable_stops_start_up_naming_it(name):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != name}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"Environment variable {name} is required in production mode" in result.stderr


def test_a_malformed_variable_is_named():
    result = _manage("check", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is malformed" in result.stderr
    result = _manage("check", env={**PRODUCTION_ENV, "APP_ENV": "staging"})
    assert result.returncode != 0 and "APP_ENV must be" in result.stderr


def test_the_sandbox_is_off_in_production():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.SANDBOX_ENABLED)",
                     env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
