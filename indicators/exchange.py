"""The exchange contract (../shared/spec/data-exchange.md): output rows of §3 and the
item catalogue the import parser validates against. Shared by API, commands and exports."""

from indicators.importing import ItemSpec
from indicators.models import IndicatorResult, StatisticalItem
from indicators.numbers import decimal_text

OUTPUT_FIELDS = [
    "indicator",
    "period",
    "scope",
    "variant",
    "value",
    "unit",
    "change_vs_base",
    "change_yoy",
    "target_id",
    "target_value",
    "target_year",
    "target_pending_base",
    "path_value",
    "status",
    "completion",
    "time_progress",
    "required_annual_change",
    "projection",
    "provisional",
    "method",
    "input_figure_ids",
    "computed_at",
]


def result_row(result: IndicatorResult) -> dict:
    """One output row of data-exchange §3."""
    target = result.target
    return {
        "indicator": result.indicator.code,
        "period": result.period,
        "scope": result.scope,
        "variant": result.variant,
        "value": decimal_text(result.value),
        "unit": result.indicator.unit,
        "change_vs_base": decimal_text(result.change_vs_base),
        "change_yoy": decimal_text(result.change_yoy),
        "target_id": target.code if target else None,
        "target_value": decimal_text(result.target_value),
        "target_year": target.target_year if target else None,
        "target_pending_base": result.target_pending_base,
        "path_value": decimal_text(result.path_value),
        "status": result.status,
        "completion": decimal_text(result.completion),
        "time_progress": decimal_text(result.time_progress),
        "required_annual_change": decimal_text(result.required_annual_change),
        "projection": decimal_text(result.projection),
        "provisional": result.provisional,
        "method": result.method,
        "input_figure_ids": result.input_figure_ids,
        "computed_at": result.computed_at.isoformat() if result.computed_at else None,
    }


def item_specs() -> dict[str, ItemSpec]:
    return {
        item.code: ItemSpec(item.code, item.unit, item.frequency, item.non_negative)
        for item in StatisticalItem.objects.only("code", "unit", "frequency", "non_negative")
    }


def import_summary(outcome) -> dict:
    return {
        "dry_run": outcome.dry_run,
        "batch": outcome.batch.pk if outcome.batch else None,
        "rows": outcome.row_count,
        "created": outcome.to_create,
        "unchanged": outcome.unchanged,
        "revised_approved": outcome.revised_approved,
        "changes": outcome.changes[:1000],
    }
