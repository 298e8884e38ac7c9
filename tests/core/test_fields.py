"""Secrets: encrypted at rest with rotatable Fernet keys, never shown back in forms."""

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.core.exceptions import ImproperlyConfigured

from core import crypto
from core.fields import EncryptedTextField, SecretField, SecretsFormMixin


@pytest.fixture
def key_a(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def test_the_database_value_is_ciphertext_and_reads_back_as_plaintext(key_a):
    field = EncryptedTextField()
    stored = field.get_prep_value("client-secret-123")
    assert "client-secret-123" not in stored
    assert field.from_db_value(stored, None, None) == "client-secret-123"


def test_empty_and_null_values_stay_as_they_are(key_a):
    field = EncryptedTextField()
    assert field.get_prep_value("") == "" and field.get_prep_value(None) is None


def test_rotation_re_encrypts_with_the_new_key_and_old_tokens_still_read(key_a, settings):
    old_token = crypto.encrypt("refresh-token")
    key_b = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]
    assert crypto.decrypt(old_token) == "refresh-token"
    rotated = crypto.rotate(old_token)
    settings.FIELD_ENCRYPTION_KEYS = [key_b]
    assert crypto.decrypt(rotated) == "refresh-token"


def test_a_removed_key_is_a_clear_configuration_error(key_a, settings):
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        crypto.decrypt(token)


def test_a_malformed_key_names_the_variable(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS is malformed"):
        crypto.encrypt("x")


class ConnectionForm(SecretsFormMixin, forms.Form):
    client_id = forms.CharField()
    client_secret = SecretField(label="Client Secret")


def test_secret_inputs_never_render_the_stored_value():
    html = str(ConnectionForm(initial={"client_id": "abc", "client_secret": "s3cr3t-value"})["client_secret"])
    assert "s3cr3t-value" not in html
    assert "設定済み" in html


def test_a_blank_secret_keeps_the_stored_one():
    form = ConnectionForm({"client_id": "abc", "client_secret": ""}, initial={"client_secret": "stored"})
    assert form.is_valid()
    assert "client_secret" not in form.cleaned_data


def test_a_secret_is_required_while_none_is_stored():
    form = ConnectionForm({"client_id": "abc", "client_secret": ""})
    assert not form.is_valid() and "client_secret" in form.errors


def test_a_new_secret_replaces_the_stored_one():
    form = ConnectionForm({"client_id": "abc", "client_secret": "new"}, initial={"client_secret": "stored"})
    assert form.is_valid() and form.cleaned_data["client_secret"] == "new"
