"""`Idempotency-Key` for every POST of the API: the same key with the same body within 24 hours replays the first
answer without doing the work again; the same key with another body is a 422; two concurrent requests with one key
do the work once (the second waits for the first answer and replays it).

A middleware, so that every POST of /api/ is covered without each view opting in. The key is scoped to the user
(a session's, or the owner of the `Authorization: Token` sent); the claim is an INSERT … ON CONFLICT DO NOTHING
of a row unique per (user, key), committed before the view runs, so PostgreSQL decides which request works.
Answers that did no work are not kept (401/403, 429, 5xx, streaming), so a retry with the same key runs again.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api.errors import error_body
from core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
TTL = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=10)  # a claim this old whose request never answered (its process died)
WAIT_SECONDS = 15.0  # how long a concurrent request waits for the first one's answer
POLL_SECONDS = 0.05
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
NOT_KEPT = {401, 403, 409, 429}
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyMiddleware:
    """Apply Idempotency-Key to POSTs under /api/ (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not KEY_PATTERN.match(key):
            return _error("invalid_idempotency_key", 400, _("Idempotency-Keyは255文字以内の英数字・記号で指定してください。"))
        user_id = _user_id(request)
        if user_id is None:
            return self.get_response(request)  # not authenticated: the view answers 401, nothing to keep
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return self.get_response(request)  # the view refuses the body with its own 400
        return self._once(request, user_id, key, fingerprint)

    def _once(self, request, user_id: int, key: str, fingerprint: str):
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if _claim(user_id, key, fingerprint):
                return self._work(request, user_id, key)
            row = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
            if row is None:
                continue  # the first request gave up its claim (5xx): this one works
            if row.fingerprint != fingerprint:
                return _error("idempotency_key_reused", 422,
                              _("このIdempotency-Keyは別の内容のリクエストに使われています。新しいキーを指定してください。"))
            if row.response_status:
                return _replay(row)
            if time.monotonic() > deadline:
                return _error("idempotency_key_in_progress", 409,
                              _("同じIdempotency-Keyのリクエストを処理中です。しばらく待ってから再度お試しください。"))
            time.sleep(POLL_SECONDS)

    def _work(self, request, user_id: int, key: str):
        mine = IdempotencyKey.objects.filter(user_id=user_id, key=key, response_status=0)
        try:
            response = self.get_response(request)
        except BaseException:
            mine.delete()
            raise
        if response.streaming or response.status_code >= 500 or response.status_code in NOT_KEPT:
            mine.delete()
            return response
        mine.update(response_status=response.status_code, response_content_type=response.get("Content-Type", ""),
                    response_body=response.content)
        return response


def _user_id(request) -> int | None:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization.startswith("Token "):
        from core.tokens import api_token_for_key

        token = api_token_for_key(authorization.removeprefix("Token ").strip())
        return token.user_id if token is not None and not token.is_expired else None
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), request.META.get("HTTP_X_TENANT", ""),
                 request.META.get("CONTENT_TYPE", "")):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    try:
        digest.update(request.body)
    except RawPostDataException:  # a multipart form already parsed by an earlier middleware (core.middleware)
        for name, values in sorted(request.POST.lists()):
            digest.update(repr((name, values)).encode("utf-8", "surrogatepass"))
        for name, upload in sorted(request.FILES.items()):
            digest.update(repr((name, upload.name, upload.size)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _claim(user_id: int, key: str, fingerprint: str) -> bool:
    """Insert the claim in its own statement (autocommit): True when this request owns the key now. Expired keys
    and claims whose request died are removed first, in the same statement's spirit: only if still so."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user_id=user_id, key=key, created_at__lt=now - TTL).delete()
    IdempotencyKey.objects.filter(user_id=user_id, key=key, response_status=0,
                                  created_at__lt=now - ABANDONED_AFTER).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {IdempotencyKey._meta.db_table} "  # noqa: S608 - the table name comes from the model
            "(user_id, key, fingerprint, response_status, response_content_type, response_body, created_at) "
            "VALUES (%s, %s, %s, 0, '', ''::bytea, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user_id, key, fingerprint, now])
        return cursor.fetchone() is not None


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.response_body), status=row.response_status,
                            content_type=row.response_content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


def _error(code: str, status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False})


def idempotency_keys_purge() -> int:
    """Delete the keys older than 24 hours (periodic; a replay never reads them anyway)."""
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - TTL).delete()
    return deleted
