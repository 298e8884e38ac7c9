"""How a LINE WORKS call can fail; mapped like integrations.freee.errors so callers decide per class.

- RateLimited: 429 (wait `retry_after`, from rateLimit-reset / Retry-After) or our own budget is spent.
- Transient: 5xx, timeout, connection error, unreadable body.
- AuthExpired: 401 UNAUTHORIZED on an API call (the client re-issues the token once).
- AuthFailed: the token endpoint refused our credentials (client id/secret, service account, key).
- Permanent: any other 4xx; `code` and `description` are LINE WORKS's own.
"""

from __future__ import annotations


class LineWorksError(Exception):
    """Base of every LINE WORKS failure."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "", description: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.description = description

    @property
    def detail(self) -> str:
        """What the log shows: our message plus LINE WORKS's code and description."""
        vendor = " ".join(part for part in (self.code, self.description) if part)
        return f"{self.message} ({vendor})" if vendor else self.message


class RateLimited(LineWorksError):
    def __init__(self, message: str, *, retry_after: float, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Transient(LineWorksError):
    """Temporary or unknown outcome: 5xx, timeout, connection failure, malformed body."""


class AuthExpired(LineWorksError):
    """401 on an API call: the access token expired or was revoked."""


class AuthFailed(LineWorksError):
    """The token endpoint refused the app's credentials: an admin must fix the link settings."""


class Permanent(LineWorksError):
    """A 4xx LINE WORKS will answer the same way again (unknown user, bad parameter, ...)."""
