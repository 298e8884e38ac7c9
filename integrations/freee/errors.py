"""How a freee call can fail. The HTTP layer maps every answer to one of these; callers decide per class.

- RateLimited: wait `retry_after` seconds (429, X-RateLimit reset, or freee's ~10-minute 403 lock-out).
- Transient: 5xx, timeout, connection error, malformed body. GETs are retried; POST/PUT are reconciled.
- AuthExpired: 401 expired access token (the client refreshes once, then raises this).
- ReauthorizationRequired: invalid_grant / re_authorization_required: an admin must connect again.
- Permanent: 4xx with freee's `errors[].messages` kept, for the user to read.
"""

from __future__ import annotations

from integrations import http


class FreeeError(http.VendorError):
    """Base of every freee failure. `messages` are freee's own texts (Japanese), safe to show users."""

    @property
    def log_text(self) -> str:
        return super().log_text[:2000]


class RateLimited(FreeeError, http.RateLimited):
    """freee refused the call unprocessed (429, a spent budget, or the ~10-minute 403 lock-out)."""


class Transient(FreeeError, http.Transient):
    """The outcome is unknown or temporary: 5xx, timeout, connection failure, unreadable body."""


class MalformedResponse(Transient):
    """freee answered, but the body was not the JSON shape its schema promises. A GET is asked again when the
    body was not JSON at all; never when it was JSON breaking the schema (code "schema_mismatch")."""


class AuthExpired(FreeeError, http.AuthExpired):
    """401 with an expired access token: the client refreshes once and sends again."""


class ReauthorizationRequired(FreeeError, http.ReauthorizationRequired):
    """invalid_grant or re_authorization_required: an admin must connect freee again."""


class Permanent(FreeeError, http.Permanent):
    """A 4xx freee will answer the same way again; `messages` say why (shown to the user)."""
