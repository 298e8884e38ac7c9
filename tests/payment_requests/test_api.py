"""The API beyond the rules table: shape, list filters, comments, OpenAPI, another tenant's request is a 404."""

import pytest

from tests.isolation import assert_cross_tenant_404
from tests.payment_requests.factories import flow_for, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def test_show_is_shaped_like_freee(flow, world_a):
    request = make_request(flow, "in_progress")
    body = world_a.client("member").get(f"/api/v1/payment_requests/{request.public_id}/").json()["payment_request"]
    assert body["status"] == "in_progress" and body["current_round"] == 1
    assert body["current_step_id"] == str(request.current_step.public_id)
    assert [log["action"] for log in body["approval_flow_logs"]] == ["apply"]
    assert body["approvers"][0]["user_id"] == flow.approver1.pk
    assert body["payment_request_lines"][0]["tax_code"] == 136


def test_list_filters_and_omits_lines(flow, world_a):
    make_request(flow, "draft", title="下書き")
    make_request(flow, "in_progress", title="申請中")
    body = world_a.client("member").get("/api/v1/payment_requests/", {"status": "in_progress"}).json()
    assert [row["title"] for row in body["results"]] == ["申請中"]
    assert "payment_request_lines" not in body["results"][0]


def test_comments(flow, world_a):
    request = make_request(flow, "draft")
    response = world_a.client("member").post(f"/api/v1/payment_requests/{request.public_id}/comments/",
                                             {"comment": "確認お願いします"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["payment_request"]["comments"][0]["comment"] == "確認お願いします"


def test_empty_comment_uses_the_error_body(flow, world_a):
    request = make_request(flow, "draft")
    response = world_a.client("member").post(f"/api/v1/payment_requests/{request.public_id}/comments/",
                                             {"comment": " "}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "comment_required", "message": "コメントを入力してください。",
                                        "details": {}}


def test_routes_list_with_steps(flow, world_a):
    body = world_a.client("member").get("/api/v1/approval_flow_routes/").json()
    route = next(r for r in body["results"] if r["name"] == "経理承認（2段階）")
    assert [s["users_ids"] for s in route["steps"]] == [[flow.approver1.pk], [flow.approver2.pk]]


def test_in_the_openapi_schema(world_a):
    schema = world_a.client("member").get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/payment_requests/{public_id}/actions/" in schema["paths"]


def test_other_tenants_request_is_404(flow, world_a, world_b):
    foreign = make_request(flow_for(world_b, label="b"), "draft", title="B社の秘密の依頼")
    for suffix in ("", "actions/", "comments/"):
        assert_cross_tenant_404(world_a.client("member"), f"/api/v1/payment_requests/{foreign.public_id}/{suffix}",
                                foreign_texts=("B社の秘密の依頼",))
