"""Writes of the freee sandbox: apps, companies and their master data, OAuth grants, resources, faults."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from integrations.sandbox import seed
from integrations.sandbox.models import SandboxApp, SandboxAuthCode, SandboxCompany, SandboxResource, SandboxToken
from tenancy.models import Tenant

FIRST_COMPANY_ID = 10000001
AUTH_CODE_LIFETIME = timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = timedelta(hours=6)
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"

# Each kind of resource gets its own id range, so an id of the wrong kind is never found by accident.
KIND_OFFSETS = {
    "partner": 100_000, "account_item": 200_000, "invoice": 300_000, "deal": 400_000, "deal_detail": 450_000,
    "invoice_line": 500_000, "payment_request": 600_000, "payment_request_line": 650_000, "walletable": 700_000,
    "invoice_template": 800_000, "approval_flow_route": 900_000, "user": 950_000, "deal_payment": 470_000,
    "tag": 980_000, "receipt": 990_000,
}


# ---------------------------------------------------------------- apps and companies

def default_redirect_uris() -> list[str]:
    """A new app's コールバックURL: the hub's own OAuth callback, and the paste-the-code flow's OOB URI."""
    return [settings.SITE_URL + reverse("integrations:freee_callback"), OOB_REDIRECT_URI]


def sandbox_app_create(*, tenant: Tenant | None, name: str, client_id: str | None = None,
                       client_secret: str | None = None, redirect_uris: list[str] | None = None) -> SandboxApp:
    """Register an app; client_id/secret are random unless given (the demo seed passes fixed ones); its
    registered redirect URIs default to default_redirect_uris()."""
    return SandboxApp.objects.create(
        owner_tenant=tenant, name=name,
        client_id=client_id or secrets.token_hex(16), client_secret=client_secret or secrets.token_urlsafe(32),
        redirect_uris="\n".join(redirect_uris if redirect_uris is not None else default_redirect_uris()),
    )


def sandbox_app_redirect_uris_set(*, app: SandboxApp, redirect_uris: list[str]) -> SandboxApp:
    """Replace the app's registered redirect URIs (the console's コールバックURL field)."""
    app.redirect_uris = "\n".join(redirect_uris)
    app.save(update_fields=["redirect_uris"])
    return app


def _next_company_id() -> int:
    current = SandboxCompany.objects.aggregate(top=Max("company_id"))["top"]
    return (current or FIRST_COMPANY_ID - 1) + 1


@transaction.atomic
def sandbox_company_create(*, app: SandboxApp, name: str, display_name: str | None = None,
                           company_id: int | None = None, plan: str = SandboxCompany.Plan.STANDARD,
                           invoice_auto_numbering: bool = True, invoice_member_ok: bool = True) -> SandboxCompany:
    """Create a 事業所 for `app` and seed it with realistic Japanese master data."""
    company = SandboxCompany.objects.create(
        app=app, name=name, display_name=display_name or name, company_id=company_id or _next_company_id(),
        plan=plan, invoice_auto_numbering=invoice_auto_numbering, invoice_member_ok=invoice_member_ok,
    )
    _seed_master_data(company)
    return company


def kind_base(company: SandboxCompany, kind: str) -> int:
    """The id just below the first id of `kind` in this company (document numbers simply count from 1)."""
    if kind in ("invoice_number", "application_number"):
        return 0
    return (company.company_id % 1000) * 1_000_000 + KIND_OFFSETS[kind]


def _seed_master_data(company: SandboxCompany) -> None:
    user_id = kind_base(company, "user") + 1
    walletables = seed.walletable_objects(kind_base(company, "walletable"))
    wallet_ids = {w["type"]: w["id"] for w in walletables}
    rows: list[tuple[str, dict]] = [("user", seed.user_object(user_id))]
    rows += [("user", u) for u in seed.member_objects(user_id)]
    rows += [("walletable", w) for w in walletables]
    rows += [("tax", t) for t in seed.tax_objects()]
    rows += [("account_item", a) for a in seed.account_item_objects(kind_base(company, "account_item"), wallet_ids)]
    rows += [("invoice_template", t) for t in seed.template_objects(kind_base(company, "invoice_template"))]
    rows += [("approval_flow_route", r)
             for r in seed.approval_route_objects(kind_base(company, "approval_flow_route"), user_id)]
    rows += [("partner", _partner(company, index, row)) for index, row in enumerate(seed.PARTNERS, start=1)]
    SandboxResource.objects.bulk_create(
        SandboxResource(company=company, kind=kind, resource_id=data.get("id", data.get("code")), data=data)
        for kind, data in rows
    )
    company.sequences = {"partner": kind_base(company, "partner") + len(seed.PARTNERS)}
    company.save(update_fields=["sequences"])


def _partner(company: SandboxCompany, index: int, row: tuple) -> dict:
    return seed.partner_object(partner_id=kind_base(company, "partner") + index, company_id=company.company_id,
                               index=index, row=row)


PARTNER_NAME_MAX_LENGTH = 255


class PartnerInvalid(ValueError):
    """A partner the sandbox refuses, as freee's 取引先 screen would (the message is the screen's)."""


def sandbox_partner_create(*, company: SandboxCompany, name: str, long_name: str = "") -> dict:
    """Register a 取引先 in the company, as freee's 取引先 page does: the name is required and unique."""
    name = name.strip()
    if not name:
        raise PartnerInvalid("取引先名を入力してください。")
    if len(name) > PARTNER_NAME_MAX_LENGTH:
        raise PartnerInvalid(f"取引先名は{PARTNER_NAME_MAX_LENGTH}文字以内で入力してください。")
    with transaction.atomic():
        SandboxCompany.objects.select_for_update().get(pk=company.pk)  # one name at a time per company
        if SandboxResource.objects.filter(company=company, kind="partner", data__name=name).exists():
            raise PartnerInvalid("同じ名前の取引先がすでにあります。")
        (partner_id,) = next_ids(company, "partner")
        index = partner_id - kind_base(company, "partner")
        row = (name, long_name.strip() or name, "", "", "御中", -1, "")
        data = seed.partner_object(partner_id=partner_id, company_id=company.company_id, index=index, row=row)
        return resource_save(company=company, kind="partner", data=data).data


def sandbox_partners_ensure(*, company: SandboxCompany, names: list[str]) -> dict[str, int]:
    """The company's partner id for each name, registering the names it lacks (run it again: nothing new)."""
    have = {r.data["name"]: r.data["id"]
            for r in SandboxResource.objects.filter(company=company, kind="partner", data__name__in=names)}
    for name in dict.fromkeys(names):
        if name not in have:
            have[name] = sandbox_partner_create(company=company, name=name)["id"]
    return have


def sandbox_company_update(*, company: SandboxCompany, **fields: Any) -> SandboxCompany:
    """Change console settings (plan, 自動採番, freee請求書 membership)."""
    allowed = {"plan", "invoice_auto_numbering", "invoice_member_ok", "name", "display_name"}
    for key, value in fields.items():
        if key not in allowed:
            raise ValueError(f"unknown company setting {key!r}")
        setattr(company, key, value)
    company.save(update_fields=list(fields))
    return company


# ---------------------------------------------------------------- ids and resources

def next_ids(company: SandboxCompany, kind: str, count: int = 1) -> list[int]:
    """Allocate `count` ids of `kind` for the company (row-locked, so concurrent creates never collide)."""
    with transaction.atomic():
        locked = SandboxCompany.objects.select_for_update().get(pk=company.pk)
        current = locked.sequences.get(kind, kind_base(company, kind))
        locked.sequences[kind] = current + count
        locked.save(update_fields=["sequences"])
    return list(range(current + 1, current + count + 1))


def resource_save(*, company: SandboxCompany, kind: str, data: dict) -> SandboxResource:
    """Create or replace the resource whose id is data["id"]."""
    resource, _ = SandboxResource.objects.update_or_create(
        company=company, kind=kind, resource_id=data["id"], defaults={"data": data})
    return resource


def resource_delete(*, company: SandboxCompany, kind: str, resource_id: int) -> None:
    SandboxResource.objects.filter(company=company, kind=kind, resource_id=resource_id).delete()


# ---------------------------------------------------------------- OAuth grants

def sandbox_auth_code_issue(*, app: SandboxApp, company: SandboxCompany, redirect_uri: str) -> SandboxAuthCode:
    """A single-use authorization code, valid 10 minutes."""
    return SandboxAuthCode.objects.create(
        code=secrets.token_hex(32), app=app, company=company, redirect_uri=redirect_uri,
        expires_at=timezone.now() + AUTH_CODE_LIFETIME)


def sandbox_tokens_issue(*, app: SandboxApp, company: SandboxCompany) -> tuple[SandboxToken, SandboxToken]:
    """A new access token (6 h) and refresh token (90 days)."""
    now = timezone.now()
    access = SandboxToken.objects.create(token=secrets.token_urlsafe(48), kind=SandboxToken.Kind.ACCESS, app=app,
                                         company=company, expires_at=now + ACCESS_TOKEN_LIFETIME)
    refresh = SandboxToken.objects.create(token=secrets.token_urlsafe(48), kind=SandboxToken.Kind.REFRESH, app=app,
                                          company=company, expires_at=now + REFRESH_TOKEN_LIFETIME)
    return access, refresh


class InvalidGrant(Exception):
    """The code or refresh token is unknown, used, expired, or bound to another client / redirect_uri."""


@transaction.atomic
def sandbox_code_exchange(*, app: SandboxApp, code: str, redirect_uri: str) -> tuple[SandboxToken, SandboxToken]:
    """Trade an authorization code for tokens; the code works once, for 10 minutes, with the same redirect_uri."""
    grant = SandboxAuthCode.objects.select_for_update().filter(code=code, app=app).first()
    if grant is None or grant.used or grant.expires_at <= timezone.now() or grant.redirect_uri != redirect_uri:
        raise InvalidGrant
    grant.used = True
    grant.save(update_fields=["used"])
    return sandbox_tokens_issue(app=app, company=grant.company)


@transaction.atomic
def sandbox_refresh(*, app: SandboxApp, refresh_token: str) -> tuple[SandboxToken, SandboxToken]:
    """Rotate a refresh token: it works exactly once and for 90 days (freee's rule)."""
    token = (SandboxToken.objects.select_for_update()
             .filter(token=refresh_token, kind=SandboxToken.Kind.REFRESH, app=app).first())
    now = timezone.now()
    if token is None or token.used_at or token.revoked or token.expires_at <= now:
        raise InvalidGrant
    token.used_at = now
    token.save(update_fields=["used_at"])
    return sandbox_tokens_issue(app=app, company=token.company)


@transaction.atomic
def sandbox_token_revoke(*, app: SandboxApp, token: str) -> bool:
    """Revoke one of the app's tokens; a refresh token takes its company's access tokens with it. Returns whether
    a live token was found."""
    found = SandboxToken.objects.select_for_update().filter(app=app, token=token, revoked=False).first()
    if found is None:
        return False
    found.revoked = True
    found.save(update_fields=["revoked"])
    if found.kind == SandboxToken.Kind.REFRESH:
        SandboxToken.objects.filter(app=app, company=found.company, kind=SandboxToken.Kind.ACCESS).update(revoked=True)
    return True


def sandbox_access_tokens_expire(*, company: SandboxCompany) -> int:
    """Make every live access token of the company expired now (to exercise the client's refresh)."""
    now = timezone.now()
    return SandboxToken.objects.filter(company=company, kind=SandboxToken.Kind.ACCESS,
                                       expires_at__gt=now).update(expires_at=now - timedelta(seconds=1))


# ---------------------------------------------------------------- fault switches

COUNTING_FAULTS = {"rate_limit_429", "server_error_5xx", "malformed_body", "timeout_after_create"}
FAULT_NAMES = COUNTING_FAULTS | {"latency_ms", "latency_jitter_ms", "lockout_until", "expire_tokens", "rate_limits_off"}


def _fault_value(name: str, value: Any) -> Any:
    """Normalise a switch: counting switches accept an int (next N calls) or a dict."""
    if isinstance(value, datetime):
        value = value.isoformat()
    if name == "rate_limit_429" and isinstance(value, str):
        return {"until": value}
    if name == "server_error_5xx" and isinstance(value, int):
        return {"count": value, "status": 500}
    if name == "timeout_after_create" and isinstance(value, int | float):
        return {"count": 1, "timeout_seconds": value}
    if name in COUNTING_FAULTS and isinstance(value, int):
        return {"count": value}
    return value


def sandbox_faults_set(company: SandboxCompany, **switches: Any) -> SandboxCompany:
    """Turn fault switches on (value) or off (None / 0 / False). `expire_tokens=True` expires tokens at once.

    latency_ms=int (latency_jitter_ms=int adds up to that much at random); rate_limit_429=N | "ISO time" | {"count"}|{"until"}; lockout_until="ISO time";
    server_error_5xx=N | {"count", "status": 500|503}; timeout_after_create=seconds | {"count", "timeout_seconds"};
    malformed_body=N.
    """
    unknown = set(switches) - FAULT_NAMES
    if unknown:
        raise ValueError(f"unknown fault switch(es): {sorted(unknown)}")
    if switches.pop("expire_tokens", False):
        sandbox_access_tokens_expire(company=company)
    with transaction.atomic():
        locked = SandboxCompany.objects.select_for_update().get(pk=company.pk)
        for name, value in switches.items():
            if value in (None, 0, False, ""):
                locked.faults.pop(name, None)
            else:
                locked.faults[name] = _fault_value(name, value)
        locked.save(update_fields=["faults"])
    company.faults = locked.faults
    return company


def sandbox_fault_consume(company: SandboxCompany, name: str) -> dict | None:
    """Use one shot of a counting switch atomically; returns its settings if it fired, else None."""
    if name not in (company.faults or {}):
        return None
    with transaction.atomic():
        locked = SandboxCompany.objects.select_for_update().get(pk=company.pk)
        switch = locked.faults.get(name)
        fired = _fires(switch)
        if fired and "count" in switch:
            switch["count"] -= 1
            if switch["count"] <= 0:
                locked.faults.pop(name)
            locked.save(update_fields=["faults"])
    return switch if fired else None


def _fires(switch: dict | None) -> bool:
    if not switch:
        return False
    if "until" in switch:
        return datetime.fromisoformat(switch["until"]) > timezone.now()
    return switch.get("count", 0) > 0


# ---------------------------------------------------------------- console: invoice statuses

INVOICE_STATUS_CHOICES = {
    "payment_status": {"settled", "unsettled", "failed", "canceled", "unprocessed"},
    "sending_status": {"sent", "unsent"},
}


@transaction.atomic
def sandbox_invoice_status_set(*, company: SandboxCompany, invoice_id: int, field: str, value: str) -> dict:
    """Change an invoice's payment or sending status, as if the customer had paid (or it was sent) in freee."""
    if value not in INVOICE_STATUS_CHOICES.get(field, set()):
        raise ValueError(f"invalid {field}={value!r}")
    resource = SandboxResource.objects.select_for_update().get(company=company, kind="invoice",
                                                                resource_id=invoice_id)
    resource.data[field] = value
    resource.save(update_fields=["data", "updated_at"])
    return resource.data
