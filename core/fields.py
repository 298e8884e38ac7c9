"""EncryptedTextField: secrets (client secrets, tokens, private keys) stored encrypted, never echoed."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import crypto


class EncryptedTextField(models.TextField):
    """Holds plaintext in Python and Fernet ciphertext in the database. Not searchable, not orderable."""

    description = "Text encrypted at rest with Fernet"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SecretField, **kwargs})


class SecretInput(forms.PasswordInput):
    """Never renders the stored value; shows "設定済み" as the placeholder when one is stored."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if value:
            context["widget"]["attrs"]["placeholder"] = str(_("設定済み（変更する場合のみ入力）"))
        return context


class SecretField(forms.CharField):
    """A form field for secrets; with SecretsFormMixin a blank input keeps the stored value."""

    widget = SecretInput

    def __init__(self, *args, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(*args, strip=True, **kwargs)

    def has_changed(self, initial, data):
        return bool(data) and data != initial


class SecretsFormMixin:
    """Blank secret inputs keep the stored value; a secret is required only while none is stored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self._secret_names():
            if self.initial.get(name):
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in self._secret_names():
            if not cleaned.get(name) and self.initial.get(name):
                cleaned.pop(name, None)  # ModelForm then leaves the stored value as it is
        return cleaned

    def _secret_names(self) -> list[str]:
        return [name for name, field in self.fields.items() if isinstance(field, SecretField)]
