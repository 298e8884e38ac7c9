from dataclasses import dataclass

import pytest

from integrations.models import LineWorksLink
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from integrations.sandbox.models import SandboxLineWorksDomain


@dataclass
class LineWorksSandbox:
    domain: SandboxLineWorksDomain
    link: LineWorksLink

    def user(self, index: int = 0):
        return self.domain.users.order_by("id")[index]


@pytest.fixture
def lw_live(live_server, settings):
    """The LINE WORKS clients pointed at the sandbox of the live server; returns a maker of sandbox domains."""
    settings.SITE_URL = live_server.url
    settings.LINEWORKS_AUTH_URL = live_server.url + "/sandbox/lineworks/auth"
    settings.LINEWORKS_API_URL = live_server.url + "/sandbox/lineworks/v1.0"

    def make(tenant, name: str = "テストLINE WORKS", users: int = 3) -> SandboxLineWorksDomain:
        return sandbox_lineworks_domain_create(tenant=tenant, name=name, users=users)

    return make


@pytest.fixture
def lw_sandbox(lw_live, world_a):
    """world_a linked to a fresh sandbox LINE WORKS domain served by the live server."""
    domain = lw_live(world_a.tenant)
    link = LineWorksLink.objects.create(
        tenant=world_a.tenant, domain_id=str(domain.domain_id), client_id=domain.client_id,
        client_secret=domain.client_secret, service_account=domain.service_account, private_key=domain.private_key,
        bot_id=domain.bot_id, bot_secret=domain.bot_secret, rate_limit_per_minute=240)
    return LineWorksSandbox(domain, link)
