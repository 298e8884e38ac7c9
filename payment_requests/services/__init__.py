"""Payment-request writes and every workflow rule of seed 004 (freee会計 支払依頼API), by responsibility:

- requests:      the request itself — its body and validation, create, update (PUT), delete, comments
- workflow:      applying, the actions on the current step (steps, rounds, approver slots), log and notifications
- payment:       支払登録 (出金) and its 取消
- routes:        申請経路 (the route a request uses; create / replace / delete)
- form_settings: 申請フォームの設定
- receipts:      証憑ファイル uploaded to the freee company's ファイルボックス
- base:          the shared error, membership checks and what follows every change (ledger, mirror, audit)

Reads (form setting, usable routes, current approvers, totals, can-edit / can-pay) are in
payment_requests.selectors. Callers use `from payment_requests import services; services.<name>(...)`.
"""

from core.errors import ApplicationError
from payment_requests.selectors import EDITABLE
from payment_requests.services.base import (
    ACTIONS,
    MAX_CHILDREN,
    MAX_LINE_AMOUNT,
    MAX_LINES,
    Action,
    LineType,
    ResourceType,
    Status,
    check_plan,
)
from payment_requests.services.form_settings import form_setting_save
from payment_requests.services.payment import check_can_pay, payment_request_pay, payment_request_unpay
from payment_requests.services.receipts import receipts_upload
from payment_requests.services.requests import (
    BANK_FIELDS,
    OMITTABLE,
    PLAIN_FIELDS,
    LineInput,
    RequestInput,
    check_can_delete,
    missing_required_fields,
    payment_request_comment,
    payment_request_create,
    payment_request_delete,
    payment_request_update,
)
from payment_requests.services.routes import StepInput, route_delete, route_save
from payment_requests.services.workflow import ActionInput, available_actions, check_action, payment_request_act

__all__ = [
    "ACTIONS", "BANK_FIELDS", "EDITABLE", "MAX_CHILDREN", "MAX_LINES", "MAX_LINE_AMOUNT", "OMITTABLE", "PLAIN_FIELDS", "Action",
    "ActionInput", "ApplicationError", "LineInput", "LineType", "RequestInput", "ResourceType", "Status",
    "StepInput", "available_actions", "check_action", "check_plan", "check_can_delete", "check_can_pay", "form_setting_save",
    "missing_required_fields", "payment_request_act", "payment_request_comment", "payment_request_create",
    "payment_request_delete", "payment_request_pay", "payment_request_unpay", "payment_request_update",
    "receipts_upload",
    "route_delete", "route_save",
]
