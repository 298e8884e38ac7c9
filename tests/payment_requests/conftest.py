from tests.invoices.conftest import sandbox  # noqa: F401 - the connected sandbox company fixture
