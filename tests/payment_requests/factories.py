"""A tenant set up for payment requests: members in every role, ledger masters, routes and the form setting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractUser

from journals.defaults import ledger_defaults_ensure
from journals.models import AccountItem, TaxCode
from payment_requests import services
from payment_requests.models import ApprovalFlowRoute, PaymentRequest
from tenancy.models import Membership
from tests.factories import MembershipFactory, UserFactory

ResourceType = services.ResourceType


@dataclass
class Flow:
    """world_a plus: two approvers (step 1, step 2), another member, a 2-step route and an 指定なし route."""

    world: object
    approver1: AbstractUser
    approver2: AbstractUser
    other: AbstractUser
    route: ApprovalFlowRoute
    open_route: ApprovalFlowRoute
    selected_route: ApprovalFlowRoute
    expense_account: AccountItem
    expense_tax: TaxCode
    income_tax: TaxCode

    @property
    def tenant(self):
        return self.world.tenant

    def user(self, role: str) -> AbstractUser:
        return {"applicant": self.world.member, "admin": self.world.admin, "approver": self.approver1,
                "final_approver": self.approver2, "other": self.other, "route_approver": self.approver2}[role]

    def membership(self, role: str) -> Membership:
        return Membership.objects.get(tenant=self.tenant, user=self.user(role))


def flow_for(world, label: str = "a") -> Flow:
    tenant = world.tenant
    ledger_defaults_ensure(tenant=tenant)
    approver1 = MembershipFactory(tenant=tenant, user=UserFactory(username=f"approver1_{label}")).user
    approver2 = MembershipFactory(tenant=tenant, user=UserFactory(username=f"approver2_{label}")).user
    other = MembershipFactory(tenant=tenant, user=UserFactory(username=f"other_{label}")).user
    admin = Membership.objects.get(tenant=tenant, user=world.admin)
    steps = [services.StepInput(ResourceType.PREDEFINED_USER, [approver1]),
             services.StepInput(ResourceType.PREDEFINED_USER, [approver2])]
    route = services.route_save(tenant=tenant, membership=admin, name="経理承認（2段階）", description="",
                                usages=["PaymentRequest"], steps=steps)
    open_route = services.route_save(tenant=tenant, membership=admin, name="指定なし", description="",
                                     usages=["PaymentRequest"], steps=[services.StepInput(ResourceType.UNSPECIFIED)])
    selected_route = services.route_save(
        tenant=tenant, membership=admin, name="承認者を申請時に指定", description="", usages=["PaymentRequest"],
        steps=[services.StepInput(ResourceType.SELECTED_USER, [approver1, approver2])])
    services.form_setting_save(tenant=tenant, membership=admin, required_fields=["payment_method"],
                               usable_routes=[route, open_route, selected_route], default_route=route)
    return Flow(world=world, approver1=approver1, approver2=approver2, other=other, route=route,
                open_route=open_route, selected_route=selected_route,
                expense_account=AccountItem.objects.get(tenant=tenant, name="外注費"),
                expense_tax=TaxCode.objects.get(tenant=tenant, code=136),
                income_tax=TaxCode.objects.get(tenant=tenant, code=129))


def line(flow: Flow, amount: int = 110000, *, line_type: str = "deal_line", masters: bool = True,
         tax: TaxCode | None = None) -> services.LineInput:
    if line_type == "withholding_tax":
        default_tax = TaxCode.objects.get(tenant=flow.tenant, code=2)
    else:
        default_tax = flow.expense_tax
    account = flow.expense_account
    if line_type == "withholding_tax":
        account = AccountItem.objects.get(tenant=flow.tenant, role=AccountItem.Role.WITHHOLDING)  # 預り金
    return services.LineInput(amount=amount, line_type=line_type, account_item=account if masters else None,
                              tax_code=(tax or default_tax) if masters else None)


def request_input(flow: Flow, **overrides) -> services.RequestInput:
    values = {"title": "外注費の支払い", "issue_date": date(2026, 4, 1), "lines": [line(flow)], "draft": False,
              "route": flow.route, "payment_method": "domestic_bank_transfer", "partner_name": "青葉商事"}
    values.update(overrides)
    return services.RequestInput(**values)


def act(flow: Flow, request: PaymentRequest, role: str, action: str, **kwargs) -> PaymentRequest:
    request.refresh_from_db()
    return services.payment_request_act(
        payment_request=request, membership=flow.membership(role),
        data=services.ActionInput(action=action, target_step_id=request.current_step.public_id,
                                  target_round=request.current_round, **kwargs))


def make_request(flow: Flow, status: str, *, route: ApprovalFlowRoute | None = None, masters: bool = True,
                 title: str = "外注費の支払い") -> PaymentRequest:
    """A request of the applicant (world.member) brought to `status` through the services."""
    draft = status == "draft"
    request = services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"),
        data=request_input(flow, draft=draft, route=route or flow.route, title=title,
                           lines=[line(flow, masters=masters)]))
    if status == "feedback":
        act(flow, request, "approver" if (route or flow.route) == flow.route else "admin", "feedback")
    elif status == "rejected":
        act(flow, request, "approver", "reject")
    elif status == "approved":
        act(flow, request, "approver", "approve")
        act(flow, request, "final_approver", "approve")
    request.refresh_from_db()
    assert request.status == status
    return request
