"""issue 14 item 2: a deal with 商品内訳 has as 金額 the lines' total before tax (deals.amounts).

Deals saved before the rule kept whatever 金額 was typed (often 0) while invoices were made from the lines;
this recomputes 金額 of every deal that has lines, in whole yen, fractions dropped, never below 0.
"""

from decimal import ROUND_FLOOR, Decimal

from django.db import migrations
from django.db.models import DecimalField, ExpressionWrapper, F, Sum

BATCH = 1000


def amounts_from_lines(apps, schema_editor):
    Deal = apps.get_model("deals", "Deal")
    DealLine = apps.get_model("deals", "DealLine")
    line_total = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=30,
                                                                                                decimal_places=5))
    totals = DealLine.objects.values("deal_id").annotate(total=Sum(line_total)).order_by("deal_id")
    changed = []
    for row in totals.iterator(chunk_size=BATCH):
        amount = max(0, int(Decimal(row["total"] or 0).to_integral_value(rounding=ROUND_FLOOR)))
        changed.append(Deal(pk=row["deal_id"], amount=amount))
        if len(changed) >= BATCH:
            Deal.objects.bulk_update(changed, ["amount"])
            changed = []
    if changed:
        Deal.objects.bulk_update(changed, ["amount"])


class Migration(migrations.Migration):
    dependencies = [("deals", "0003_deal_list_indexes")]

    operations = [migrations.RunPython(amounts_from_lines, migrations.RunPython.noop)]
