"""LINE WORKS links, employee links and events for the notifications tests."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core import events
from integrations.models import LineWorksLink
from notifications.models import LineWorksUserLink

SECRET_LINK_NAME = "他テナントの秘密LINE WORKS"


@cache
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def make_link(tenant, *, domain_id: str = "40000001", bot_id: str = "2000001", bot_secret: str = "bot-secret",  # noqa: S107 - test value
              name: str = "", **fields) -> LineWorksLink:
    defaults = {"client_id": "client-id", "client_secret": "client-secret",
                "service_account": "sa.serviceaccount@example.works", "private_key": private_key_pem()}
    return LineWorksLink.objects.create(tenant=tenant, domain_id=domain_id, bot_id=bot_id, bot_secret=bot_secret,
                                        name=name, **{**defaults, **fields})


def sandbox_form(domain, **changes) -> dict:
    """The 事業所の連携設定 form filled in with a sandbox LINE WORKS domain's own values."""
    return {"name": "本社", "domain_id": str(domain.domain_id), "client_id": domain.client_id,
            "client_secret": domain.client_secret, "service_account": domain.service_account,
            "private_key": domain.private_key, "bot_id": domain.bot_id, "bot_secret": domain.bot_secret,
            "rate_limit_per_minute": "240", **changes}


def make_user_link(link: LineWorksLink, user, lineworks_user_id: str) -> LineWorksUserLink:
    return LineWorksUserLink.objects.create(tenant=link.tenant, link=link, user=user,
                                            lineworks_user_id=lineworks_user_id)


def emit_event(tenant, recipients, *, kind: str = events.INVOICE_ISSUED, key: str = "invoice.issued:1",
               payload: dict | None = None):
    payload = payload or {"title": "請求書を発行しました", "text": "株式会社サンプル宛の請求書を発行しました。",
                          "url": "/invoices/"}
    return events.emit(tenant=tenant, kind=kind, recipients=recipients, key=key, payload=payload)
