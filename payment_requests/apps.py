from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentRequestsConfig(AppConfig):
    name = "payment_requests"
    verbose_name = _("支払依頼")

    def ready(self) -> None:
        from payment_requests import ledger

        ledger.register()
