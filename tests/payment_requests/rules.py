"""Seed 004's rules as ONE table (item 3): each row names the request's status, who acts, what they do and
with which fields, and the outcome — checks on success, or the exact Japanese error message.

tests/payment_requests/test_rules_table.py runs every row twice: against payment_requests.services and
against the REST API (/api/v1/payment_requests/...). The `seed` column names the line of seed 004's
ユースケース別ポイント table the row covers; test_every_seed_point_is_covered checks none is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Each point of seed 004's ユースケース別ポイント table (use case / condition).
SEED_POINTS = {
    "parent.approved_only": "parent_idに申請ステータスがapprovedの各種申請を指定すること",
    "parent.no_trade": "各種申請から取引を作成している場合parent_idに指定できない",
    "parent.no_manual_journal": "各種申請から振伝を作成している場合parent_idに指定できない",
    "parent.max_15": "各種申請から経費精算、支払依頼、各種申請を合計15件作成している場合parent_idに指定できない",
    "create.draft_required_not_enforced": "下書き: 入力の必須化をした項目を指定せずに申請を作成できる",
    "create.draft_amount_0": "下書き: payment_request_lines.amountに0以上を指定して申請を作成可能",
    "create.applied_required_enforced": "申請中: 入力の必須化をした項目に値を指定しないと申請作成不可",
    "create.applied_payment_method": "申請中: 支払方法を必須にした場合、payment_methodにnone以外を指定しないと申請作成不可",
    "create.applied_amount_1": "申請中: payment_request_lines.amountに1以上を指定して申請を作成可",
    "update.route_draft_feedback_only": "申請経路の変更は申請ステータスがdraft、feedbackの場合のみ可能",
    "update.draft_required_not_enforced": "下書きで更新: 入力の必須化をした項目を指定せずに更新可",
    "update.draft_amount_0": "下書きで更新: amountに0以上を指定して更新可能",
    "update.applied_required_enforced": "申請中に更新: 入力の必須化をした項目に値がないと更新不可（支払方法はnone以外）",
    "update.applied_amount_1": "申請中に更新: amountに1以上を指定して更新可",
    "update.applicant_statuses": "申請者: 申請ステータスがdraft、in_progress、feedbackの場合のみ更新可能",
    "update.applicant_in_progress_ignored": "申請者 in_progress: approval_flow_route_id、approver_id、title、application_dateは無効",
    "update.applicant_in_progress_draft_false": "申請者 in_progress: draftはfalseのみ指定可能",
    "update.applicant_feedback_ignored": "申請者 feedback: title、application_dateは無効",
    "update.applicant_feedback_draft_both": "申請者 feedback: draftはtrue、falseともに指定可能",
    "update.other_statuses": "申請者以外: 申請ステータスがin_progress、feedbackの場合のみ更新可能",
    "update.other_in_progress_ignored": "申請者以外 in_progress: approval_flow_route_id、approver_id、title、application_dateは無効",
    "update.other_in_progress_draft_false": "申請者以外 in_progress: draftはfalseのみ指定可能",
    "update.other_feedback_ignored": "申請者以外 feedback: approval_flow_route_id、approver_id、title、application_dateは無効",
    "update.other_feedback_draft_true": "申請者以外 feedback: draftはtrueのみ指定可能",
    "force_approve.admin_only": "代理承認: 管理者権限のユーザーのみ可",
    "force_approve.not_applicant": "代理承認: 申請者ユーザーは代理承認不可",
    "force_approve.not_step_approver": "代理承認: 対象承認ステップの承認者ユーザーは代理承認不可",
    "force_feedback.statuses": "承認済み・却下済みを取り消す: 申請ステータスがapproved、rejectedの場合のみ可",
    "force_feedback.admin_only": "承認済み・却下済みを取り消す: 管理者権限のユーザーのみ可能",
    "force_feedback.approvers_unchanged": "flowに対する強制的な操作なのでapproverのstatusは書き換えません",
    "force_feedback.unspecified_adds_admin": "resource_type=unspecifiedの申請はapproversに取り消したユーザーが追加される",
    "force_feedback.others_not_added": "resource_typeがunspecified以外の申請はapproversには追加されない",
    "force_feedback.logs": "誰が承認/却下/差しもどし/取り消しをしたかはapproval_flow_logsで判断する",
    "approve.step_approver_only": "承認: 対象承認ステップの承認者ユーザーのみ可能",
    "approve.final_needs_masters": "承認: account_item_id、tax_code未設定の行がある場合、最終承認者は承認できない",
    "approve.earlier_without_masters": "承認: account_item_id、tax_code未設定の行がある場合、最終承認者以外は承認可能",
    "reject.step_approver_only": "却下: 対象承認ステップの承認者ユーザーのみ可能",
    "feedback.step_approver_only": "差戻し: 対象承認ステップの承認者ユーザーのみ可能",
    "cancel.applicant_only": "取消: 申請者ユーザーのみ可能",
    "delete.applicant_statuses": "申請者の削除: 申請ステータスがdraft、feedbackの場合のみ可能",
    "delete.other_feedback_only": "申請者以外の削除: 申請ステータスがfeedbackの場合のみ可能",
    "delete.other_admin_only": "申請者以外の削除: 管理者権限のユーザーのみ可能",
    "tax.deal_line_expense": "税区分: 「支出の登録」で検索可能な税区分のみdeal_line行に設定できる",
    "tax.withholding_income": "税区分: 「収入の登録」にチェックが入った税区分のみwithholding_tax行に設定できる",
    "action.target_step_round": "アクションは target_step_id / target_round で現在の承認ステップ・ラウンドを指定する",
}

OK = "ok"


@dataclass(frozen=True)
class Row:
    """status: the request's status before (None for create; "in_progress@2" = at the route's 2nd step).
    actor: applicant | approver (current step) | final_approver (step 2) | route_approver (on the route, not
    current) | admin | other. op: create | update | delete | an approval action.
    fields: what the actor sends, plus set-up keys (setup_*). expect: OK with `checks`, or the error message."""

    seed: str
    status: str | None
    actor: str
    op: str
    fields: dict = field(default_factory=dict)
    expect: str = OK
    checks: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.seed}:{self.status}:{self.actor}:{self.op}:{'ok' if self.expect == OK else 'error'}"


M_PARENT_APPROVED = "親申請（parent_id）には申請ステータスがapproved（承認済み）の申請のみ指定できます。"
M_PARENT_TRADE = "取引を作成済みの申請は親申請（parent_id）に指定できません。"
M_PARENT_JOURNAL = "振替伝票を作成済みの申請は親申請（parent_id）に指定できません。"
M_PARENT_15 = "この申請からはすでに合計15件の申請が作成されているため、親申請（parent_id）に指定できません。"
M_REQUIRED = "申請フォームの設定で入力が必須の項目を入力してください: 請求書番号"
M_PAYMENT_METHOD = ("申請フォームの設定で支払方法が必須のため、支払方法（payment_method）に「指定なし」（none）以外を"
                    "指定してください。")
M_AMOUNT_0 = "明細の金額（payment_request_lines.amount）には0以上を指定してください。"
M_AMOUNT_1 = "申請する場合、明細の金額（payment_request_lines.amount）には1以上を指定してください。"
M_NOT_EDITABLE = "申請ステータスがdraft、in_progress、feedbackの申請のみ更新できます。"
M_OTHER_DRAFT = "申請者以外のユーザーは、申請ステータスがin_progress、feedbackの申請のみ更新できます。"
M_IN_PROGRESS_DRAFT = "申請中（in_progress）の申請を更新する場合、draftにはfalseのみ指定できます。"
M_OTHER_FEEDBACK_DRAFT = "申請者以外のユーザーが差戻し（feedback）の申請を更新する場合、draftにはtrueのみ指定できます。"
M_FORCE_APPROVE_ADMIN = "代理承認（force_approve）は管理者権限を持つユーザーのみ実行できます。"
M_FORCE_APPROVE_APPLICANT = "申請者ユーザーは代理承認（force_approve）できません。"
M_FORCE_APPROVE_APPROVER = "対象承認ステップの承認者ユーザーは代理承認（force_approve）できません。承認（approve）してください。"
M_FORCE_FEEDBACK_STATUS = ("承認済み・却下済みの取消（force_feedback）は、申請ステータスがapproved、rejectedの申請のみ"
                           "実行できます。")
M_FORCE_FEEDBACK_ADMIN = "承認済み・却下済みの取消（force_feedback）は管理者権限を持つユーザーのみ実行できます。"
M_APPROVE = "承認は対象承認ステップの承認者ユーザーのみ実行できます。"
M_REJECT = "却下は対象承認ステップの承認者ユーザーのみ実行できます。"
M_FEEDBACK = "差戻しは対象承認ステップの承認者ユーザーのみ実行できます。"
M_FINAL_MASTERS = ("勘定科目・税区分が未設定の行があるため、最終承認者は承認できません。すべての行に勘定科目と税区分を"
                   "設定してください。")
M_CANCEL = "申請の取消（cancel）は申請者のみ実行できます。"
M_DELETE_APPLICANT = "申請者は、申請ステータスがdraft、feedbackの申請のみ削除できます。"
M_DELETE_OTHER_STATUS = "申請者以外のユーザーは、申請ステータスがfeedbackの申請のみ削除できます。"
M_DELETE_OTHER_ADMIN = "申請者以外のユーザーが申請を削除するには管理者権限が必要です。"
M_TAX_DEAL = "通常行・控除行には「支出の登録」で使用できる税区分のみ設定できます（課税売上10% は設定できません）。"
M_TAX_WITHHOLDING = "源泉所得税行には「収入の登録」で使用できる税区分のみ設定できます（課対仕入10% は設定できません）。"
M_STALE = ("この申請は他の操作で更新されています（target_step_id / target_round が現在の承認ステップ・ラウンドと"
           "一致しません）。画面を再読み込みしてから操作してください。")
M_ACTION_STATUS = "この操作は申請ステータスがin_progress（申請中）の申請のみ実行できます。"
M_WITHHOLDING_ONCE = "源泉所得税行（withholding_tax）は1行までです。"
M_DEAL_LINE = "通常行（deal_line）を1行以上含めてください。控除・マイナス行や源泉所得税行だけでは作成できません。"
M_TOTAL = "申請する場合、通常行の合計金額は控除・マイナス行と源泉所得税行の合計金額より大きくしてください。"
M_APPROVER_REQUIRED = "この承認ステップは承認者を指定する経路です。approver_id に承認者を指定してください。"
M_OTHER_UPDATE = "この申請を更新できるのは、申請者・申請経路の承認者・管理者のみです。"

NEW_TITLE = "変更後のタイトル"
ORIGINAL_TITLE = "外注費の支払い"

ROWS = [
    # ---- 申請をする (POST): parent requests
    Row("parent.approved_only", None, "applicant", "create", {"parent": "approved"}, OK, {"status": "in_progress"}),
    Row("parent.approved_only", None, "applicant", "create", {"parent": "in_progress"}, M_PARENT_APPROVED),
    Row("parent.approved_only", None, "applicant", "create", {"parent": "feedback"}, M_PARENT_APPROVED),
    Row("parent.no_trade", None, "applicant", "create", {"parent": "trade"}, M_PARENT_TRADE),
    Row("parent.no_manual_journal", None, "applicant", "create", {"parent": "manual_journal"}, M_PARENT_JOURNAL),
    Row("parent.max_15", None, "applicant", "create", {"parent": "children_15"}, M_PARENT_15),
    Row("parent.max_15", None, "applicant", "create", {"parent": "children_14"}, OK, {"status": "in_progress"}),
    # ---- 下書き / 申請中 で作成
    Row("create.draft_required_not_enforced", None, "applicant", "create",
        {"draft": True, "payment_method": "none", "setup_required": ["payment_method", "document_code"]}, OK,
        {"status": "draft", "round": 0}),
    Row("create.draft_amount_0", None, "applicant", "create", {"draft": True, "amount": 0}, OK, {"status": "draft"}),
    Row("create.draft_amount_0", None, "applicant", "create", {"draft": True, "amount": -1}, M_AMOUNT_0),
    Row("create.applied_required_enforced", None, "applicant", "create",
        {"setup_required": ["document_code"]}, M_REQUIRED),
    Row("create.applied_required_enforced", None, "applicant", "create",
        {"setup_required": ["document_code"], "document_code": "INV-001"}, OK, {"status": "in_progress"}),
    Row("create.applied_payment_method", None, "applicant", "create", {"payment_method": "none"}, M_PAYMENT_METHOD),
    Row("create.applied_amount_1", None, "applicant", "create", {"amount": 0}, M_AMOUNT_1),
    Row("create.applied_amount_1", None, "applicant", "create", {"amount": 1}, OK,
        {"status": "in_progress", "round": 1, "step": 1}),
    Row("create.applied_amount_1", None, "applicant", "create",
        {"lines": [("deal_line", 1000, "expense"), ("withholding_tax", 1000, "nontax")]}, M_TOTAL),
    Row("create.applied_amount_1", None, "applicant", "create",
        {"lines": [("negative_line", 1000, "expense")], "draft": True}, M_DEAL_LINE),
    Row("create.applied_amount_1", None, "applicant", "create",
        {"lines": [("deal_line", 100000, "expense"), ("withholding_tax", 100, "nontax"),
                   ("withholding_tax", 100, "nontax")]}, M_WITHHOLDING_ONCE),
    Row("create.applied_amount_1", None, "applicant", "create", {"route": "selected"}, M_APPROVER_REQUIRED),
    # ---- 税区分
    Row("tax.deal_line_expense", None, "applicant", "create", {"lines": [("deal_line", 1000, "income")]}, M_TAX_DEAL),
    Row("tax.deal_line_expense", None, "applicant", "create", {"lines": [("deal_line", 1000, "expense")]}, OK,
        {"status": "in_progress"}),
    Row("tax.withholding_income", None, "applicant", "create",
        {"lines": [("deal_line", 100000, "expense"), ("withholding_tax", 10210, "expense")]}, M_TAX_WITHHOLDING),
    Row("tax.withholding_income", None, "applicant", "create",
        {"lines": [("deal_line", 100000, "expense"), ("withholding_tax", 10210, "nontax")]}, OK,
        {"status": "in_progress", "total": 89790}),
    # ---- 申請を更新する (PUT)
    Row("update.route_draft_feedback_only", "draft", "applicant", "update", {"draft": True, "route": "open"}, OK,
        {"route": "open"}),
    Row("update.route_draft_feedback_only", "feedback", "applicant", "update", {"draft": True, "route": "open"}, OK,
        {"route": "open", "status": "feedback"}),
    Row("update.route_draft_feedback_only", "in_progress", "applicant", "update", {"route": "open"}, OK,
        {"route": "route"}),
    Row("update.draft_required_not_enforced", "draft", "applicant", "update",
        {"draft": True, "payment_method": "none"}, OK, {"status": "draft"}),
    Row("update.draft_amount_0", "draft", "applicant", "update", {"draft": True, "amount": 0}, OK,
        {"status": "draft", "total": 0}),
    Row("update.applied_required_enforced", "draft", "applicant", "update", {"payment_method": "none"},
        M_PAYMENT_METHOD),
    Row("update.applied_required_enforced", "in_progress", "applicant", "update",
        {"setup_required": ["document_code"]}, M_REQUIRED),
    Row("update.applied_amount_1", "in_progress", "applicant", "update", {"amount": 0}, M_AMOUNT_1),
    Row("update.applied_amount_1", "draft", "applicant", "update", {"amount": 1}, OK,
        {"status": "in_progress", "round": 1}),
    Row("update.applicant_statuses", "draft", "applicant", "update", {"draft": True, "title": NEW_TITLE}, OK,
        {"title": NEW_TITLE, "status": "draft"}),
    Row("update.applicant_statuses", "approved", "applicant", "update", {}, M_NOT_EDITABLE),
    Row("update.applicant_statuses", "rejected", "applicant", "update", {}, M_NOT_EDITABLE),
    Row("update.applicant_in_progress_ignored", "in_progress", "applicant", "update",
        {"title": NEW_TITLE, "route": "open", "application_date": "2026-05-01", "amount": 220000}, OK,
        {"title": ORIGINAL_TITLE, "route": "route", "total": 220000, "status": "in_progress",
         "application_date_unchanged": True}),
    Row("update.applicant_in_progress_draft_false", "in_progress", "applicant", "update", {"draft": True},
        M_IN_PROGRESS_DRAFT),
    Row("update.applicant_feedback_ignored", "feedback", "applicant", "update",
        {"title": NEW_TITLE, "application_date": "2026-05-01", "draft": True}, OK,
        {"title": ORIGINAL_TITLE, "application_date_unchanged": True}),
    Row("update.applicant_feedback_draft_both", "feedback", "applicant", "update", {"draft": True}, OK,
        {"status": "feedback"}),
    Row("update.applicant_feedback_draft_both", "feedback", "applicant", "update", {"draft": False}, OK,
        {"status": "in_progress", "round": 2, "step": 1}),
    Row("update.other_statuses", "draft", "approver", "update", {"draft": True}, M_OTHER_DRAFT),
    Row("update.other_statuses", "approved", "approver", "update", {}, M_NOT_EDITABLE),
    Row("update.other_statuses", "in_progress", "other", "update", {}, M_OTHER_UPDATE),
    Row("update.other_in_progress_ignored", "in_progress", "approver", "update",
        {"title": NEW_TITLE, "route": "open", "application_date": "2026-05-01", "amount": 330000}, OK,
        {"title": ORIGINAL_TITLE, "route": "route", "total": 330000, "application_date_unchanged": True}),
    Row("update.other_in_progress_draft_false", "in_progress", "approver", "update", {"draft": True},
        M_IN_PROGRESS_DRAFT),
    Row("update.other_feedback_ignored", "feedback", "admin", "update",
        {"title": NEW_TITLE, "route": "open", "application_date": "2026-05-01", "draft": True}, OK,
        {"title": ORIGINAL_TITLE, "route": "route", "status": "feedback", "application_date_unchanged": True}),
    Row("update.other_feedback_draft_true", "feedback", "admin", "update", {"draft": False}, M_OTHER_FEEDBACK_DRAFT),
    Row("update.other_feedback_draft_true", "feedback", "approver", "update", {"draft": True}, OK,
        {"status": "feedback"}),
    # ---- 申請に対してアクションする (POST .../actions)
    Row("force_approve.admin_only", "in_progress", "admin", "force_approve", {}, OK,
        {"status": "in_progress", "step": 2, "log": ("force_approve", "admin"), "force_slot": True}),
    Row("force_approve.admin_only", "in_progress", "route_approver", "force_approve", {}, M_FORCE_APPROVE_ADMIN),
    Row("force_approve.not_applicant", "in_progress", "admin", "force_approve", {"setup_applicant": "admin"},
        M_FORCE_APPROVE_APPLICANT),
    Row("force_approve.not_step_approver", "in_progress", "approver", "force_approve",
        {"setup_approver_is_admin": True}, M_FORCE_APPROVE_APPROVER),
    Row("force_feedback.statuses", "approved", "admin", "force_feedback", {}, OK,
        {"status": "feedback", "log": ("force_feedback", "admin")}),
    Row("force_feedback.statuses", "rejected", "admin", "force_feedback", {}, OK, {"status": "feedback"}),
    Row("force_feedback.statuses", "in_progress", "admin", "force_feedback", {}, M_FORCE_FEEDBACK_STATUS),
    Row("force_feedback.admin_only", "approved", "applicant", "force_feedback", {}, M_FORCE_FEEDBACK_ADMIN),
    Row("force_feedback.admin_only", "approved", "final_approver", "force_feedback", {}, M_FORCE_FEEDBACK_ADMIN),
    Row("force_feedback.approvers_unchanged", "approved", "admin", "force_feedback", {}, OK,
        {"approver_statuses": ["approved", "approved"], "admin_in_approvers": False}),
    Row("force_feedback.unspecified_adds_admin", "approved", "admin", "force_feedback", {"setup_route": "open"}, OK,
        {"status": "feedback", "admin_in_approvers": True, "approver_statuses_include": "approved"}),
    Row("force_feedback.others_not_added", "rejected", "admin", "force_feedback", {}, OK,
        {"admin_in_approvers": False, "approver_statuses": ["rejected", "initial"]}),
    Row("force_feedback.logs", "approved", "admin", "force_feedback", {}, OK,
        {"logs": [("apply", "applicant"), ("approve", "approver"), ("approve", "final_approver"),
                  ("force_feedback", "admin")]}),
    Row("approve.step_approver_only", "in_progress", "approver", "approve", {}, OK,
        {"status": "in_progress", "step": 2, "log": ("approve", "approver")}),
    Row("approve.step_approver_only", "in_progress", "route_approver", "approve", {}, M_APPROVE),
    Row("approve.step_approver_only", "in_progress", "applicant", "approve", {}, M_APPROVE),
    Row("approve.step_approver_only", "in_progress", "admin", "approve", {}, M_APPROVE),
    Row("approve.step_approver_only", "in_progress", "other", "approve", {"setup_route": "open"}, OK,
        {"status": "approved"}),
    Row("approve.step_approver_only", "in_progress", "applicant", "approve", {"setup_route": "open"}, M_APPROVE),
    Row("approve.final_needs_masters", "in_progress@2", "final_approver", "approve", {"setup_masters": False},
        M_FINAL_MASTERS),
    Row("approve.final_needs_masters", "in_progress@2", "final_approver", "approve", {}, OK,
        {"status": "approved", "ledger_queued": True}),
    Row("approve.earlier_without_masters", "in_progress", "approver", "approve", {"setup_masters": False}, OK,
        {"status": "in_progress", "step": 2}),
    Row("reject.step_approver_only", "in_progress", "approver", "reject", {}, OK,
        {"status": "rejected", "approver_statuses": ["rejected", "initial"]}),
    Row("reject.step_approver_only", "in_progress", "final_approver", "reject", {}, M_REJECT),
    Row("reject.step_approver_only", "in_progress", "applicant", "reject", {}, M_REJECT),
    Row("feedback.step_approver_only", "in_progress", "approver", "feedback", {}, OK,
        {"status": "feedback", "step": None}),
    Row("feedback.step_approver_only", "in_progress", "admin", "feedback", {}, M_FEEDBACK),
    Row("cancel.applicant_only", "in_progress", "applicant", "cancel", {}, OK, {"status": "draft", "step": None}),
    Row("cancel.applicant_only", "in_progress", "approver", "cancel", {}, M_CANCEL),
    Row("cancel.applicant_only", "in_progress", "admin", "cancel", {}, M_CANCEL),
    Row("action.target_step_round", "in_progress", "approver", "approve", {"stale": "round"}, M_STALE),
    Row("action.target_step_round", "in_progress@2", "final_approver", "approve", {"stale": "step"}, M_STALE),
    Row("action.target_step_round", "draft", "applicant", "cancel", {}, M_ACTION_STATUS),
    # ---- 申請を削除する (DELETE)
    Row("delete.applicant_statuses", "draft", "applicant", "delete", {}, OK, {"deleted": True}),
    Row("delete.applicant_statuses", "feedback", "applicant", "delete", {}, OK, {"deleted": True}),
    Row("delete.applicant_statuses", "in_progress", "applicant", "delete", {}, M_DELETE_APPLICANT),
    Row("delete.applicant_statuses", "approved", "applicant", "delete", {}, M_DELETE_APPLICANT),
    Row("delete.other_feedback_only", "feedback", "admin", "delete", {}, OK, {"deleted": True}),
    Row("delete.other_feedback_only", "in_progress", "admin", "delete", {}, M_DELETE_OTHER_STATUS),
    Row("delete.other_feedback_only", "draft", "admin", "delete", {}, M_DELETE_OTHER_STATUS),
    Row("delete.other_admin_only", "feedback", "approver", "delete", {}, M_DELETE_OTHER_ADMIN),
]
