"""Sandbox objects of a tenant world, for the project-wide isolation walk (tests/cross)."""

from __future__ import annotations

from integrations.sandbox.models import SandboxApp, SandboxCompany
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create

SECRET_APP_NAME = "他テナントの秘密アプリ"
SECRET_COMPANY_NAME = "他テナントの秘密事業所"


def make_sandbox_app(world) -> SandboxApp:
    """An app created in `world`'s console."""
    return sandbox_app_create(tenant=world.tenant, name=SECRET_APP_NAME)


def make_sandbox_company(world) -> SandboxCompany:
    """A company of an app created in `world`'s console."""
    return sandbox_company_create(app=make_sandbox_app(world), name=SECRET_COMPANY_NAME)
