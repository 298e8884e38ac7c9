from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import FreeeConnection

TOKEN_URL = "http://127.0.0.1:8000/sandbox/freee/public_api/token"


@pytest.fixture
def freee_settings(settings):
    """Point the client at fixed URLs that `responses` intercepts (no sandbox server needed)."""
    settings.FREEE_ACCOUNTS_URL = "http://127.0.0.1:8000/sandbox/freee"
    settings.FREEE_API_URL = "https://api.freee.co.jp"
    return settings


@pytest.fixture
def connection(world_a, freee_settings):
    return FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id="cid", client_secret="csecret", company_id=10000001,
        company_name="テスト事業所", access_token="access-1", refresh_token="refresh-1",
        access_expires_at=timezone.now() + timedelta(hours=5), refresh_issued_at=timezone.now(),
        status=FreeeConnection.Status.CONNECTED,
    )


class FakeTime:
    """Sleeps advance a clock instead of blocking, so waits are measured, not suffered."""

    def __init__(self):
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def token_body(n: int) -> dict:
    return {"access_token": f"access-{n}", "token_type": "bearer", "expires_in": 21600,
            "refresh_token": f"refresh-{n}", "scope": "read write", "company_id": 10000001, "created_at": 0}
