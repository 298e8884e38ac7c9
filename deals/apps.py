from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = _("案件")

    def ready(self) -> None:
        from deals import receivers  # noqa: F401  (connects the tenant_created receiver)
