"""Links to freee's web pages for people (not the API): one setting, FREEE_WEB_URL, for all of them, so that
with the sandbox on they open the sandbox's pages (integrations/sandbox/web_views.py), never the real freee."""

from __future__ import annotations

from django.conf import settings

# Our name of a page -> its path under FREEE_WEB_URL (the real freee's, which the sandbox serves as well).
PAGES = {"partners": "partners"}


def freee_web_url(page: str) -> str:
    """The URL of one of freee's web pages, e.g. freee_web_url("partners") for the 取引先 page."""
    return f"{settings.FREEE_WEB_URL}/{PAGES[page]}"
