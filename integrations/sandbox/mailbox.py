"""The sandbox mailbox (/sandbox/mail/): the messages the local SMTP server of `make run` / `make test` received.

scripts/devstack.py starts aiosmtpd, which stores every message in a Maildir (SANDBOX_MAILDIR); these pages read
it. They need no login, on purpose: a new user reads the verification mail of their sign-up here before they
have an account. The sandbox is off in production (SANDBOX_ENABLED), and anyone who can reach a server with the
sandbox on can read every message it sent, password-reset links included: keep such servers local.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

KEY = re.compile(r"^[\w.,:\-]+$")
LIST_LIMIT = 200


@dataclass(frozen=True)
class Mail:
    """One received message, decoded."""

    key: str
    sent_at: datetime | None
    sender: str
    to: list[str]
    subject: str
    text: str
    has_html: bool


def _box() -> mailbox.Maildir | None:
    path = settings.SANDBOX_MAILDIR
    if not path or not Path(path, "cur").is_dir():  # no SMTP server, or it has not made its Maildir yet
        return None
    return mailbox.Maildir(path, create=False)


def _decode(key: str, raw: bytes) -> Mail:
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    try:
        sent_at = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    return Mail(
        key=key,
        sent_at=sent_at,
        sender=str(message["From"] or ""),
        to=[address for _name, address in getaddresses([str(v) for v in message.get_all("To", [])])],
        subject=str(message["Subject"] or ""),
        text=text_part.get_content() if text_part else "",
        has_html=message.get_body(preferencelist=("html",)) is not None,
    )


def mail_list(*, to: str = "") -> list[Mail]:
    """The received messages, newest first (at most LIST_LIMIT), optionally only those sent to `to`."""
    box = _box()
    if box is None:
        return []
    mails = [_decode(key, box.get_bytes(key)) for key in box.iterkeys()]
    if to:
        mails = [m for m in mails if to.lower() in (address.lower() for address in m.to)]
    mails.sort(key=lambda m: (m.sent_at is not None, m.sent_at or datetime.min, m.key), reverse=True)
    return mails[:LIST_LIMIT]


def mail_get(key: str) -> Mail:
    box = _box()
    if box is None or not KEY.match(key):
        raise Http404
    try:
        return _decode(key, box.get_bytes(key))
    except KeyError as error:
        raise Http404 from error


@never_cache
@require_GET
def mailbox_list(request):
    to = request.GET.get("to", "").strip()
    context = {
        "mails": mail_list(to=to),
        "to": to,
        "configured": bool(settings.SANDBOX_MAILDIR),
        "email_backend": settings.EMAIL_BACKEND.rsplit(".", 2)[-2],
    }
    return render(request, "sandbox/mailbox_list.html", context)


@never_cache
@require_GET
def mailbox_message(request, key: str):
    return render(request, "sandbox/mailbox_message.html", {"mail": mail_get(key)})
