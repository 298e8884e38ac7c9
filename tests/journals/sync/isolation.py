"""Tenant isolation entries of the 会計連携 routes (merged into tests/cross by tests/journals/isolation.py)."""

from tests.factories import InvoiceFactory
from tests.journals.sync.factories import SyncRecordFactory

SECRET_PARTNER = "他テナントの秘密取引先（会計連携）"
SECRET_LABEL = "他テナントの秘密の帳票"


def _invoice(world):
    return InvoiceFactory(deal__tenant=world.tenant, partner_name=SECRET_PARTNER)


def _record(world):
    return SyncRecordFactory(tenant=world.tenant, status="error", document_label=SECRET_LABEL)


OBJECT_FACTORIES = {
    "invoices:ledger_history": (_invoice, SECRET_PARTNER),
    "invoices:ledger_sync": (_invoice, SECRET_PARTNER),
    "api:sync-record-detail": (_record, SECRET_LABEL),
    "api:sync-record-resync": (_record, SECRET_LABEL),
}
ADMIN_ONLY: set[str] = set()
