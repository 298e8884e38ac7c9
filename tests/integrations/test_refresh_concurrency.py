"""Against the sandbox over real HTTP and real PostgreSQL: two threads, then two processes, that both need
a refresh of the same connection spend exactly one (single-use) refresh grant and both succeed."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from integrations.freee.client import FreeeClient
from integrations.models import ApiCallLog, FreeeConnection
from integrations.sandbox.models import SandboxToken
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_faults_set,
    sandbox_tokens_issue,
)

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def expired_connection(live_server, settings, world_a):
    base = live_server.url + "/sandbox/freee"
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = base
    app = sandbox_app_create(tenant=world_a.tenant, name="並行テスト")
    company = sandbox_company_create(app=app, name="並行株式会社")
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    # The token endpoint answers slowly, so the two refreshes overlap unless the row lock serialises them.
    sandbox_faults_set(company, latency_ms=800)
    return FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id=app.client_id, client_secret=app.client_secret,
        company_id=company.company_id, access_token=access.token, refresh_token=refresh.token,
        access_expires_at=timezone.now() - timedelta(minutes=1), refresh_issued_at=timezone.now(),
        status=FreeeConnection.Status.CONNECTED,
    )


def _refresh_grants_spent() -> int:
    return SandboxToken.objects.filter(kind=SandboxToken.Kind.REFRESH, used_at__isnull=False).count()


def test_two_threads_spend_one_refresh_grant_and_both_succeed(expired_connection):
    barrier, results = threading.Barrier(2), []

    def work():
        try:
            connection = FreeeConnection.objects.get(pk=expired_connection.pk)
            barrier.wait()
            results.append(FreeeClient(connection).users_me().id)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            results.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and all(isinstance(r, int) for r in results), results
    assert _refresh_grants_spent() == 1
    assert ApiCallLog.objects.filter(path__contains="refresh_token").count() == 1
    assert FreeeConnection.objects.get(pk=expired_connection.pk).status == FreeeConnection.Status.CONNECTED


SCRIPT = """
import django
django.setup()
from integrations.freee.client import FreeeClient
from integrations.models import FreeeConnection
print(FreeeClient(FreeeConnection.objects.get(pk={pk})).users_me().id)
"""


def test_two_processes_spend_one_refresh_grant_and_both_succeed(expired_connection):
    db = db_connection.settings_dict
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL, "FREEE_API_URL": settings.FREEE_API_URL,
        "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
    }
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT.format(pk=expired_connection.pk)], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-2000:]
        assert stdout.strip().splitlines()[-1].isdigit()
    assert _refresh_grants_spent() == 1
