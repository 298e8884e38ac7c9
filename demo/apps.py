from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo tenant `make run` seeds (manage.py seed_demo). Sits above every app, so it may import all."""

    name = "demo"
    verbose_name = "デモ"
