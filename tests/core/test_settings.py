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


COOKIE_PROBE = """
from django.conf import settings
from django.test import Client, override_settings
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):  # no collectstatic manifest in the checkout
    response = Client().get("/login/", HTTP_HOST="hub.example.jp", secure=True)
print(response.status_code)
for name, morsel in response.cookies.items():
    print("cookie", name, morsel["secure"], morsel["httponly"], morsel["samesite"], morsel["path"], morsel["domain"])
print("session", settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
      settings.SESSION_COOKIE_SAMESITE)
print("csp", response["Content-Security-Policy"])
"""


def test_production_cookies_are_secure_host_only_and_the_page_carries_a_strict_csp():
    result = _manage("shell", "-c", COOKIE_PROBE, env=PRODUCTION_ENV)
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert "200" in result.stdout.splitlines(), result.stderr
    assert lines["cookie"] == "__Host-csrftoken True True Lax / "  # Secure, HttpOnly, SameSite, no Domain
    assert lines["session"] == "__Host-sessionid True True Lax"
    csp = dict(part.strip().split(" ", 1) for part in lines["csp"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self' https://accounts.secure.freee.co.jp"
