"""`manage.py rotate_encryption_keys`: every encrypted field re-encrypted with the newest key, the old key can
then go; a value the app rewrote meanwhile is never overwritten; an unreadable value stops with a clear error."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as db

from core import key_rotation
from integrations.models import FreeeConnection
from tests.notifications.factories import make_link

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _raw(table: str, column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - test constants
        return cursor.fetchone()[0]


def _run(*args) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def secrets_on_the_old_key(settings, world_a, world_b):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    freee = FreeeConnection.objects.create(tenant=world_a.tenant, client_id="cid", client_secret="freee-secret",
                                           access_token="access-old", refresh_token="refresh-old")
    link = make_link(world_b.tenant, bot_secret="lw-bot-secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]  # step 1: the new key first, the old one kept
    return freee, link


def test_every_encrypted_field_is_found():
    labels = {f"{model._meta.label}.{field.name}" for model, field in key_rotation.encrypted_columns()}
    assert {"integrations.FreeeConnection.client_secret", "integrations.FreeeConnection.refresh_token",
            "integrations.LineWorksLink.private_key", "integrations.LineWorksLink.bot_secret"} <= labels


def test_rotating_moves_every_secret_to_the_new_key_so_the_old_one_can_go(settings, secrets_on_the_old_key):
    freee, link = secrets_on_the_old_key
    before = _raw("integrations_freeeconnection", "refresh_token", freee.pk)
    with pytest.raises(CommandError, match="values still need an older key"):
        _run("--check")
    output = _run()
    assert "integrations.FreeeConnection.refresh_token: 1 of 1 re-encrypted" in output
    assert "integrations.LineWorksLink.private_key: 1 of 1 re-encrypted" in output
    assert _raw("integrations_freeeconnection", "refresh_token", freee.pk) != before
    assert "the older keys can go" in _run("--check")

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # step 3: the old key removed
    freee = FreeeConnection.objects.get(pk=freee.pk)
    assert (freee.client_secret, freee.access_token, freee.refresh_token) == ("freee-secret", "access-old",
                                                                              "refresh-old")
    link.refresh_from_db()
    assert link.bot_secret == "lw-bot-secret" and "PRIVATE KEY" in link.private_key


def test_a_token_refreshed_during_the_rotation_is_not_overwritten(secrets_on_the_old_key, monkeypatch):
    freee, _link = secrets_on_the_old_key
    rotate = key_rotation._rotate_value

    def a_worker_refreshes_first(value: str) -> str:
        # between our read and our write, a worker saves the next single-use refresh token
        FreeeConnection.objects.filter(pk=freee.pk).update(refresh_token="refresh-new")
        monkeypatch.setattr(key_rotation, "_rotate_value", rotate)
        return rotate(value)

    monkeypatch.setattr(key_rotation, "_rotate_value", a_worker_refreshes_first)
    model_field = next((m, f) for m, f in key_rotation.encrypted_columns()
                       if m is FreeeConnection and f.name == "refresh_token")
    report = key_rotation.rotate_column(*model_field)
    assert (report.rotated, report.changed_meanwhile) == (0, 1)
    assert FreeeConnection.objects.get(pk=freee.pk).refresh_token == "refresh-new"


def test_a_value_no_key_can_read_stops_with_what_to_do(settings, secrets_on_the_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # the old key removed too early
    with pytest.raises(CommandError, match="No configured key can decrypt integrations.FreeeConnection"):
        _run()
