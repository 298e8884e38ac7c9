"""API tokens: issue, list, look up and revoke a user's tokens (core.models.ApiToken)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.models import ApiToken

# last_used_at is written at most this often per token: a busy script must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKENS_PER_USER = 100


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_default_expiry(now: datetime | None = None) -> datetime | None:
    """now + API_TOKEN_TTL_DAYS, or None (never) when the setting is empty."""
    days = settings.API_TOKEN_TTL_DAYS
    return (now or timezone.now()) + timedelta(days=days) if days else None


def api_token_create(*, user, name: str = "", expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token; returns it and its key (shown to the user once: only its hash is kept).

    expires_at must lie in the future and, with API_TOKEN_TTL_DAYS set, not beyond the TTL (the default).
    """
    now = timezone.now()
    limit = api_token_default_expiry(now)
    if expires_at is not None and expires_at <= now:
        raise ApplicationError(_("有効期限には未来の日時を指定してください。"), code="invalid",
                               details={"expires_at": [str(_("有効期限には未来の日時を指定してください。"))]})
    if expires_at is not None and limit is not None and expires_at > limit:
        message = _("有効期限は発行から%(days)s日以内で指定してください。") % {"days": settings.API_TOKEN_TTL_DAYS}
        raise ApplicationError(message, code="invalid", details={"expires_at": [str(message)]})
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ApplicationError(_("APIトークンが多すぎます。使っていないトークンを取り消してから発行してください。"),
                               code="too_many_tokens")
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(user=user, name=name, key_hash=_hash(key), prefix=key[:8],
                                    expires_at=expires_at if expires_at is not None else limit)
    return token, key


def api_token_for_key(key: str) -> ApiToken | None:
    """The token with this key (any state), its user loaded; None if there is none (never issued or revoked)."""
    return ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()


def api_token_touch(token: ApiToken) -> None:
    """Record that the token was just used (at most once per LAST_USED_RESOLUTION)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def api_token_list_for_user(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first."""
    return ApiToken.objects.filter(user=user)


def api_token_revoke(*, user, token: ApiToken) -> None:
    """Revoke one of the user's own tokens: the next request with it is refused."""
    if token.user_id != user.pk:
        raise ApiToken.DoesNotExist
    token.delete()
