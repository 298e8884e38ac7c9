"""The contract between the typed endpoint methods (endpoints.py) and the transport (client.py)."""

from __future__ import annotations

import abc
import enum
from typing import Any

from pydantic import BaseModel


class Family(enum.StrEnum):
    """freee API families: they have separate base paths and rate limits."""

    ACCOUNTING = "accounting"  # 会計: {FREEE_API_URL}/api/1/...
    INVOICE = "invoice"  # freee請求書: {FREEE_API_URL}/iv/...


class Transport(abc.ABC):
    """What an endpoint method may call. client.FreeeClient implements it with auth, rate limits and the log."""

    company_id: int

    @abc.abstractmethod
    def _request(self, method: str, family: Family, path: str, *, params: dict | None = None,
                 json: dict | None = None, model: type[BaseModel] | None = None, files: dict | None = None,
                 data: dict | None = None) -> Any:
        """Send one call and return its body parsed into `model` (the raw JSON without a model; None for 204).
        Raises integrations.freee.errors.*; a body that breaks `model` is a MalformedResponse of that call.
        `files` + `data`: a multipart/form-data body (file uploads) instead of `json`.

        `path` is relative to the family's base: "/partners" (→ /api/1/partners), "/invoices" (→ /iv/invoices).
        """
