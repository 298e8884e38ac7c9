from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The account lifecycle on django-allauth: login, sign-up, invitations, two-factor policy and leaving.

    It sits at the top of the import graph (like demo): leaving reaches every app's data, freee and LINE WORKS.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "アカウント"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (audit entries of allauth's e-mail and 2FA changes)
