"""How a LINE WORKS call can fail; mapped like integrations.freee.errors so callers decide per class.

- RateLimited: 429 (wait `retry_after`, from rateLimit-reset / Retry-After) or our own budget is spent.
- Transient: 5xx, timeout, connection error, unreadable body.
- AuthExpired: 401 UNAUTHORIZED on an API call (the client re-issues the token once).
- AuthFailed: the token endpoint refused our credentials (client id/secret, service account, key).
- Permanent: any other 4xx; `code` and `description` are LINE WORKS's own.
"""

from __future__ import annotations

from integrations import http


class LineWorksError(http.VendorError):
    """Base of every LINE WORKS failure; `code` and `description` are LINE WORKS's own."""

    def __init__(self, message: str, *, description: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.description = description

    @property
    def detail(self) -> str:
        """What the log shows: our message plus LINE WORKS's code and description."""
        vendor = " ".join(part for part in (self.code, self.description) if part)
        return f"{self.message} ({vendor})" if vendor else self.message

    @property
    def log_text(self) -> str:
        return self.detail


class RateLimited(LineWorksError, http.RateLimited):
    """429, or our own per-minute budget is spent: wait `retry_after` seconds."""


class Transient(LineWorksError, http.Transient):
    """Temporary or unknown outcome: 5xx, timeout, connection failure, malformed body."""


class AuthExpired(LineWorksError, http.AuthExpired):
    """401 on an API call: the access token expired or was revoked."""


class AuthFailed(LineWorksError, http.ReauthorizationRequired):
    """The token endpoint refused the app's credentials: an admin must fix the link settings."""


class Permanent(LineWorksError, http.Permanent):
    """A 4xx LINE WORKS will answer the same way again (unknown user, bad parameter, ...)."""
