import pytest

from journals.sync.models import SyncSettings
from tests.journals.factories import ledger_for


@pytest.fixture
def ledger(world_a):
    return ledger_for(world_a.tenant)


@pytest.fixture
def auto_sync(world_a, ledger):
    """world_a with 自動連携 on, booking to the built-in ledger."""
    return SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)
