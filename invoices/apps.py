from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("請求書")

    def ready(self) -> None:
        from deals import amounts
        from invoices import ledger, receivers, selectors  # noqa: F401  (receivers: the tenant_created one)

        ledger.register()  # 請求書 and 入金 become ledger documents (journals.sync)
        amounts.set_tax_fraction_source(selectors.tax_fraction_for)  # the deal page's tax estimate
