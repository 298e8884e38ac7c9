"""The API base: tenant binding, default permission, token auth, pagination, schema and Swagger UI."""

from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import JobFactory, MembershipFactory, api_token_key
from tests.isolation import assert_cross_tenant_404


def test_me_shows_the_current_tenant_and_all_memberships(world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    body = world_a.client().get(reverse("api:me")).json()
    assert body["current_tenant"]["id"] == str(world_a.tenant.public_id)
    assert {t["name"] for t in body["tenants"]} == {world_a.tenant.name, world_b.tenant.name}


def test_token_and_x_tenant_header_choose_the_tenant(world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(world_a.member)}",
                       HTTP_X_TENANT=str(world_b.tenant.public_id))
    assert client.get(reverse("api:me")).json()["current_tenant"]["id"] == str(world_b.tenant.public_id)


def test_x_tenant_of_a_foreign_tenant_is_refused(world_a, world_b):
    client = APIClient()
    client.force_authenticate(world_a.member)
    response = client.get(reverse("api:me"), HTTP_X_TENANT=str(world_b.tenant.public_id))
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["message"] == "このユーザーはX-Tenantで指定された事業所に所属していません。"


def test_users_of_no_tenant_and_anonymous_users_are_refused_with_the_error_body(world_a):
    outsider = APIClient()
    outsider.force_authenticate(world_a.outsider)
    assert outsider.get(reverse("api:me")).json()["error"]["code"] == "permission_denied"
    anonymous = APIClient().get(reverse("api:me"))
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"


def test_obtain_token_with_password(world_a):
    from tests.factories import PASSWORD

    response = APIClient().post(reverse("api:token"), {"username": "member_A", "password": PASSWORD})
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(reverse("api:me")).json()["username"] == "member_A"


def test_wrong_password_for_a_token_is_a_400_in_the_error_format(world_a):
    response = APIClient().post(reverse("api:token"), {"username": "member_A", "password": "nope"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_job_list_is_paginated_and_scoped(world_a, world_b):
    JobFactory.create_batch(3, tenant=world_a.tenant)
    JobFactory(tenant=world_b.tenant)
    body = world_a.client().get(reverse("api:job-list"), {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_other_tenants_job_is_404_in_the_api(world_a, world_b):
    foreign = JobFactory(tenant=world_b.tenant, error="Bの秘密")
    assert_cross_tenant_404(world_a.client(), reverse("api:job-detail", args=[foreign.public_id]),
                            foreign_texts=("Bの秘密",))


def test_the_openapi_schema_and_swagger_ui_are_served_without_a_cdn(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/deals/" in schema["paths"]
    page = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "https://" not in page
