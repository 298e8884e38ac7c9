"""Fake freee会計 支払依頼 endpoints (/api/1/payment_requests...) with freee's approval state machine."""

from __future__ import annotations

import time

from django.http import HttpResponse
from django.utils import timezone

from integrations.sandbox.api.base import (
    ACCOUNTING,
    ApiContext,
    ApiError,
    bad_request,
    freee_endpoint,
    json_response,
    page,
)
from integrations.sandbox.invoicing import _is_date
from integrations.sandbox.models import SandboxCompany, SandboxResource
from integrations.sandbox.ratelimit import JST
from integrations.sandbox.services import next_ids, resource_delete, resource_save, sandbox_fault_consume

LIST_OMITS = {"description", "payment_request_lines", "comments", "approval_flow_logs", "approval_flow_route_id",
              "receipt_ids", "bank_name", "bank_name_kana", "bank_code", "branch_name", "branch_kana", "branch_code",
              "account_type", "account_number", "account_name"}
EDITABLE = {"draft", "in_progress", "feedback"}
LINE_TYPES = {"deal_line", "negative_line", "withholding_tax"}
PAYMENT_METHODS = {"none", "domestic_bank_transfer", "abroad_bank_transfer", "account_transfer", "credit_card"}
BANK_FIELDS = ("bank_name", "bank_name_kana", "bank_code", "branch_name", "branch_kana", "branch_code",
               "account_number", "account_name")


# A company that signed up for freee from July 2024 has no payment-request API (developer.freee.co.jp/news/7034).
# The sandbox marks such a company with a "feature" resource row (id 1) whose data says so.
FEATURE_KIND, FEATURE_ID = "feature", 1
UNAVAILABLE_MESSAGE = "この事業所では支払依頼APIを利用する権限がありません。"
# 支払依頼 is a feature of the 法人エンタープライズ and 法人プロフェッショナル (now 法人アドバンス) plans only (seed 004).
PLANS_WITH_PAYMENT_REQUESTS = {SandboxCompany.Plan.ADVANCE, SandboxCompany.Plan.ENTERPRISE}
PLAN_MESSAGE = "ご契約中のプランでは支払依頼機能をご利用いただけません。法人エンタープライズプラン、法人プロフェッショナルプランでご利用いただけます。"


def sandbox_payment_requests_set_available(company: SandboxCompany, available: bool) -> None:
    """Simulate a company signed up from July 2024 (available=False) or an older one (True, the default)."""
    resource_save(company=company, kind=FEATURE_KIND, data={"id": FEATURE_ID, "payment_requests_api": available})


def payment_requests_available(company: SandboxCompany) -> bool:
    row = SandboxResource.objects.filter(company=company, kind=FEATURE_KIND, resource_id=FEATURE_ID).first()
    return row is None or row.data.get("payment_requests_api", True)


def check_available(ctx: ApiContext) -> None:
    """403 in freee's forbiddenError shape ({message, messages}, plus its code) for a company whose plan has no
    支払依頼 (freee_plan_limit) or that has no payment-request API since July 2024."""
    if ctx.company.plan not in PLANS_WITH_PAYMENT_REQUESTS:
        raise ApiError(403, {"message": PLAN_MESSAGE, "messages": PLAN_MESSAGE, "code": "freee_plan_limit"})
    if not payment_requests_available(ctx.company):
        raise ApiError(403, {"message": UNAVAILABLE_MESSAGE, "messages": UNAVAILABLE_MESSAGE,
                             "code": "user_do_not_have_permission"})


def _now() -> str:
    return timezone.now().astimezone(JST).isoformat(timespec="seconds")


def _user_id(ctx: ApiContext) -> int:
    from integrations.sandbox.api.accounting import company_users

    return company_users(ctx)[0]["id"]


def _chosen_user(ctx: ApiContext, value: object, field: str) -> int:
    """A selected_user step needs the approver named by the caller, a member of the company (as freee)."""
    user_id = _int(value)
    if user_id is None:
        raise bad_request(ACCOUNTING, f"申請時に承認者を指定するステップのため、{field} を指定してください。")
    if user_id not in {u["id"] for u in ctx.resources("user")}:
        raise bad_request(ACCOUNTING, f"{field} に事業所のメンバーを指定してください。")
    return user_id


def _truthy(value: object) -> bool:
    return value in (True, "true", "True", "1", 1)


# ---------------------------------------------------------------- validation and building

def _route(ctx: ApiContext, route_id: object) -> dict:
    route = next((r for r in ctx.resources("approval_flow_route") if r["id"] == _int(route_id)), None)
    if route is None or "PaymentRequest" not in route["usages"]:
        raise bad_request(ACCOUNTING, "支払依頼に利用できる申請経路を指定してください。")
    if any(step["resource_type"] == "switchable" for step in route["steps"]):
        raise bad_request(ACCOUNTING, "条件分岐を含む申請経路は利用できません。")
    return route


def _line_errors(lines: object, draft: bool) -> list[str]:
    if not isinstance(lines, list) or not lines:
        return ["payment_request_lines を入力してください。"]
    if len(lines) > 100:
        return ["payment_request_lines は100件以内で指定してください。"]
    errors = []
    for index, line in enumerate(lines, start=1):
        if not isinstance(line, dict) or line.get("line_type", "deal_line") not in LINE_TYPES:
            errors.append(f"payment_request_lines[{index}]: line_type の値が不正です。")
        elif not isinstance(line.get("amount"), int) or not 0 <= line["amount"] <= 99999999999:
            errors.append(f"payment_request_lines[{index}]: amount の値が不正です。")
        elif line.get("account_item_id") and line.get("tax_code") is None:
            errors.append(f"payment_request_lines[{index}]: tax_code を入力してください。")
    if not errors and not any(line.get("line_type", "deal_line") == "deal_line" for line in lines):
        errors.append("支払依頼の明細を1件以上入力してください。")
    if not errors and not draft and _total(lines) <= 0:
        errors.append("申請する場合、支払金額は1円以上にしてください。")
    return errors


def _total(lines: list[dict]) -> int:
    return sum(line["amount"] * (1 if line.get("line_type", "deal_line") == "deal_line" else -1) for line in lines)


def _validate(ctx: ApiContext, body: dict) -> dict:
    errors = [f"{name} を入力してください。" for name in ("title", "issue_date", "approval_flow_route_id")
              if body.get(name) in (None, "")]
    if "draft" not in body:
        errors.append("draft を入力してください。")
    for name in ("issue_date", "application_date", "payment_date"):
        if body.get(name) and not _is_date(body[name]):
            errors.append(f"{name} は不正な日付フォーマットです。入力例：2019-12-17")
    if len(str(body.get("title") or "")) > 250:
        errors.append("title は250文字以内で入力してください。")
    if body.get("payment_method", "none") not in PAYMENT_METHODS:
        errors.append("payment_method の値が不正です。")
    errors += _line_errors(body.get("payment_request_lines"), _truthy(body.get("draft")))
    if errors:
        raise bad_request(ACCOUNTING, *errors)
    return _route(ctx, body["approval_flow_route_id"])


def _lines(ctx: ApiContext, lines: list[dict], existing: list[dict]) -> list[dict]:
    kept = {line["id"] for line in existing}
    fresh = iter(next_ids(ctx.company, "payment_request_line", sum(1 for x in lines if x.get("id") not in kept)))
    return [{"id": line["id"] if line.get("id") in kept else next(fresh),
             "line_type": line.get("line_type", "deal_line"), "description": line.get("description") or "",
             "amount": line["amount"], "account_item_id": line.get("account_item_id"),
             "tax_code": line.get("tax_code"), "item_id": line.get("item_id"), "section_id": line.get("section_id"),
             "tag_ids": line.get("tag_ids") or []} for line in lines]


def _approvers(route: dict) -> list[dict]:
    return [{"step_id": step["id"], "user_id": (step["users_ids"] or [None])[0], "status": "initial",
             "is_force_action": False, "resource_type": step["resource_type"]} for step in route["steps"]]


def _partner(ctx: ApiContext, body: dict) -> dict:
    partners = ctx.resources("partner")
    partner = next((p for p in partners if p["id"] == body.get("partner_id")), None) or next(
        (p for p in partners if body.get("partner_code") and p.get("code") == body.get("partner_code")), None)
    if partner is None:
        return {"partner_id": None, "partner_code": None, "partner_name": None}
    return {"partner_id": partner["id"], "partner_code": partner.get("code"), "partner_name": partner["name"]}


def _fields(ctx: ApiContext, body: dict, route: dict, existing: dict) -> dict:
    lines = _lines(ctx, body["payment_request_lines"], existing.get("payment_request_lines", []))
    return {
        "title": body["title"], "application_date": body.get("application_date") or timezone.localdate().isoformat(),
        "description": body.get("description") or "", "total_amount": _total(lines),
        "payment_request_lines": lines, "approval_flow_route_id": route["id"],
        "document_code": body.get("document_code") or "", "receipt_ids": body.get("receipt_ids") or [],
        "issue_date": body["issue_date"], "payment_date": body.get("payment_date"),
        "payment_method": body.get("payment_method") or "none", **_partner(ctx, body),
        **{name: str(body.get(name) or "") for name in BANK_FIELDS},
        "account_type": body.get("account_type") or "ordinary",
        "qualified_invoice_status": body.get("qualified_invoice_status") or "unspecified",
    }


def _apply(ctx: ApiContext, request: dict, route: dict, user_id: int) -> None:
    """Start (or restart) the approval flow: round + 1, first step current, approvers reset."""
    approvers = _approvers(route)
    first = next(step for step in route["steps"] if step["id"] == route["first_step_id"])
    if first["resource_type"] == "selected_user":
        _set_step_user(approvers, first["id"], _chosen_user(ctx, ctx.body.get("approver_id"), "approver_id"))
    request.update({"status": "in_progress", "current_step_id": route["first_step_id"],
                    "current_round": request["current_round"] + 1, "approvers": approvers})
    request["approval_flow_logs"].append({"action": "apply", "user_id": user_id, "updated_at": _now()})


# ---------------------------------------------------------------- endpoints

@freee_endpoint(ACCOUNTING)
def payment_request_create(ctx: ApiContext) -> HttpResponse:
    """POST /api/1/payment_requests: draft=true → draft, else in_progress at the route's first step."""
    check_available(ctx)
    route = _validate(ctx, ctx.body)
    request_id = next_ids(ctx.company, "payment_request")[0]
    request = {"id": request_id, "company_id": ctx.company.company_id, **_fields(ctx, ctx.body, route, {}),
               "status": "draft", "deal_id": None, "deal_status": None, "applicant_id": _user_id(ctx),
               "approvers": _approvers(route), "application_number": str(next_ids(ctx.company,
                                                                                  "application_number")[0]),
               "comments": [], "approval_flow_logs": [], "current_step_id": None, "current_round": 0}
    if not _truthy(ctx.body.get("draft")):
        _apply(ctx, request, route, _user_id(ctx))
    resource_save(company=ctx.company, kind="payment_request", data=request)
    fault = sandbox_fault_consume(ctx.company, "timeout_after_create")
    if fault:  # stored, but the caller waits past its timeout: the outcome is unknown to it
        time.sleep(float(fault.get("timeout_seconds", 30)))
    return json_response({"payment_request": request}, status=201)


def _list_matches(item: dict, params) -> bool:
    if params.get("status") and item["status"] != params["status"]:
        return False
    if params.get("title") and params["title"] not in item["title"]:
        return False
    if params.get("partner_id") and str(item["partner_id"]) != params["partner_id"]:
        return False
    if params.get("start_application_date") and item["application_date"] < params["start_application_date"]:
        return False
    if params.get("end_application_date") and item["application_date"] > params["end_application_date"]:
        return False
    return not params.get("document_code") or item["document_code"] == params["document_code"]


@freee_endpoint(ACCOUNTING)
def payment_request_list(ctx: ApiContext) -> HttpResponse:
    """GET /api/1/payment_requests: list items omit lines, comments, logs and bank details."""
    check_available(ctx)
    rows = [r for r in ctx.resources("payment_request") if _list_matches(r, ctx.params)]
    rows = [{k: v for k, v in r.items() if k not in LIST_OMITS} for r in rows]
    return json_response({"payment_requests": page(rows, ctx, default_limit=50, max_limit=500)})


@freee_endpoint(ACCOUNTING)
def payment_request_show(ctx: ApiContext, request_id: int) -> HttpResponse:
    """GET /api/1/payment_requests/{id}."""
    check_available(ctx)
    return json_response({"payment_request": ctx.resource("payment_request", request_id).data})


@freee_endpoint(ACCOUNTING)
def payment_request_update(ctx: ApiContext, request_id: int) -> HttpResponse:
    """PUT /api/1/payment_requests/{id}: only draft/in_progress/feedback; lines not listed are deleted."""
    check_available(ctx)
    request = ctx.resource("payment_request", request_id).data
    if request["status"] not in EDITABLE:
        raise bad_request(ACCOUNTING, "この支払依頼は更新できません。")
    route = _validate(ctx, ctx.body)
    request.update(_fields(ctx, ctx.body, route, request))
    if not _truthy(ctx.body.get("draft")) and request["status"] in ("draft", "feedback"):
        _apply(ctx, request, route, _user_id(ctx))
    resource_save(company=ctx.company, kind="payment_request", data=request)
    return json_response({"payment_request": request})


@freee_endpoint(ACCOUNTING)
def payment_request_delete(ctx: ApiContext, request_id: int) -> HttpResponse:
    """DELETE /api/1/payment_requests/{id}: only draft or feedback."""
    check_available(ctx)
    request = ctx.resource("payment_request", request_id).data
    if request["status"] not in ("draft", "feedback"):
        raise bad_request(ACCOUNTING, "下書きまたは差戻しの支払依頼のみ削除できます。")
    resource_delete(company=ctx.company, kind="payment_request", resource_id=request_id)
    return HttpResponse(status=204)


# ---------------------------------------------------------------- approval actions

def _check_target(ctx: ApiContext, request: dict, action: str) -> None:
    allowed = {"force_feedback": {"approved", "rejected"}}.get(action, {"in_progress"})
    if request["status"] not in allowed:
        raise bad_request(ACCOUNTING, "現在のステータスではこの操作はできません。")
    if action == "force_feedback":
        return
    if _int(ctx.body.get("target_step_id")) != request["current_step_id"]:
        raise bad_request(ACCOUNTING, "target_step_id が現在の承認ステップと一致しません。")
    if _int(ctx.body.get("target_round")) != request["current_round"]:
        raise bad_request(ACCOUNTING, "target_round が現在の申請ラウンドと一致しません。")


def _int(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _set_current_approver(request: dict, status: str, force: bool = False) -> None:
    for approver in request["approvers"]:
        if approver["step_id"] == request["current_step_id"]:
            approver.update({"status": status, "is_force_action": force})


def _set_step_user(approvers: list[dict], step_id: int, user_id: int) -> None:
    for approver in approvers:
        if approver["step_id"] == step_id:
            approver["user_id"] = user_id


def _approve(ctx: ApiContext, request: dict, route: dict, force: bool) -> None:
    """Approve the current step (force_approve = 代理承認 of that step); the last step's approval ends the flow,
    keeping current_step_id so that force_feedback can quote it."""
    steps = {step["id"]: step for step in route["steps"]}
    _set_current_approver(request, "approved", force)
    following = steps[request["current_step_id"]]["next_step_id"]
    if following is None:
        request["status"] = "approved"
    else:
        if steps[following]["resource_type"] == "selected_user":
            chosen = _chosen_user(ctx, ctx.body.get("next_approver_id"), "next_approver_id")
            _set_step_user(request["approvers"], following, chosen)
        request["current_step_id"] = following


def _act(ctx: ApiContext, request: dict, route: dict, action: str) -> None:
    if action in ("approve", "force_approve"):
        _approve(ctx, request, route, action == "force_approve")
    elif action == "reject":
        _set_current_approver(request, "rejected")
        request["status"] = "rejected"
    elif action in ("feedback", "force_feedback"):
        if action == "feedback":
            _set_current_approver(request, "feedback")
        request.update({"status": "feedback", "current_step_id": None})
    elif action == "cancel":
        request.update({"status": "draft", "current_step_id": None})


ACTIONS = {"approve", "force_approve", "cancel", "reject", "feedback", "force_feedback"}
LOG_ACTION = {"force_feedback": "feedback"}


@freee_endpoint(ACCOUNTING)
def payment_request_action(ctx: ApiContext, request_id: int) -> HttpResponse:
    """POST /api/1/payment_requests/{id}/actions: target_step_id/target_round must match the current ones."""
    check_available(ctx)
    action = ctx.body.get("approval_action")
    if action not in ACTIONS:
        raise bad_request(ACCOUNTING, "approval_action の値が不正です。")
    request = ctx.resource("payment_request", request_id).data
    _check_target(ctx, request, action)
    route = ctx.resource("approval_flow_route", request["approval_flow_route_id"]).data
    _act(ctx, request, route, action)
    request["approval_flow_logs"].append({"action": LOG_ACTION.get(action, action), "user_id": _user_id(ctx),
                                          "updated_at": _now()})
    resource_save(company=ctx.company, kind="payment_request", data=request)
    return json_response({"payment_request": request}, status=201)
