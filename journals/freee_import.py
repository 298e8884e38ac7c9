"""Import 勘定科目, 税区分 and 口座 from the connected freee company (a background Job with progress).

The masters are fetched first (GET /api/1/taxes/companies/{id}, /account_items, /walletables), then merged
in one transaction: rows match by freee id, then by name (so the seeded defaults keep their roles and the
trades that use them), and are replaced field by field; rows freee does not have are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core import jobs
from core.errors import ApplicationError
from core.models import Job
from core.retry import RetryLater
from integrations.freee import messages as freee_messages
from integrations.freee import schemas
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, RateLimited, Transient
from integrations.freee.services import connection_for
from integrations.models import FreeeConnection
from journals.defaults import ledger_defaults_ensure
from journals.models import AccountItem, TaxCode, Wallet

IMPORT_KIND = "journals.masters_import"
STEPS = 4  # taxes, account items, walletables, save

Category = AccountItem.Category
CATEGORY_BY_GROUP = {
    **dict.fromkeys(["現金・預金", "売上債権", "有価証券", "棚卸資産", "他流動資産", "有形固定資産", "無形固定資産",
                     "投資その他の資産", "繰延資産", "流動資産", "固定資産", "資産"], Category.ASSET),
    **dict.fromkeys(["仕入債務", "他流動負債", "固定負債", "流動負債", "負債"], Category.LIABILITY),
    **dict.fromkeys(["資本金", "資本剰余金", "利益剰余金", "新株予約権", "評価・換算差額等", "純資産", "元入金"],
                    Category.EQUITY),
    **dict.fromkeys(["売上高", "営業外収益", "特別利益", "収益"], Category.REVENUE),
    **dict.fromkeys(["売上原価", "経費", "販売管理費", "営業外費用", "特別損失", "法人税等", "費用"], Category.EXPENSE),
}
ROLE_BY_NAME = {str(role.label): role.value for role in AccountItem.Role}
WALLET_ROLE = {"bank_account": AccountItem.Role.DEPOSIT, "wallet": AccountItem.Role.CASH,
               "credit_card": AccountItem.Role.ACCRUED}


TRANSIENT_WAIT = 30  # seconds before trying again after freee failed for a while (5xx, timeout)


def masters_import_start(*, tenant, actor) -> Job:
    """Queue the import (admins only, checked by the caller). Refuses at once when freee is not connected."""
    from journals import tasks

    _connection(tenant)
    job = jobs.job_create(tenant=tenant, actor=actor, kind=IMPORT_KIND, total=STEPS)
    jobs.enqueue_on_commit(tasks.masters_import_task, job.pk)
    return job


def masters_import_latest(*, tenant) -> Job | None:
    return Job.objects.for_tenant(tenant).filter(kind=IMPORT_KIND).order_by("-created_at").first()


def _connection(tenant) -> FreeeConnection:
    """The tenant's freee connection; the error says to import again once connected."""
    return connection_for(
        tenant=tenant,
        message=_("freeeと接続されていません。管理者設定 > 外部サービス連携 > 会計freee から接続してから取り込んでください。"))


@dataclass
class _Fetched:
    taxes: list[schemas.Tax]
    account_items: list[schemas.AccountItem]
    walletables: list[schemas.Walletable]


def masters_import(*, job_id: int, task_id: str = "") -> None:
    """Run a queued import job: fetch (no transaction open), then merge in one transaction.

    Raises RetryLater when freee asks us to wait or fails for a while: the task comes back later (its slot in
    the worker goes to other work meanwhile) and fetches again from the start (reads only)."""
    job = jobs.job_take(job_id=job_id, task_id=task_id)
    if job is None:
        return
    if job.done:
        Job.objects.filter(pk=job.pk).update(done=0)  # a retry fetches everything again
        job.done = 0
    try:
        client = FreeeClient(_connection(job.tenant), max_wait=5)
        taxes = client.taxes_list()
        jobs.job_advance(job=job)
        account_items = client.account_items_list()
        jobs.job_advance(job=job)
        walletables = client.walletables_list()
        jobs.job_advance(job=job)
    except ApplicationError as error:
        jobs.job_fail(job=job, error=str(error.message))
        return
    except RateLimited as error:
        jobs.job_advance(job=job, by=0)  # heartbeat: the job is waiting, not abandoned
        raise RetryLater(error.retry_after) from error
    except Transient as error:
        jobs.job_advance(job=job, by=0)
        raise RetryLater(TRANSIENT_WAIT) from error
    except FreeeError as error:
        jobs.job_fail(job=job, error=freee_messages.call_error(error))
        return
    result = masters_merge(tenant=job.tenant, fetched=_Fetched(taxes, account_items, walletables))
    jobs.job_advance(job=job)
    jobs.job_succeed(job=job, result=result)


def masters_merge(*, tenant, fetched: _Fetched) -> dict:
    """Merge freee's masters into the tenant's; returns counts for the job result."""
    ledger_defaults_ensure(tenant=tenant)
    with transaction.atomic():
        taxes = _merge_taxes(tenant, fetched.taxes)
        items = _merge_account_items(tenant, fetched.account_items, taxes)
        wallets = _merge_wallets(tenant, fetched.walletables, fetched.account_items, items)
    return {"tax_codes": len(fetched.taxes), "account_items": len(fetched.account_items),
            "wallets": len(wallets), "message": _("freeeから勘定科目%(a)d件・税区分%(t)d件・口座%(w)d件を取り込みました。") % {
                "a": len(fetched.account_items), "t": len(fetched.taxes), "w": len(wallets)}}


def tax_rate_of(display_category: str | None) -> tuple[int, bool]:
    """freee's display_category (tax_10, tax_r8, tax_8, tax_5, tax_10_e80…) → (rate, reduced)."""
    if not display_category:
        return 0, False
    head = display_category.split("_")[1]
    return (int(head[1:]), True) if head.startswith("r") else (int(head), False)


def _tax_directions(name: str) -> tuple[bool, bool]:
    if name.startswith("sales") or name.startswith("sale_"):
        return True, False
    if name.startswith("purchase"):
        return False, True
    return True, True


def _merge_taxes(tenant, remote: list[schemas.Tax]) -> dict[int, TaxCode]:
    existing = {tax.code: tax for tax in TaxCode.objects.for_tenant(tenant)}
    rows = []
    for tax in remote:
        rate, reduced = tax_rate_of(tax.display_category)
        income, expense = _tax_directions(tax.name)
        row = existing.get(tax.code) or TaxCode(tenant=tenant, code=tax.code)
        row.name, row.name_ja, row.rate, row.reduced = tax.name, tax.name_ja, rate, reduced
        row.usable_for_income, row.usable_for_expense, row.freee_available = income, expense, tax.available
        rows.append(row)
    TaxCode.objects.bulk_create([row for row in rows if row.pk is None])
    TaxCode.objects.bulk_update([row for row in rows if row.pk is not None],
                                ["name", "name_ja", "rate", "reduced", "usable_for_income", "usable_for_expense",
                                 "freee_available"])
    return {tax.code: tax for tax in TaxCode.objects.for_tenant(tenant)}


def _category_of(item: schemas.AccountItem, current: str | None) -> str:
    for group in [item.account_category, *reversed(item.categories)]:
        if group in CATEGORY_BY_GROUP:
            return CATEGORY_BY_GROUP[group]
    return current or Category.EXPENSE


def _merge_account_items(tenant, remote: list[schemas.AccountItem], taxes: dict[int, TaxCode]) -> dict[int, AccountItem]:
    """Returns our rows keyed by freee id."""
    ours = list(AccountItem.objects.for_tenant(tenant))
    by_freee_id = {item.freee_id: item for item in ours if item.freee_id}
    by_name = {item.name: item for item in ours}
    used_roles = {item.role for item in ours if item.role}
    rows: dict[int, AccountItem] = {}
    for item in remote:
        row = by_freee_id.get(item.id) or by_name.get(item.name) or AccountItem(tenant=tenant)
        row.name, row.freee_id = item.name, item.id
        row.shortcut, row.code = item.shortcut or "", item.code or ""
        row.account_category = item.account_category
        row.category = _category_of(item, row.category or None)
        row.default_tax_code = taxes.get(item.default_tax_code)
        row.is_active = item.available
        if not row.role and ROLE_BY_NAME.get(item.name) not in used_roles and item.name in ROLE_BY_NAME:
            row.role = ROLE_BY_NAME[item.name]
            used_roles.add(row.role)
        rows[item.id] = row
    fields = ["name", "freee_id", "shortcut", "code", "account_category", "category", "default_tax_code",
              "is_active", "role"]
    AccountItem.objects.bulk_create([row for row in rows.values() if row.pk is None])
    AccountItem.objects.bulk_update([row for row in rows.values() if row.pk is not None], fields)
    for item in remote:  # 相手勘定科目: income accounts use freee's 収入取引相手, the others 支出取引相手
        row = rows[item.id]
        counterpart_id = (item.corresponding_income_id if row.category == Category.REVENUE
                          else item.corresponding_expense_id or item.corresponding_income_id)
        if counterpart_id in rows:
            row.counterpart = rows[counterpart_id]
    AccountItem.objects.bulk_update(list(rows.values()), ["counterpart"])
    return rows


def _merge_wallets(tenant, remote: list[schemas.Walletable], items: list[schemas.AccountItem],
                   ours: dict[int, AccountItem]) -> list[Wallet]:
    existing = list(Wallet.objects.for_tenant(tenant))
    by_key = {(wallet.kind, wallet.freee_id): wallet for wallet in existing if wallet.freee_id}
    by_name = {wallet.name: wallet for wallet in existing}
    account_of_walletable = {item.walletable_id: ours[item.id] for item in items if item.walletable_id}
    roles = {item.role: item for item in AccountItem.objects.for_tenant(tenant).exclude(role="")}
    rows = []
    for walletable in remote:
        account = account_of_walletable.get(walletable.id) or roles.get(WALLET_ROLE[walletable.type])
        if account is None:
            continue
        row = by_key.get((walletable.type, walletable.id)) or by_name.get(walletable.name) or Wallet(tenant=tenant)
        row.kind, row.name, row.freee_id, row.account_item = walletable.type, walletable.name, walletable.id, account
        rows.append(row)
    Wallet.objects.bulk_create([row for row in rows if row.pk is None])
    Wallet.objects.bulk_update([row for row in rows if row.pk is not None], ["kind", "name", "freee_id", "account_item"])
    return rows
