from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalSyncConfig(AppConfig):
    """会計連携: documents (invoices, receipts, payment requests, disbursements) synced to a ledger target."""

    name = "journals.sync"
    label = "journal_sync"
    verbose_name = _("会計連携")
