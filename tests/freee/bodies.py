"""Realistic freee response bodies, shaped after the published OpenAPI schemas (and checked against them in
test_schemas_contract.py). Functions, so each test gets a fresh copy it may mutate."""

from __future__ import annotations

from typing import Any

COMPANY_ID = 1234567
USER_ID = 4001

Body = dict[str, Any]


def companies() -> Body:
    return {"companies": [
        {"id": COMPANY_ID, "name": "株式会社サンプル商事", "name_kana": "カブシキガイシャサンプルショウジ",
         "display_name": "サンプル商事", "company_number": "2233445566", "role": "admin"},
        {"id": 7654321, "name": None, "name_kana": None, "display_name": "個人事業 山田太郎",
         "company_number": "9988776655", "role": "read_only"},
    ]}


def _fiscal_year() -> Body:
    return {"id": 301, "use_industry_template": False, "indirect_write_off_method": False,
            "start_date": "2026-04-01", "end_date": "2027-03-31", "depreciation_record_method": 0,
            "tax_method": 0, "sales_tax_business_code": 1, "tax_fraction": 0, "tax_account_method": 0,
            "return_code": 0, "is_closed": False, "month_end_date": None, "temp_month_end_date": None}


def company(**extra: Any) -> Body:
    return {"company": {
        "id": COMPANY_ID, "name": "株式会社サンプル商事", "name_kana": "カブシキガイシャサンプルショウジ",
        "display_name": "サンプル商事", "tax_at_source_calc_type": 0, "contact_name": "経理 花子",
        "head_count": 12, "corporate_number": "1234567890123", "txn_number_format": "not_used",
        "default_wallet_account_id": None, "private_settlement": False, "minus_format": 0, "org_code": 1,
        "company_number": "2233445566", "role": "admin", "phone1": "03-1234-5678", "phone2": None, "fax": None,
        "zipcode": "141-0031", "prefecture_code": 12, "street_name1": "品川区西五反田2-8-1",
        "street_name2": "五反田ファーストビル9F", "invoice_layout": "default_classic", "amount_fraction": 0,
        "use_partner_code": True, "industry_class": "it", "industry_code": "software_development",
        "workflow_setting": "enable", "fiscal_years": [_fiscal_year()], **extra,
    }}


def company_with_masters() -> Body:
    return company(
        account_items=[{"id": 101, "name": "売上高", "shortcut": "URIAGE", "categories": ["収入", "売上高"]}],
        tax_codes=[{"code": 129, "name": "sales_with_tax_10", "name_ja": "課税売上10%"}],
        partners=[{"id": 201, "code": "P001", "name": "株式会社取引先A", "shortcut1": "TORIA", "shortcut2": None}],
        walletables=[{"id": 501, "name": "みずほ銀行 普通", "type": "bank_account"}],
    )


def users_me(*, with_companies: bool = False) -> Body:
    user: Body = {"id": USER_ID, "email": "hanako@example.co.jp", "display_name": "経理 花子",
                  "first_name": "花子", "last_name": "経理", "first_name_kana": "ハナコ", "last_name_kana": "ケイリ"}
    if with_companies:
        user["companies"] = [{"id": COMPANY_ID, "display_name": "サンプル商事", "role": "admin",
                              "use_custom_role": False, "advisor_id": None}]
    return {"user": user}


def company_users() -> Body:
    """GET /api/1/users: two members, the second without names (freee sends null)."""
    return {"users": [
        {"id": USER_ID, "email": "hanako@example.co.jp", "display_name": "経理 花子", "first_name": "花子",
         "last_name": "経理", "first_name_kana": "ハナコ", "last_name_kana": "ケイリ"},
        {"id": USER_ID + 1, "email": "ichiro@example.co.jp", "display_name": None, "first_name": None,
         "last_name": None, "first_name_kana": None, "last_name_kana": None},
    ]}


def partner(**overrides: Any) -> Body:
    return {
        "id": 201, "code": "P001", "company_id": COMPANY_ID, "name": "株式会社取引先A", "update_date": "2026-05-20",
        "available": True, "shortcut1": "TORIA", "shortcut2": None, "org_code": 1, "country_code": "JP",
        "long_name": "株式会社取引先A 東京本社", "name_kana": "カブシキガイシャトリヒキサキエー",
        "default_title": "御中",
        "phone": "03-0000-1111", "contact_name": "営業部 佐藤", "email": "sato@torihiki-a.example.jp",
        "payer_walletable_id": None, "transfer_fee_handling_side": "payer", "qualified_invoice_issuer": True,
        "invoice_registration_number": "T1234567890123",
        "address_attributes": {"zipcode": "100-0001", "prefecture_code": 12, "street_name1": "千代田区千代田1-1",
                               "street_name2": None},
        "partner_doc_setting_attributes": {"sending_method": "email"},
        "partner_bank_account_attributes": {
            "bank_name": "みずほ銀行", "bank_name_kana": "ﾐｽﾞﾎ", "bank_code": "0001", "branch_name": "東京営業部",
            "branch_kana": "ﾄｳｷﾖｳ", "branch_code": "001", "account_type": "ordinary", "account_number": "1234567",
            "account_name": "ｶ)ﾄﾘﾋｷｻｷｴｰ", "long_account_name": "株式会社取引先A"},
        **overrides,
    }


def partners() -> Body:
    minimal = {"id": 202, "code": None, "company_id": COMPANY_ID, "name": "山田商店", "update_date": "2026-06-01",
               "available": True}
    return {"partners": [partner(), minimal]}


def account_items() -> Body:
    return {"account_items": [
        {"id": 101, "name": "売上高", "tax_code": 129, "shortcut": "URIAGE", "shortcut_num": "500", "code": None,
         "default_tax_code": 129, "account_category": "売上高", "account_category_id": 31,
         "categories": ["収入", "売上高"], "available": True, "walletable_id": None, "group_name": "売上高",
         "group_id": 41, "corresponding_income_name": "売掛金", "corresponding_income_id": 111,
         "corresponding_expense_name": "買掛金", "corresponding_expense_id": 112, "update_date": "2026-04-01"},
        {"id": 111, "name": "売掛金", "tax_code": 2, "shortcut": None, "shortcut_num": None,
         "default_tax_code": 2, "account_category": "売上債権", "account_category_id": 5,
         "categories": ["資産", "流動資産", "売上債権"], "available": True, "walletable_id": None, "group_name": None,
         "group_id": None, "corresponding_income_name": None, "corresponding_income_id": None,
         "corresponding_expense_name": None, "corresponding_expense_id": None, "update_date": "2026-04-01"},
    ]}


def taxes() -> Body:
    return {"taxes": [
        {"code": 129, "name": "sales_with_tax_10", "name_ja": "課税売上10%", "display_category": "tax_10",
         "available": True},
        {"code": 2, "name": "non_taxable", "name_ja": "対象外", "display_category": None, "available": True},
    ]}


def walletables() -> Body:
    return {"walletables": [
        {"id": 501, "name": "みずほ銀行 普通", "bank_id": 1, "type": "bank_account", "update_date": "2026-05-01",
         "last_balance": 1520000, "walletable_balance": 1500000},
        {"id": 502, "name": "現金", "bank_id": None, "type": "wallet", "update_date": "2026-04-01"},
    ]}


def deal(**overrides: Any) -> Body:
    return {
        "id": 9001, "company_id": COMPANY_ID, "issue_date": "2026-06-30", "due_date": "2026-07-31",
        "amount": 110000, "due_amount": 110000, "type": "income", "partner_id": 201, "partner_code": "P001",
        "ref_number": "CRM-DEAL-42", "status": "unsettled", "deal_origin_name": "API",
        "details": [{"id": 9101, "account_item_id": 101, "tax_code": 129, "partner_id": 201, "partner_code": "P001",
                     "item_id": None, "section_id": None, "tag_ids": [], "amount": 110000, "vat": 10000,
                     "description": "システム開発費 6月分", "entry_side": "credit"}],
        "payments": [],
        "receipts": [],
        **overrides,
    }


def settled_deal() -> Body:
    return deal(status="settled", due_amount=0,
                payments=[{"id": 9201, "date": "2026-07-31", "from_walletable_type": "bank_account",
                           "from_walletable_id": 501, "amount": 110000}])


def tag(**overrides: Any) -> Body:
    return {"id": 31, "company_id": COMPANY_ID, "name": "案件: 基幹システム刷新", "update_date": "2026-06-30",
            "shortcut1": None, "shortcut2": None, **overrides}


def deals(total_count: int = 2) -> Body:
    return {"deals": [deal(), settled_deal() | {"id": 9002}], "meta": {"total_count": total_count}}


def invoice_summary(**overrides: Any) -> Body:
    return {
        "id": 5001, "company_id": COMPANY_ID, "invoice_number": "INV-0000123", "subject": "6月分 システム開発費",
        "template_id": 11, "billing_date": "2026-06-30", "issue_date": "2026-06-30", "payment_date": "2026-07-31",
        "payment_type": "transfer", "memo": "CRM deal #42", "sending_status": "unsent",
        "payment_status": "unsettled", "cancel_status": "uncanceled", "deal_status": "unregistered",
        "deal_id": None, "total_amount": 110000, "amount_withholding_tax": 0, "amount_including_tax": 110000,
        "amount_excluding_tax": 100000, "amount_tax": 10000, "amount_brought_forward": None, "partner_id": 201,
        "partner_code": "P001", "partner_name": "株式会社取引先A", "partner_display_name": "株式会社取引先A",
        "company_contact_name": "経理 花子", "email_url_file_downloaded_at": None,
        "email_url_file_downloaded_status": "undownloaded",
        "report_url": "https://invoice.secure.freee.co.jp/reports/invoices/5001", "sales_management_origin": False,
        **overrides,
    }


def invoices() -> Body:
    settled = invoice_summary(id=5002, invoice_number="INV-0000124", sending_status="sent",
                              payment_status="settled", deal_status="registered", deal_id=9001,
                              report_url="https://invoice.secure.freee.co.jp/reports/invoices/5002")
    return {"invoices": [invoice_summary(), settled]}


def invoice(*, with_account_fields: bool = True, **overrides: Any) -> Body:
    line: Body = {"id": 7001, "type": "item", "description": "システム開発費 6月分", "sales_date": "2026-06-30",
                  "unit": "式", "quantity": 1, "unit_price": "100000", "tax_rate": 10, "reduced_tax_rate": False,
                  "withholding": False, "amount_excluding_tax": 100000}
    if with_account_fields:
        line |= {"account_item_id": 101, "tax_code": 129, "item_id": None, "section_id": None, "tag_ids": [],
                 "segment_1_tag_id": None}
    text_line = {"id": 7002, "type": "text", "description": "※納品書は別送いたします", "sales_date": None,
                 "quantity": None, "unit_price": None, "tax_rate": None, "withholding": False,
                 "amount_excluding_tax": None}
    summary = invoice_summary()
    for list_only in ("email_url_file_downloaded_at",):
        summary.pop(list_only)
    return {"invoice": summary | {
        "branch_no": None, "template_name": "請求書（標準）",
        "invoice_note": "お振込手数料は貴社負担にてお願いいたします。",
        "tax_entry_method": "out", "tax_fraction": "omit", "line_amount_fraction": "omit",
        "withholding_tax_entry_method": "out", "created_at": "2026-06-30 10:15:00",
        "amount_including_tax_10": 110000, "amount_excluding_tax_10": 100000, "amount_tax_10": 10000,
        "amount_including_tax_8": None, "amount_excluding_tax_8": None, "amount_tax_8": None,
        "partner_title": "御中", "partner_contact_name": "営業部 佐藤",
        "company_name": "株式会社サンプル商事",
        "template": {"title": "請求書", "invoice_registration_number": "T1234567890123",
                     "company_name": "株式会社サンプル商事",
                     "company_description": "〒141-0031 東京都品川区西五反田2-8-1",
                     "bank_account_to_transfer": "みずほ銀行 東京営業部 普通 1234567",
                     "message": "下記の通りご請求申し上げます。"},
        "lines": [line, text_line],
        **overrides,
    }}


def invoice_cancel_status(cancel_status: str = "canceled") -> Body:
    return {"invoice": {"id": 5001, "cancel_status": cancel_status}}


def invoice_templates() -> Body:
    return {"templates": [{"id": 11, "name": "請求書（標準）"}, {"id": 12, "name": "請求書（源泉徴収あり）"}]}


def _approvers(status: str = "initial") -> list[Body]:
    return [{"step_id": 81, "user_id": 4002, "status": status, "is_force_action": False,
             "resource_type": "predefined_user"}]


def payment_request_list_item(**overrides: Any) -> Body:
    return {
        "id": 6001, "company_id": COMPANY_ID, "title": "外注費（株式会社取引先A）6月分",
        "application_date": "2026-06-25",
        "total_amount": 55000, "status": "in_progress", "deal_id": None, "deal_status": None,
        "applicant_id": USER_ID, "approvers": _approvers(), "application_number": "12",
        "current_step_id": 81, "current_round": 0, "document_code": "A-2026-06", "issue_date": "2026-06-20",
        "payment_date": "2026-07-31", "payment_method": "domestic_bank_transfer", "partner_id": 201,
        "partner_code": "P001", "partner_name": "株式会社取引先A", "qualified_invoice_status": "qualified",
        "input_mode": "inclusive", **overrides,
    }


def payment_requests() -> Body:
    approved = payment_request_list_item(id=6002, status="approved", deal_id=9003, deal_status="unsettled",
                                         approvers=_approvers("approved"), current_step_id=None)
    return {"payment_requests": [payment_request_list_item(), approved]}


def payment_request(**overrides: Any) -> Body:
    item = payment_request_list_item()
    item.pop("input_mode")
    return {"payment_request": item | {
        "description": "crm:payment-request:17", "approval_flow_route_id": 71,
        "payment_request_lines": [
            {"id": 6101, "line_type": "deal_line", "description": "デザイン制作費", "amount": 55000,
             "account_item_id": 121, "tax_code": 136, "item_id": None, "section_id": None, "tag_ids": []},
        ],
        "comments": [{"comment": "請求書を添付しました", "user_id": USER_ID, "posted_at": "2026-06-25T09:30:00+09:00"}],
        "approval_flow_logs": [{"action": "apply", "user_id": USER_ID, "updated_at": "2026-06-25T09:30:00+09:00"}],
        "receipt_ids": [], "bank_name": "", "bank_name_kana": "", "bank_code": "", "branch_name": "",
        "branch_kana": "", "branch_code": "", "account_type": "ordinary", "account_number": "", "account_name": "",
        **overrides,
    }}


def approval_flow_routes() -> Body:
    return {"approval_flow_routes": [
        {"id": 71, "name": "支払依頼 標準経路", "description": "部長承認", "user_id": None, "definition_system": False,
         "first_step_id": 81, "usages": ["PaymentRequest"], "request_form_ids": [], "default_route": True},
        {"id": 72, "name": "稟議", "description": "", "user_id": USER_ID, "definition_system": True,
         "first_step_id": 91, "usages": ["ApprovalRequest", "PurchaseRequest"], "request_form_ids": [3],
         "default_route": False},
    ]}


def approval_flow_route(*, switchable: bool = False) -> Body:
    first = {"id": 81, "next_step_id": 82, "resource_type": "predefined_user", "users_ids": [4002],
             "approver_determination_type": None, "group": None, "position_types": [], "switching_rules": []}
    second = {"id": 82, "next_step_id": None, "resource_type": "and_position", "users_ids": [],
              "approver_determination_type": "applicant_group", "group": {"id": 61, "name": "営業部"},
              "position_types": [{"id": 5, "name": "部長"}], "switching_rules": []}
    if switchable:
        first = first | {"resource_type": "switchable", "users_ids": [], "switching_rules": [
            {"next_step_id": 82, "conditions": [{"switch_evaluation_key": "total_amount_jpy",
                                                 "operator": "greater_than_or_equal", "values": ["100000"]}]}]}
    return {"approval_flow_route": {
        "id": 71, "name": "支払依頼 標準経路", "description": "部長承認", "user_id": None, "definition_system": False,
        "first_step_id": 81, "usages": ["PaymentRequest"], "request_form_ids": [], "steps": [first, second],
    }}
