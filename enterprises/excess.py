"""Enterprise figures exceeding the park total (issue 17, Bad input): an enterprise's quarter
whose approval would make Σ registered enterprises exceed the park's approved figure of the
same item and quarter beyond the reconciliation tolerance (management.md §1, default 0.5 %)
is refused with every such item in zh/en, nothing written: the supervising head returns it
to the enterprise or the reporting department corrects the park figure first. Where no park
figure is approved yet nothing is refused; the reconciliation after each recompute still
raises its data warning (enterprises.services.reconciliation_warnings_raise)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum

from dezhou_carbon.exceptions import ApplicationError
from enterprises import rules
from enterprises.models import Enterprise
from indicators.models import Figure, StatisticalItem
from indicators.numbers import decimal_text


def excess_items(
    *,
    values: dict[str, Decimal],
    others: dict[str, Decimal],
    park: dict[str, Decimal],
    tolerance: Decimal,
) -> list[tuple[str, Decimal, Decimal]]:
    """(item, Σ enterprises with these values, park) of each item whose Σ would exceed the
    park × (1 + tolerance); items without a park figure are not judged. Pure."""  # fmt: skip
    found = []
    for item, value in sorted(values.items()):
        if item not in park or value is None:
            continue
        total = others.get(item, Decimal(0)) + value
        if total > park[item] * (1 + tolerance):
            found.append((item, total, park[item]))
    return found


def refuse_excess(*, enterprise: Enterprise, period: str, figures) -> None:
    """Raise (code `exceeds_park`) when approving `figures` (the enterprise's submitted
    figures of `period`: item_id and value) would exceed the park's approved figures. Two
    queries."""
    by_item = {f.item_id: f.value for f in figures}
    items = {
        i.code: i
        for i in StatisticalItem.objects.filter(
            pk__in=list(by_item), aggregation=StatisticalItem.Aggregation.SUM
        )
    }
    if not items:
        return
    values = {code: by_item[item.pk] for code, item in items.items()}
    sums = (
        Figure.objects.filter(counts=True, period=period, item__code__in=list(items))
        .filter(Q(scope="") | Q(scope__in=Enterprise.objects.values("code")))
        .exclude(scope=enterprise.code)
        .values("item__code")
        .annotate(
            park=Sum("value", filter=Q(scope="")),
            others=Sum("value", filter=~Q(scope="")),
        )
    )
    park = {row["item__code"]: row["park"] for row in sums if row["park"] is not None}
    others = {row["item__code"]: row["others"] or Decimal(0) for row in sums}
    tolerance = rules.rules()[rules.RECONCILIATION_TOLERANCE].value
    found = excess_items(
        values={code: values[code] for code in items}, others=others, park=park,
        tolerance=tolerance,
    )  # fmt: skip
    if not found:
        return
    percent = decimal_text(tolerance * 100)
    raise ApplicationError(
        "批准后企业合计将超过园区数（容差 "
        + percent
        + "%），未批准："
        + "；".join(
            f"{items[code].name_zh} 企业合计 {decimal_text(total)}，园区 {decimal_text(whole)}"
            for code, total, whole in found
        )
        + "。请退回企业核实，或先更正园区数据。",
        f"Approving would make the enterprises' sum exceed the park (tolerance {percent}%); "
        "nothing was approved: "
        + "; ".join(
            f"{code}: enterprises {decimal_text(total)}, park {decimal_text(whole)}"
            for code, total, whole in found
        )
        + ". Return it to the enterprise to check, or correct the park's figure first.",
        code="exceeds_park",
        details=[
            {
                "item": code,
                "enterprises": decimal_text(total),
                "park": decimal_text(whole),
                "message_zh": f"{items[code].name_zh}：企业合计 {decimal_text(total)}，"
                f"园区 {decimal_text(whole)}",
                "message_en": f"{code}: enterprises {decimal_text(total)}, "
                f"park {decimal_text(whole)}",
            }
            for code, total, whole in found
        ],
    )
