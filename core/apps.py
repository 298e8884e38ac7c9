from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core import metrics, receivers  # noqa: F401  (connects the receivers; models must be loaded first)
