"""The one application error class; services raise it, pages and the API render it."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business-rule failure with a message the user can act on (Japanese, from the seeds)."""

    code = "application_error"
    http_status = 400

    def __init__(self, message, *, code: str | None = None, details: dict | None = None, http_status=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details or {}
        self.http_status = http_status or self.http_status
