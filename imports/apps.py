from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "案件インポート"
    default_auto_field = "django.db.models.BigAutoField"
