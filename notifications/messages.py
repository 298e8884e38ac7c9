"""What a notification says: LINE WORKS message contents built from an event's kind and payload.

Payment-request approver events carry a button that opens a signed approval page in this app (a uri
action: LINE WORKS does not allow postback actions in a button_template). The token names the user, the
request, its step and round, and expires; the page asks for a login as that same user.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core import events
from integrations.lineworks.schemas import ButtonTemplateContent, Content, LinkContent, TextContent, UriAction

APPROVAL_SALT = "notifications.approval"
APPROVAL_MAX_AGE = 7 * 24 * 3600
APPROVER_KINDS = {events.PAYMENT_REQUEST_SUBMITTED, events.PAYMENT_REQUEST_NEXT_STEP}


def absolute_url(url: str) -> str:
    """Payload urls are paths of this app; LINE WORKS needs absolute ones."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + "/" + url.lstrip("/")


def approval_token(*, user_id: int, tenant_id: int, request_id: str, step_id, round_) -> str:
    return signing.dumps({"u": user_id, "t": tenant_id, "r": str(request_id), "s": step_id, "n": round_},
                         salt=APPROVAL_SALT, compress=True)


def approval_token_load(token: str) -> dict:
    """The approval token's data; raises signing.BadSignature (incl. SignatureExpired)."""
    return signing.loads(token, salt=APPROVAL_SALT, max_age=APPROVAL_MAX_AGE)


def approval_url(event, recipient_id: int) -> str:
    payload = event.payload
    token = approval_token(user_id=recipient_id, tenant_id=event.tenant_id, request_id=payload.get("request_id", ""),
                           step_id=payload.get("step_id"), round_=payload.get("round"))
    return absolute_url(reverse("notifications:approval") + "?token=" + token)


def event_text(event) -> str:
    payload = event.payload or {}
    title = payload.get("title") or events.KINDS.get(event.kind, event.kind)
    text = payload.get("text") or ""
    return f"【{title}】\n{text}".strip()


def content_for(event, recipient_id: int) -> Content:
    """The message one recipient gets for an event."""
    text = event_text(event)
    if event.kind in APPROVER_KINDS and event.payload.get("request_id"):
        return ButtonTemplateContent(contentText=text[:1000],
                                     actions=[UriAction(label="承認画面を開く", uri=approval_url(event, recipient_id))])
    url = (event.payload or {}).get("url")
    if url:
        return LinkContent(contentText=text[:1000], linkText="詳細を開く", link=absolute_url(url)[:1000])
    return TextContent(text=text[:2000])
