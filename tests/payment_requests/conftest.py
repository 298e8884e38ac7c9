import pytest

from integrations.models import FreeeConnection
from integrations.sandbox.services import sandbox_company_update
from tests.invoices.conftest import sandbox as invoices_sandbox  # noqa: F401 - the connected sandbox company fixture


@pytest.fixture
def sandbox(invoices_sandbox):  # noqa: F811
    """The connected sandbox company on a plan with 支払依頼 (法人エンタープライズ), in freee and in the connection."""
    company, connection = invoices_sandbox
    sandbox_company_update(company=company, plan="enterprise")
    connection.daily_cap = FreeeConnection.DailyCap.ENTERPRISE
    connection.save(update_fields=["daily_cap"])
    return company, connection
