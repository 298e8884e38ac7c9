"""The default Japanese chart of accounts, tax codes and wallets seeded for every tenant (idempotently).

Tax codes are freee's numbers: 2 対象外, 23 非課売上, 37 非課仕入, 129/136 課税売上10%・課対仕入10%,
156/163 課税売上8%（軽）・課対仕入8%（軽） (the sandbox's master), and 101 課税売上8% (seed 002's example).
A connected freee company replaces them with its own through the import (journals/freee_import.py).
"""

from __future__ import annotations

from django.db import transaction

from journals.models import AccountItem, LedgerSettings, TaxCode, Wallet

# (code, name, name_ja, rate, reduced, income, expense)
TAX_CODES = [
    (2, "non_taxable", "対象外", 0, False, True, True),
    (23, "sales_without_tax", "非課売上", 0, False, True, False),
    (37, "purchase_without_tax", "非課仕入", 0, False, False, True),
    (101, "sales_with_tax_8", "課税売上8%", 8, False, True, False),
    (129, "sales_with_tax_10", "課税売上10%", 10, False, True, False),
    (136, "purchase_with_tax_10", "課対仕入10%", 10, False, False, True),
    (156, "sales_with_tax_r8", "課税売上8%（軽）", 8, True, True, False),
    (163, "purchase_with_tax_r8", "課対仕入8%（軽）", 8, True, False, True),
]

A, L, E, R, X = (AccountItem.Category.ASSET, AccountItem.Category.LIABILITY, AccountItem.Category.EQUITY,
                 AccountItem.Category.REVENUE, AccountItem.Category.EXPENSE)
Role = AccountItem.Role

# (name, shortcut, category, freee account_category, role, counterpart name, default tax code)
ACCOUNT_ITEMS = [
    ("現金", "GENKIN", A, "現金・預金", Role.CASH, None, 2),
    ("普通預金", "FUTSUU", A, "現金・預金", Role.DEPOSIT, None, 2),
    ("当座預金", "TOUZA", A, "現金・預金", "", None, 2),
    ("売掛金", "URIKAKE", A, "売上債権", Role.RECEIVABLE, None, 2),
    ("未収入金", "MISHUU", A, "他流動資産", "", None, 2),
    ("前払金", "MAEBARAI", A, "他流動資産", "", None, 2),
    ("仮払金", "KARIBARAIKIN", A, "他流動資産", "", None, 2),
    ("仮払消費税", "KARIBARAI", A, "他流動資産", Role.TAX_PAID, None, 2),
    ("工具器具備品", "KIGU", A, "有形固定資産", "", "未払金", 136),
    ("買掛金", "KAIKAKE", L, "仕入債務", Role.PAYABLE, None, 2),
    ("未払金", "MIBARAI", L, "他流動負債", Role.ACCRUED, None, 2),
    ("未払費用", "MIBARAIHIYOU", L, "他流動負債", "", None, 2),
    ("前受金", "MAEUKE", L, "他流動負債", "", None, 2),
    ("預り金", "AZUKARI", L, "他流動負債", Role.WITHHOLDING, None, 2),
    ("仮受消費税", "KARIUKE", L, "他流動負債", Role.TAX_RECEIVED, None, 2),
    ("未払法人税等", "MIBARAIHOUJIN", L, "他流動負債", "", None, 2),
    ("短期借入金", "TANKIKARI", L, "他流動負債", "", None, 2),
    ("長期借入金", "CHOUKIKARI", L, "固定負債", "", None, 2),
    ("資本金", "SHIHON", E, "資本金", "", None, 2),
    ("繰越利益剰余金", "KURIKOSHI", E, "利益剰余金", "", None, 2),
    ("売上高", "URIAGE", R, "売上高", Role.SALES, "売掛金", 129),
    ("雑収入", "ZATSUSHUU", R, "営業外収益", "", "未収入金", 129),
    ("受取利息", "UKETORIRISOKU", R, "営業外収益", "", "未収入金", 23),
    ("仕入高", "SHIIRE", X, "売上原価", Role.PURCHASE, "買掛金", 136),
    ("外注費", "GAICHUU", X, "経費", "", "未払金", 136),
    ("給料手当", "KYUURYOU", X, "経費", "", "未払金", 2),
    ("法定福利費", "HOUTEI", X, "経費", "", "未払金", 37),
    ("旅費交通費", "RYOHI", X, "経費", "", "未払金", 136),
    ("通信費", "TSUUSHIN", X, "経費", "", "未払金", 136),
    ("消耗品費", "SHOUMOU", X, "経費", "", "未払金", 136),
    ("会議費", "KAIGI", X, "経費", "", "未払金", 136),
    ("交際費", "KOUSAI", X, "経費", "", "未払金", 136),
    ("広告宣伝費", "KOUKOKU", X, "経費", "", "未払金", 136),
    ("支払手数料", "TESUURYOU", X, "経費", "", "未払金", 136),
    ("地代家賃", "YACHIN", X, "経費", "", "未払金", 136),
    ("水道光熱費", "KOUNETSU", X, "経費", "", "未払金", 136),
    ("租税公課", "SOZEI", X, "経費", "", "未払金", 2),
    ("雑費", "ZAPPI", X, "経費", "", "未払金", 136),
]

# (kind, name, account item name)
WALLETS = [(Wallet.Kind.WALLET, "現金", "現金"), (Wallet.Kind.BANK_ACCOUNT, "普通預金", "普通預金")]


def ledger_defaults_ensure(*, tenant) -> bool:
    """Seed the default chart, tax codes, wallets and 会計設定 once. Returns True when it seeded anything.

    Cheap when already done (one query): the settings row is written last, in the same transaction.
    """
    if LedgerSettings.objects.filter(tenant=tenant).exists():
        return False
    with transaction.atomic():
        _seed(tenant)
        LedgerSettings.objects.get_or_create(tenant=tenant)
    return True


def _seed(tenant) -> None:
    TaxCode.objects.bulk_create(
        [TaxCode(tenant=tenant, code=code, name=name, name_ja=name_ja, rate=rate, reduced=reduced,
                 usable_for_income=income, usable_for_expense=expense)
         for code, name, name_ja, rate, reduced, income, expense in TAX_CODES],
        ignore_conflicts=True,
    )
    taxes = {tax.code: tax for tax in TaxCode.objects.for_tenant(tenant)}
    existing_roles = set(AccountItem.objects.for_tenant(tenant).exclude(role="").values_list("role", flat=True))
    AccountItem.objects.bulk_create(
        [AccountItem(tenant=tenant, name=name, shortcut=shortcut, category=category, account_category=group,
                     role=role if role and role not in existing_roles else "", default_tax_code=taxes.get(tax_code))
         for name, shortcut, category, group, role, _counterpart, tax_code in ACCOUNT_ITEMS],
        ignore_conflicts=True,
    )
    accounts = {item.name: item for item in AccountItem.objects.for_tenant(tenant)}
    changed = []
    for name, *_rest, counterpart, _tax in ACCOUNT_ITEMS:
        item = accounts[name]
        if counterpart and item.counterpart_id is None and counterpart in accounts:
            item.counterpart = accounts[counterpart]
            changed.append(item)
    AccountItem.objects.bulk_update(changed, ["counterpart"])
    Wallet.objects.bulk_create(
        [Wallet(tenant=tenant, kind=kind, name=name, account_item=accounts[account])
         for kind, name, account in WALLETS if account in accounts],
        ignore_conflicts=True,
    )
