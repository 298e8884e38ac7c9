"""The endpoint tests run through the production client (client.FreeeClient): a connected tenant, a fresh
token, the real rate limiter on the test Redis and the call log, with freee answered by `responses`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.freee.client import FreeeClient
from integrations.models import FreeeConnection
from tests.freee.bodies import COMPANY_ID

FREEE_API = "https://api.freee.co.jp"


@pytest.fixture
def freee(world_a, settings) -> FreeeClient:
    settings.FREEE_API_URL = FREEE_API
    connection = FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id="cid", client_secret="secret", company_id=COMPANY_ID,
        access_token="access", refresh_token="refresh", access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED,
    )
    return FreeeClient(connection)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
