"""The audit trail: entries for connection, settings, permission and CSV changes; secrets masked; append-only;
an admins-only page with filters that never shows another tenant's entries."""

import pytest
import responses
from django.db import IntegrityError, InternalError, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from core import audit
from core.models import AuditEntry
from tenancy.models import PermissionProfile
from tenancy.permissions import FREEE_INVOICE_CREATE
from tests.factories import DealFactory
from tests.integrations.conftest import freee_settings  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

AUDIT_URL = reverse("core:audit_list")


def _actions(tenant):
    return list(AuditEntry.objects.for_tenant(tenant).order_by("id").values_list("action", flat=True))


@pytest.mark.usefixtures("freee_settings")
def test_freee_credentials_are_audited_with_the_secret_masked(world_a):
    world_a.client("admin").post(reverse("integrations:freee_settings"), {
        "client_id": "cid", "client_secret": "very-secret-value", "invoice_numbering": "auto", "daily_cap": "3000"})
    entry = AuditEntry.objects.get(tenant=world_a.tenant, action="freee.client_update")
    assert entry.actor == world_a.admin and entry.actor_label == world_a.admin.username
    assert entry.changes["client_id"] == ["", "cid"]
    assert entry.changes["client_secret"] == [audit.MASK, audit.MASK]
    assert "very-secret-value" not in world_a.client("admin").get(AUDIT_URL).content.decode()


def test_settings_profiles_memberships_and_csv_exports_are_audited(world_a):
    admin = world_a.client("admin")
    admin.post(reverse("tenancy:settings"), {"name": "改名株式会社", "uses_permission_profiles": "on"})
    admin.post(reverse("tenancy:permission_profile_create"), {"name": "営業", "permissions": [FREEE_INVOICE_CREATE]})
    profile = PermissionProfile.objects.get(tenant=world_a.tenant, name="営業")
    admin.post(reverse("tenancy:membership_update", args=[world_a.member_membership.public_id]),
               {"role": "member", "permission_profile": profile.pk})
    admin.post(reverse("tenancy:permission_profile_delete", args=[profile.public_id]))
    admin.get(reverse("deals:csv"))  # profiles are on now: members without 「CSVエクスポート」 get 403
    assert _actions(world_a.tenant) == ["tenant.settings_update", "permission_profile.create", "membership.update",
                                        "permission_profile.delete", "csv.export"]
    settings_entry = AuditEntry.objects.get(tenant=world_a.tenant, action="tenant.settings_update")
    assert settings_entry.changes == {"name": ["テナントA株式会社", "改名株式会社"],
                                      "uses_permission_profiles": [False, True]}
    assert AuditEntry.objects.get(action="csv.export").actor == world_a.admin


def test_entries_cannot_be_changed_or_deleted(world_a):
    entry = audit.audit_record(tenant=world_a.tenant, actor=world_a.admin, action="csv.export", target_label="x")
    for attempt in (lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="forged"),
                    lambda: AuditEntry.objects.filter(pk=entry.pk).delete()):
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).action == "csv.export"


def test_a_tenant_with_an_audit_trail_cannot_be_deleted(world_a):
    audit.audit_record(tenant=world_a.tenant, actor=world_a.admin, action="csv.export")
    with pytest.raises(ProtectedError):
        world_a.tenant.delete()


def test_the_page_is_for_admins_and_filters(world_a, world_b):
    audit.audit_record(tenant=world_a.tenant, actor=world_a.admin, action="csv.export", target_label="案件一覧")
    audit.audit_record(tenant=world_a.tenant, actor=world_a.member, action="freee.disconnect",
                       target_label="freee接続")
    audit.audit_record(tenant=world_b.tenant, actor=world_b.admin, action="csv.export", target_label="Bの秘密対象")
    assert world_a.client("member").get(AUDIT_URL).status_code == 403
    page = world_a.client("admin").get(AUDIT_URL).content.decode()
    assert "案件一覧" in page and "freee接続" in page and "Bの秘密対象" not in page
    filtered = world_a.client("admin").get(AUDIT_URL, {"action": "freee.disconnect"}).content.decode()
    assert "freee接続" in filtered and "案件一覧" not in filtered
    by_actor = world_a.client("admin").get(AUDIT_URL, {"actor": world_a.member.username}).content.decode()
    assert "freee接続" in by_actor and "案件一覧" not in by_actor
    empty = world_a.client("admin").get(AUDIT_URL, {"since": "2999-01-01"}).content.decode()
    assert "条件に合う記録はありません" in empty


def test_deal_csv_from_the_api_is_audited_too(world_a):
    DealFactory(tenant=world_a.tenant)
    response = world_a.client("member").get(reverse("api:deal-export"), HTTP_X_TENANT=str(world_a.tenant.public_id))
    assert response.status_code == 200
    assert _actions(world_a.tenant) == ["csv.export"]


@responses.activate
def test_lineworks_links_and_unlinks_are_audited_with_secrets_masked(world_a, settings):
    from notifications import services as lineworks
    from tests.notifications.factories import make_user_link, private_key_pem

    # saving asks LINE WORKS for a token and the bot's domains (the domain id is checked against the credentials)
    settings.LINEWORKS_AUTH_URL, settings.LINEWORKS_API_URL = "https://auth.lw.test", "https://api.lw.test/v1.0"
    responses.post("https://auth.lw.test/oauth2/v2.0/token", json={"access_token": "at", "expires_in": "86400"})
    responses.get("https://api.lw.test/v1.0/bots/2000009/domains", json={"domains": [{"domainId": 40000009}]})
    link = lineworks.lineworks_link_save(
        tenant=world_a.tenant, actor=world_a.admin, domain_id="40000009", name="本社", client_id="cid",
        client_secret="lw-client-secret", service_account="sa@example.works", private_key=private_key_pem(),
        bot_id="2000009", bot_secret="lw-bot-secret")
    make_user_link(link, world_a.member, "lw-user-1")
    lineworks.user_link_delete(tenant=world_a.tenant, user=world_a.member)
    lineworks.lineworks_link_delete(link=link, actor=world_a.admin)
    assert _actions(world_a.tenant) == ["lineworks.tenant_link", "lineworks.user_unlink", "lineworks.tenant_unlink"]
    linked = AuditEntry.objects.get(action="lineworks.tenant_link")
    assert linked.changes["bot_secret"] == [audit.MASK, audit.MASK] and linked.changes["bot_id"] == [None, "2000009"]
    assert linked.changes["private_key"] == [audit.MASK, audit.MASK]
    assert "lw-bot-secret" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_payment_request_changes_are_audited(world_a):
    from payment_requests import services as requests
    from tests.payment_requests.factories import flow_for, request_input

    flow = flow_for(world_a, label="audit")
    request = requests.payment_request_create(tenant=world_a.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, title="監査テスト", draft=True))
    requests.payment_request_delete(payment_request=request, membership=flow.membership("applicant"))
    entries = AuditEntry.objects.filter(tenant=world_a.tenant, target_label="監査テスト").order_by("id")
    assert [e.action for e in entries] == ["payment_request.create", "payment_request.delete"]
    assert all(e.actor == flow.membership("applicant").user for e in entries)
