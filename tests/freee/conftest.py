"""A minimal real transport for the endpoint tests: plain `requests` against api.freee.co.jp, intercepted by
`responses`. The production client (client.FreeeClient) can take its place in these same tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from integrations.freee.base import Family
from integrations.freee.endpoints import FreeeEndpoints
from tests.freee.bodies import COMPANY_ID

FREEE_API = "https://api.freee.co.jp"
FAMILY_PREFIX = {Family.ACCOUNTING: "/api/1", Family.INVOICE: "/iv"}


class RequestsTransport(FreeeEndpoints):
    """Sends each call as-is: no auth, no retries, no error mapping (those belong to client.FreeeClient)."""

    def __init__(self, company_id: int):
        self.company_id = company_id
        self.session = requests.Session()

    def _request(self, method: str, family: Family, path: str, *, params: dict | None = None,
                 json: dict | None = None) -> Any:
        url = FREEE_API + FAMILY_PREFIX[family] + path
        response = self.session.request(method, url, params=params, json=json, timeout=10)
        response.raise_for_status()
        return None if response.status_code == 204 else response.json()


@pytest.fixture
def freee() -> RequestsTransport:
    return RequestsTransport(company_id=COMPANY_ID)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
