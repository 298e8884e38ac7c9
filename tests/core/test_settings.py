"""Production mode: required variables named when missing or malformed, and `check --deploy` clean."""

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "APP_ENV": "production",
    "DJANGO_SECRET_KEY": "k" * 10 + "x9Z!q" * 10 + "abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "hub.example.jp",
    "DATABASE_URL": "postgres://hub:pw@db:5432/hub",
    "REDIS_URL": "redis://redis:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "SITE_URL": "https://hub.example.jp",
    "EMAIL_URL": "smtp+tls://hub:mail-pw@smtp.example.jp:587",
    "DEFAULT_FROM_EMAIL": "CRM-会計連携ハブ <no-reply@hub.example.jp>",
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
                                  "DJANGO_ALLOWED_HOSTS", "SITE_URL", "EMAIL_URL", "DEFAULT_FROM_EMAIL"])
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


HEALTH_PROBE = """
from django.test import Client
response = Client().get("/healthz", HTTP_HOST="127.0.0.1:8000")  # docker's healthcheck: by IP, plain HTTP
print("healthz", response.status_code, response.get("Location", "-"))
"""


def test_the_health_check_answers_a_probe_by_ip_over_plain_http_in_production():
    database = {"DATABASE_URL": os.environ["DATABASE_URL"]}  # this run's server: SELECT 1 must succeed
    result = _manage("shell", "-c", HEALTH_PROBE, env={**PRODUCTION_ENV, **database})
    assert "healthz 200 -" in result.stdout.splitlines(), result.stdout + result.stderr


def _load_settings(monkeypatch, **changes: str) -> dict:
    """Execute config/settings.py afresh with PRODUCTION_ENV plus `changes` (the running settings stay put)."""
    for name, value in {**PRODUCTION_ENV, **changes}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "garbage"),
    ("DATABASE_URL", "mysql://hub:pw@db:3306/hub"),
    ("REDIS_URL", "notaurl"),
    ("REDIS_URL", "http://redis:6379/0"),
    ("SITE_URL", "hub.example.jp"),
    ("SITE_URL", "https://"),
    ("DJANGO_ALLOWED_HOSTS", ","),
    ("FIELD_ENCRYPTION_KEYS", "abc"),
    ("FIELD_ENCRYPTION_KEYS", "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMtISE=,abc"),  # one good key, one bad
    ("DB_CONN_MAX_AGE", "x"),
    ("CELERY_TASK_TIME_LIMIT", "abc"),
    ("FREEE_TIMEOUT_SECONDS", "fast"),
    ("SECURE_SSL_REDIRECT", "flase"),
    ("FREEE_API_URL", "api.freee.co.jp"),
    ("EMAIL_URL", "consolemail://"),  # production sends real mail
    ("EMAIL_URL", "https://smtp.example.jp"),
    ("SIGNUP_ENABLED", "maybe"),
])
def test_a_malformed_value_stops_start_up_naming_the_variable(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=f"^Environment variable {name} is malformed: "):
        _load_settings(monkeypatch, **{name: value})


def test_email_url_configures_smtp_and_its_message_never_echoes_the_password(monkeypatch):
    loaded = _load_settings(monkeypatch)
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"], loaded["EMAIL_USE_TLS"]) == ("smtp.example.jp", 587, True)
    assert loaded["EMAIL_HOST_USER"] == "hub" and loaded["DEFAULT_FROM_EMAIL"].endswith("<no-reply@hub.example.jp>")
    with pytest.raises(ImproperlyConfigured) as error:
        _load_settings(monkeypatch, EMAIL_URL="http://hub:s3cret-pw@smtp.example.jp")
    assert "s3cret-pw" not in str(error.value)


def test_the_malformed_database_url_message_does_not_echo_the_password(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as error:
        _load_settings(monkeypatch, DATABASE_URL="mysql://hub:s3cret-pw@db/hub")
    assert "s3cret-pw" not in str(error.value)


def test_well_formed_values_are_read(monkeypatch):
    key = Fernet.generate_key().decode()
    loaded = _load_settings(monkeypatch, DJANGO_ALLOWED_HOSTS=" hub.example.jp, ,api.example.jp",
                            FIELD_ENCRYPTION_KEYS=f"{key}, {PRODUCTION_ENV['FIELD_ENCRYPTION_KEYS']}",
                            DB_CONN_MAX_AGE="0", FREEE_TIMEOUT_SECONDS="2.5", SECURE_SSL_REDIRECT="off",
                            REDIS_URL="rediss://:pw@redis:6380/1")
    assert loaded["ALLOWED_HOSTS"] == ["hub.example.jp", "api.example.jp"]
    assert loaded["FIELD_ENCRYPTION_KEYS"] == [key, PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]]
    assert loaded["DATABASES"]["default"]["CONN_MAX_AGE"] == 0 and loaded["FREEE_TIMEOUT_SECONDS"] == 2.5
    assert loaded["SECURE_SSL_REDIRECT"] is False and loaded["REDIS_URL"] == "rediss://:pw@redis:6380/1"


def test_manage_py_names_a_malformed_number():
    result = _manage("check", env={**PRODUCTION_ENV, "CELERY_TASK_TIME_LIMIT": "abc"})
    assert result.returncode != 0
    assert "Environment variable CELERY_TASK_TIME_LIMIT is malformed" in result.stderr


# --------------------------------------------------------------------------- the README's table


def _variables_read_by_settings() -> set[str]:
    """Every NAME in `env.<cast>("NAME", ...)` or in a call of our readers (`setting("NAME", ...)` etc.)."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        reader = isinstance(func, ast.Name) or (
            isinstance(func, ast.Attribute) and (isinstance(func.value, ast.Call) or getattr(func.value, "id", "") == "env"))
        if reader and isinstance(node.args[0].value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value):
            names.add(node.args[0].value)
    return names


def _variables_in_readme_table() -> set[str]:
    section = (ROOT / "README.md").read_text().split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def test_every_variable_the_settings_read_is_in_the_readme_table():
    read = _variables_read_by_settings()
    assert {"DJANGO_SECRET_KEY", "CACHE_KEY_PREFIX", "STATIC_ROOT", "ENV_FILE", "LINEWORKS_API_URL"} <= read
    missing = sorted(read - _variables_in_readme_table())
    assert not missing, f"add these to the README's environment-variable table: {missing}"
