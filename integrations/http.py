"""The one outbound HTTP layer: every vendor call (freee, LINE WORKS) goes through `send`.

`send` applies the timeout, maps a call that got no answer (timeout, connection failure) to the vendor's
Transient error, and writes one ApiCallLog row per attempt (vendor, API family, method, path, status,
duration, request id, error; never a token or secret: the values given as `secrets` are masked). What an
answer *means* stays with the vendor: the `result` callable turns a response into a value or raises one of
the vendor's errors, which all subclass the vendor-neutral hierarchy below.

- RateLimited: wait `retry_after` seconds before asking again (the vendor refused the call unprocessed).
- Transient: temporary or unknown outcome: 5xx, timeout, connection failure, unreadable body.
- AuthExpired: the access token was refused; the client refreshes it once and sends again.
- ReauthorizationRequired: the vendor refused the app's credentials or grant; an admin must reconnect.
- Permanent: the vendor will answer the same way again; `messages` keep the vendor's own texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from integrations.models import ApiCallLog

T = TypeVar("T")
R = TypeVar("R")
MASK = "***"
# Shorter values are not masked: they would mask ordinary words; real tokens and secrets are far longer.
MIN_SECRET_LENGTH = 16


class VendorError(Exception):
    """Base of every vendor failure. `messages` are the vendor's own texts, safe to show users."""

    def __init__(self, message: str, *, status: int | None = None, messages: list[str] | None = None,
                 request_id: str = "", code: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.messages = messages or []
        self.request_id = request_id
        self.code = code

    @property
    def log_text(self) -> str:
        """What the API call log shows for this error."""
        return " / ".join([self.message, *self.messages])


class RateLimited(VendorError):
    """The vendor (or our shared budget) refused the call unprocessed: ask again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Transient(VendorError):
    """The outcome is unknown or temporary: 5xx, timeout, connection failure, unreadable body."""


class AuthExpired(VendorError):
    """The access token was refused: the client refreshes it once and sends again."""


class ReauthorizationRequired(VendorError):
    """The vendor refused the app's credentials or grant: an admin must fix or reconnect the link."""


class Permanent(VendorError):
    """The vendor will answer the same way again; `messages` say why."""


@dataclass(frozen=True)
class NoAnswer:
    """How one vendor words a call that got no answer: its Transient class and the two messages.

    With `timeout=None` a timeout is worded (and coded "connection") like any connection failure."""

    transient: type[Transient]
    connection: str
    timeout: str | None = None

    def error(self, exc: requests.RequestException) -> Transient:
        if self.timeout is not None and isinstance(exc, requests.Timeout):
            return self.transient(self.timeout, code="timeout")
        return self.transient(self.connection, code="connection")


@dataclass(frozen=True)
class Outcome:
    """One attempt as the call log sees it. `answer` is what the request returned (a requests.Response, or a
    library's parsed value such as an OAuth token), None if it raised; `cause` is the exception `error` was
    mapped from."""

    answer: Any
    error: VendorError | None
    cause: BaseException | None


def response_status(outcome: Outcome) -> int | None:
    """The HTTP status of the answer, None when there was no HTTP answer."""
    return outcome.answer.status_code if isinstance(outcome.answer, requests.Response) else None


def error_text(outcome: Outcome) -> str:
    return outcome.error.log_text if outcome.error is not None else ""


@dataclass(frozen=True)
class CallLog:
    """Writes the ApiCallLog row of one attempt. `status` and `text` derive the row's status and error from
    the outcome (the vendor may word them its own way); `request_id_header` names the vendor's request-id
    header; values in `secrets` never reach the row."""

    tenant_id: int
    vendor: str
    family: str
    method: str
    path: str
    request_id_header: str = ""
    status: Callable[[Outcome], int | None] = response_status
    text: Callable[[Outcome], str] = error_text
    secrets: tuple[str, ...] = ()

    def write(self, outcome: Outcome, duration_ms: int) -> None:
        answer = outcome.answer
        request_id = (answer.headers.get(self.request_id_header, "")
                      if self.request_id_header and isinstance(answer, requests.Response) else "")
        ApiCallLog.objects.create(
            tenant_id=self.tenant_id, vendor=self.vendor, family=self.family, method=self.method,
            path=redact(self.path, self.secrets)[:500], status_code=self.status(outcome), duration_ms=duration_ms,
            request_id=request_id, error_message=redact(self.text(outcome), self.secrets),
        )


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (of at least MIN_SECRET_LENGTH characters) replaced by a mask."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


def send(request: Callable[[float], R], *, timeout: float, no_answer: NoAnswer, log: CallLog,
         result: Callable[[R], T] = lambda answer: answer) -> T:
    """Make one attempt: `request(timeout)` sends, `result(answer)` reads the answer (or raises the vendor's
    error), and the attempt is logged whatever happens. A timeout or connection failure is the vendor's
    Transient error; vendor errors pass through unchanged."""
    started = time.monotonic()
    answer, error, cause = None, None, None
    try:
        answer = request(timeout)
        return result(answer)
    except requests.RequestException as exc:
        error, cause = no_answer.error(exc), exc
        raise error from exc
    except VendorError as exc:
        error, cause = exc, exc.__cause__
        raise
    finally:
        log.write(Outcome(answer=answer, error=error, cause=cause), int((time.monotonic() - started) * 1000))
