"""Writes for deals and their lines."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core import audit
from core.errors import ApplicationError
from deals import amounts
from deals.models import Deal, DealLine, DealType
from tenancy.models import Tenant


def deal_type_get_or_create_default(*, tenant: Tenant) -> DealType:
    """The "標準" type used when a tenant does not use deal types."""
    deal_type, _ = DealType.objects.get_or_create(tenant=tenant, name="標準")
    return deal_type


def deal_type_create(*, tenant: Tenant, actor, name: str, linked_to_freee: bool = False) -> DealType:
    """Add a deal type; names are unique per tenant."""
    if DealType.objects.for_tenant(tenant).filter(name=name).exists():
        raise ValidationError({"name": _("同じ名前の案件タイプがすでにあります。")})
    with transaction.atomic():
        deal_type = DealType.objects.create(tenant=tenant, name=name, linked_to_freee=linked_to_freee)
        audit.audit_record(tenant=tenant, actor=actor, action="deal_type.create", target=deal_type,
                           changes={"name": [None, name], "linked_to_freee": [None, linked_to_freee]})
    return deal_type


@transaction.atomic
def deal_types_set_freee_links(*, tenant: Tenant, actor, linked_public_ids: set[str]) -> None:
    """Link exactly the chosen deal types to freee (the 請求書 tab shows only on linked types)."""
    types = DealType.objects.for_tenant(tenant).order_by("name")
    before = [t.name for t in types if t.linked_to_freee]
    types.filter(public_id__in=linked_public_ids).update(linked_to_freee=True)
    types.exclude(public_id__in=linked_public_ids).update(linked_to_freee=False)
    after = list(types.filter(linked_to_freee=True).values_list("name", flat=True))
    if before != after:
        audit.audit_record(tenant=tenant, actor=actor, action="freee.deal_types_update",
                           target_label=_("freee連携する案件タイプ"), changes={"linked_types": [before, after]})


@transaction.atomic
def deal_save(*, tenant: Tenant, actor, deal: Deal, lines: list[DealLine] | None = None,
              deleted_lines: list[DealLine] = ()) -> Deal:
    """Create or update a deal and its lines together; all of it is saved or none.

    Every object passed in must already belong to this tenant (and lines to this deal): a caller bug that
    mixes tenants raises instead of moving rows across tenants.
    """
    if deal.pk is not None and deal.tenant_id != tenant.pk:
        raise ValueError("deal of another tenant")
    if deal.deal_type.tenant_id != tenant.pk:
        raise ValueError("deal type of another tenant")
    for line in [*deleted_lines, *(lines or [])]:
        if line.pk is not None and (line.tenant_id != tenant.pk or line.deal_id != deal.pk):
            raise ValueError("line of another deal")
        if line.product_id is not None and line.product.tenant_id != tenant.pk:
            raise ValueError("product of another tenant")
    deal.tenant = tenant
    _forget_partner_origin_if_changed(deal)
    kept = _lines_after_save(deal, lines, deleted_lines)
    if kept:
        deal.amount = amounts.lines_subtotal(kept)  # with 商品内訳, 金額 is their total (deals.amounts)
    amounts.check_amount(deal.amount, field="lines" if kept else "amount")
    deal.save()
    for line in deleted_lines:
        if line.pk:
            line.delete()
    for position, line in enumerate(lines or []):
        line.tenant, line.deal, line.position = tenant, deal, position
        line.save()
    return deal


def _forget_partner_origin_if_changed(deal: Deal) -> None:
    """「請求書の発行時にfreeeの取引先から設定」 holds only while the deal keeps that partner: choosing another (or
    none) in the deal form ends it."""
    if deal.pk is None or deal.partner_set_from_freee_at is None:
        return
    saved = Deal.objects.filter(pk=deal.pk).values_list("partner_freee_id", "partner_name").first()
    if saved is not None and saved != (deal.partner_freee_id, deal.partner_name):
        deal.partner_set_from_freee_at = None


def _lines_after_save(deal: Deal, lines: list[DealLine] | None, deleted_lines) -> list[DealLine]:
    """The lines the deal will have: the given ones, or (lines=None) its current ones less the deleted."""
    if lines is not None:
        return list(lines)
    if deal.pk is None:
        return []
    deleted = {line.pk for line in deleted_lines if line.pk}
    return [line for line in DealLine.objects.filter(deal=deal) if line.pk not in deleted]


def deal_delete(*, deal: Deal, actor) -> None:
    """Delete a deal and its lines; a deal that other records point at (issued invoices) is kept."""
    try:
        with transaction.atomic():
            deal.delete()
    except ProtectedError as error:
        raise ApplicationError(_("請求書が発行されている案件は削除できません。"), code="deal_in_use") from error
