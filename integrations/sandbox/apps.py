from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "integrations.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox (freee / LINE WORKS fakes)"
