from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("請求書")

    def ready(self) -> None:
        from invoices import ledger

        ledger.register()  # 請求書 and 入金 become ledger documents (journals.sync)
