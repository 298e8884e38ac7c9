"""Fernet encryption for secrets at rest. Keys come from FIELD_ENCRYPTION_KEYS, newest first."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "Environment variable FIELD_ENCRYPTION_KEYS is malformed: each key must be a url-safe base64 "
            "32-byte Fernet key."
        ) from error


def fernet() -> MultiFernet:
    keys = tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k)
    if not keys:
        raise ImproperlyConfigured("Environment variable FIELD_ENCRYPTION_KEYS is required.")
    return _fernet(keys)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was a key removed before rotating?"
        ) from error


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode()).decode()
