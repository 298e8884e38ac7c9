from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalsConfig(AppConfig):
    name = "journals"
    verbose_name = _("仕訳・連携")

    def ready(self) -> None:
        from journals import receivers  # noqa: F401  (connects the tenant_created receiver)
