"""LineWorksClient: the one way the product talks to the LINE WORKS bot API.

Every call waits for the link's shared rate-limit budget (or raises RateLimited when it may not wait), sends
with a timeout and a fresh access token, logs the attempt in ApiCallLog (never a token or message body), and
maps the answer to a result or an error class of integrations.lineworks.errors. A 401 re-issues the token once
(401 means LINE WORKS did nothing). Sends are never re-sent after a timeout or 5xx: LINE WORKS has no
idempotency key, so the caller (the outbox) decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import requests
from django.conf import settings
from pydantic import ValidationError

from integrations import http
from integrations.lineworks import auth
from integrations.lineworks.errors import AuthExpired, LineWorksError, Permanent, RateLimited, Transient
from integrations.lineworks.ratelimit import LineWorksRateLimiter, reset_seconds
from integrations.lineworks.schemas import BotDomainList, Content, LineWorksUser, Richmenu, message_body

MAX_DOMAIN_PAGES = 20  # 2,000 domains: far more than any LINE WORKS tenant has
BUDGET_MESSAGE = "LINE WORKSのAPI利用上限に達しました。しばらく待ってから再送します。"
NO_ANSWER = http.NoAnswer(Transient, connection="LINE WORKSに接続できませんでした。",
                          timeout="LINE WORKSの応答がタイムアウトしました。")


class LineWorksClient:
    """A client bound to one LineWorksLink. `max_wait` is how long a call may wait for budget.

    `stored=False` is a link checked before it is saved (new or edited credentials): its token was just issued
    and is not re-issued on a 401, since a refresh goes through the stored row."""

    def __init__(self, link, *, max_wait: float = 0.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, session: requests.Session | None = None,
                 stored: bool = True):
        self.link = link
        self.stored = stored
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()
        # An unsaved link (checked before it is stored) counts against its domain's budget.
        budget_key = link.pk if stored and link.pk is not None else f"domain-{link.domain_id}"
        self.limiter = LineWorksRateLimiter(link_id=budget_key, per_minute=link.rate_limit_per_minute, clock=clock)

    # ------------------------------------------------------------------ endpoints

    def send_to_user(self, user_id: str, content: Content) -> None:
        """POST /bots/{botId}/users/{userId}/messages (201): a message from the bot to one user."""
        path = f"/bots/{quote(self.link.bot_id, safe='')}/users/{quote(user_id, safe='')}/messages"
        self._request("POST", path, json=message_body(content))

    def send_to_channel(self, channel_id: str, content: Content) -> None:
        """POST /bots/{botId}/channels/{channelId}/messages (201): a message to a talk room the bot is in."""
        path = f"/bots/{quote(self.link.bot_id, safe='')}/channels/{quote(channel_id, safe='')}/messages"
        self._request("POST", path, json=message_body(content))

    def user_get(self, user_id_or_login: str) -> LineWorksUser:
        """GET /users/{userId} (200): one member of the domain, by user id or login ID (email).

        Callbacks carry the user id, so a typed login ID is resolved with this before it is stored.
        Unknown users are a Permanent error with status 404."""
        path = f"/users/{quote(user_id_or_login.strip(), safe='')}"
        response = self._request("GET", path, family="users")
        try:
            return LineWorksUser.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise Transient("LINE WORKSの応答を読み取れませんでした。", status=response.status_code,
                            code="malformed") from exc

    def bot_domains(self) -> list[int]:
        """GET /bots/{botId}/domains (200): the ids of the domains the bot is registered in, every page.

        Only the LINE WORKS the credentials belong to can read its bot (another one answers 404), so this is
        how a typed domain id is checked against the credentials."""
        path = f"/bots/{quote(self.link.bot_id, safe='')}/domains"
        domains: list[int] = []
        cursor = ""
        for _page in range(MAX_DOMAIN_PAGES):
            query = "?count=100" + (f"&cursor={quote(cursor, safe='')}" if cursor else "")
            response = self._request("GET", path + query, family="bot")
            try:
                page = BotDomainList.model_validate(response.json())
            except (ValueError, ValidationError) as exc:
                raise Transient("LINE WORKSの応答を読み取れませんでした。", status=response.status_code,
                                code="malformed") from exc
            domains += [domain.domainId for domain in page.domains]
            cursor = page.responseMetaData.nextCursor or ""
            if not cursor:
                break
        return domains

    # ------------------------------------------------------------------ rich menus

    def richmenu_create(self, menu: Richmenu) -> Richmenu:
        """POST /bots/{botId}/richmenus (201): register a rich menu; the answer carries its richmenuId."""
        response = self._request("POST", self._bot_path("/richmenus"), json=menu.request_body())
        try:
            created = Richmenu.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise Transient("LINE WORKSの応答を読み取れませんでした。", status=response.status_code,
                            code="malformed") from exc
        if not created.richmenuId:
            raise Transient("LINE WORKSの応答にリッチメニューIDがありません。", status=response.status_code, code="malformed")
        return created

    def richmenu_exists(self, richmenu_id: str) -> bool:
        """GET /bots/{botId}/richmenus/{richmenuId} (200; 404 when it was deleted in LINE WORKS)."""
        try:
            self._request("GET", self._bot_path(f"/richmenus/{quote(richmenu_id, safe='')}"))
        except Permanent as error:
            if error.status == 404:
                return False
            raise
        return True

    def richmenu_delete(self, richmenu_id: str) -> None:
        """DELETE /bots/{botId}/richmenus/{richmenuId} (204)."""
        self._request("DELETE", self._bot_path(f"/richmenus/{quote(richmenu_id, safe='')}"))

    def richmenu_default_set(self, richmenu_id: str) -> None:
        """POST /bots/{botId}/richmenus/{richmenuId}/set-default (201): what users without their own menu see."""
        self._request("POST", self._bot_path(f"/richmenus/{quote(richmenu_id, safe='')}/set-default"))

    def richmenu_user_set(self, richmenu_id: str, user_id: str) -> None:
        """POST /bots/{botId}/richmenus/{richmenuId}/users/{userId} (204): this user's own rich menu."""
        path = f"/richmenus/{quote(richmenu_id, safe='')}/users/{quote(user_id, safe='')}"
        self._request("POST", self._bot_path(path))

    def richmenu_user_delete(self, user_id: str) -> None:
        """DELETE /bots/{botId}/richmenus/users/{userId} (204): the user sees the default rich menu again."""
        self._request("DELETE", self._bot_path(f"/richmenus/users/{quote(user_id, safe='')}"))

    def _bot_path(self, rest: str) -> str:
        return f"/bots/{quote(self.link.bot_id, safe='')}{rest}"

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, *, json: dict | None = None, family: str = "bot") -> requests.Response:
        self._wait_for_budget()
        try:
            return self._attempt(method, path, json, family)
        except AuthExpired:
            if not self.stored:
                raise
            auth.access_token_for(self.link, force_refresh=True)
            return self._attempt(method, path, json, family)

    def _attempt(self, method: str, path: str, json: dict | None, family: str) -> requests.Response:
        token = auth.access_token_for(self.link)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=UTF-8"}
        log = http.CallLog(tenant_id=self.link.tenant_id, vendor="lineworks", family=family, method=method,
                           path=path, secrets=(token,))
        return http.send(
            lambda timeout: self.session.request(method, settings.LINEWORKS_API_URL + path, json=json,
                                                 timeout=timeout, headers=headers),
            timeout=settings.LINEWORKS_TIMEOUT_SECONDS, no_answer=NO_ANSWER, log=log, result=self._result,
        )

    def _result(self, response: requests.Response) -> requests.Response:
        self.limiter.observe(response.headers)
        if 200 <= response.status_code < 300:
            return response
        error = classify(response)
        if isinstance(error, RateLimited):
            self.limiter.block_until(self.clock() + error.retry_after)
        raise error

    def _wait_for_budget(self) -> None:
        waited = 0.0
        while (wait := self.limiter.reserve()) > 0:
            if waited + wait > self.max_wait:
                raise RateLimited(BUDGET_MESSAGE, retry_after=wait, code="budget")
            self.sleep(wait)
            waited += wait


def classify(response: requests.Response) -> LineWorksError:
    """Map a non-2xx answer of the bot API to an error class, keeping LINE WORKS's code and description."""
    body = auth.error_body(response)
    status = response.status_code
    common = {"status": status, "code": body.code, "description": body.description}
    if status == 429:
        return RateLimited("LINE WORKSのAPI利用上限に達しました。", retry_after=reset_seconds(response.headers, default=60),
                           **common)
    if status == 401:
        return AuthExpired("LINE WORKSのアクセストークンが無効です。", **common)
    if status >= 500:
        return Transient("LINE WORKSでエラーが発生しました。", **common)
    if status == 404:
        return Permanent("LINE WORKSのユーザーまたはBotが見つかりません。", **common)
    if status == 403:
        return Permanent("LINE WORKSでこの操作が許可されていません（BotのスコープやBotの公開範囲を確認してください）。", **common)
    return Permanent("LINE WORKSがリクエストを受け付けませんでした。", **common)
