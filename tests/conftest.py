"""Fixtures every suite uses: two tenants, each with an admin, a member and an outsider."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tenancy.models import Membership, Tenant
from tests import netguard
from tests.factories import MembershipFactory, TenantFactory, UserFactory

# Installed when the suite's conftest loads, before any test or session fixture runs (tests/netguard.py).
netguard.install(netguard.service_urls_from(django_settings))

# Where the vendor clients point in a test that runs no live server: the discard port, which the guard refuses
# (so nothing on this machine, such as `make run` on 127.0.0.1:8000, can answer in a test's place).
UNROUTABLE = "http://127.0.0.1:9"


@dataclass
class TenantWorld:
    """One tenant and its people. `outsider` is logged in but belongs to no tenant."""

    tenant: Tenant
    admin: AbstractUser
    member: AbstractUser
    outsider: AbstractUser
    admin_membership: Membership
    member_membership: Membership

    def client(self, who: str = "member") -> Client:
        client = Client()
        client.force_login(getattr(self, who))
        return client


def _world(label: str) -> TenantWorld:
    tenant = TenantFactory(name=f"テナント{label}株式会社")
    admin = MembershipFactory(tenant=tenant, user=UserFactory(username=f"admin_{label}"),
                              role=Membership.Role.ADMIN)
    member = MembershipFactory(tenant=tenant, user=UserFactory(username=f"member_{label}"))
    outsider = UserFactory(username=f"outsider_{label}")
    return TenantWorld(tenant, admin.user, member.user, outsider, admin, member)


@pytest.fixture
def world_a(db) -> TenantWorld:
    return _world("A")


@pytest.fixture
def world_b(db) -> TenantWorld:
    return _world("B")


def worker_redis_url() -> str:
    """Each xdist worker gets its own Redis database (1..15) on the shared test server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 1 + int(worker.removeprefix("gw") or 0) % 15
    base = django_settings.REDIS_URL.rsplit("/", 1)[0]
    return f"{base}/{index}"


def _isolate_celery_broker() -> None:
    """Tasks enqueued by this xdist worker go to its own Redis database, never to another worker's."""
    from config.celery import app

    app.conf.broker_url = worker_redis_url()


_isolate_celery_broker()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The worlds create six users per test; PBKDF2 at production strength costs ~0.8 s each on this machine.
    (Production keeps Django's default hashers; nothing here tests hash strength.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """The cache and other Redis state live in this worker's own Redis database, emptied before each test."""
    from django.core.cache import cache

    url = worker_redis_url()
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.REDIS_URL = url  # shared state such as the freee rate limiter lives here too
    cache.clear()


@pytest.fixture(autouse=True)
def _no_connection_to_ports_the_session_did_not_start():
    """Fail the test if it tried to reach a port it did not start, even when the code caught the refusal."""
    netguard.take_violations()
    yield
    refused = netguard.take_violations()
    if refused:
        pytest.fail(f"the test tried to reach {', '.join(sorted(set(refused)))}, which the test session did not "
                    "start (tests/netguard.py): use live_server.url or `responses`", pytrace=False)


@pytest.fixture(autouse=True)
def _vendor_urls_inside_the_session(request, settings):
    """freee and LINE WORKS point at the live test server's sandbox when the test runs one, else at a port the
    guard refuses; the defaults (SITE_URL/sandbox/... = the development server) are never used by a test.
    A test's own fixture setting these URLs (to `responses` fakes, say) runs later and wins."""
    if "live_server" in request.fixturenames:
        base = request.getfixturevalue("live_server").url
        settings.SITE_URL = base
    else:
        base = UNROUTABLE
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = base + "/sandbox/freee"
    settings.FREEE_WEB_URL = base + "/sandbox/freee/web"
    settings.LINEWORKS_AUTH_URL = base + "/sandbox/lineworks/auth"
    settings.LINEWORKS_API_URL = base + "/sandbox/lineworks/v1.0"
