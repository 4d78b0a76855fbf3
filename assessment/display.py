"""The assessment in words: components, grades, sources and how each record counted, in
Chinese with English beside it; and the method as it is printed beside the scores."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment import calculations as calc
from dezhou_carbon.i18n import is_english
from indicators.periods import ytd_text

COMPONENT_LABELS = {
    calc.TARGETS: gettext_lazy("目标完成"),
    calc.WORK_ITEMS: gettext_lazy("工作要点"),
    calc.TIMELINESS: gettext_lazy("数据报送及时性与质量"),
    calc.WARNINGS: gettext_lazy("预警响应"),
}
GRADE_LABELS = {
    calc.EXCELLENT: gettext_lazy("优秀"),
    calc.GOOD: gettext_lazy("良好"),
    calc.PASS: gettext_lazy("合格"),
    calc.FAIL: gettext_lazy("不合格"),
    calc.NOT_ASSESSED: gettext_lazy("不参评"),
}
SOURCE_LABELS = {
    "signed_off": gettext_lazy("已审定"),
    "frozen": gettext_lazy("已冻结待审定"),
    "preview": gettext_lazy("预览（按当前数据计算）"),
}
OUTCOME_LABELS = {
    "achieved": gettext_lazy("达标"),
    "green": gettext_lazy("进展顺利"),
    "yellow": gettext_lazy("进度滞后"),
    "red": gettext_lazy("形势严峻"),
    "no_data": gettext_lazy("无数据"),
    "on_time": gettext_lazy("按时"),
    "late": gettext_lazy("逾期"),
    "missed": gettext_lazy("未销号"),
    "missing": gettext_lazy("未报送"),
    "in_time": gettext_lazy("按时响应"),
    "in_time_overdue": gettext_lazy("按时响应，整改逾期"),
    "late_overdue": gettext_lazy("未按时响应，整改逾期"),
}


def component_label(key: str) -> str:
    return str(COMPONENT_LABELS.get(key, key))


def grade_label(grade: str) -> str:
    return str(GRADE_LABELS.get(grade, grade))


def source_label(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def period_label(period: str) -> str:
    return ytd_text(period, "en" if is_english() else "zh-hans")


def score_text(value: Decimal | str | None) -> str:
    if value is None:
        return "—"
    return str(Decimal(value).quantize(calc.CENT))


def method_lines(rules: dict) -> list[str]:
    """The scheme's rules in sentences: printed beside the scores on pages and exports."""
    w, s = rules["weights"], rules["status_scores"]
    bands = dict(rules["grade_bands"])
    return [
        _(
            "目标完成（权重%(w)s）：责任单位所属目标按状态计分取平均——达标%(a)s、进展顺利%(g)s、"
            "进度滞后%(y)s、形势严峻%(r)s、无数据%(n)s；未到考核期的目标不计。"
        )
        % {
            "w": w["targets"],
            "a": s["achieved"],
            "g": s["green"],
            "y": s["yellow"],
            "r": s["red"],
            "n": s["no_data"],
        },
        _(
            "工作要点（权重%(w)s）：100 × （按期销号 + %(c)s × 逾期销号） ÷ 到期分工数；"
            "分工以责任单位在工作要点中的牵头或配合分工计。"
        )
        % {"w": w["work_items"], "c": rules["late_verified_credit"]},
        _(
            "数据报送及时性与质量（权重%(w)s）：100 × 截止日前首次报送的期数 ÷ 应报期数，"
            "每退回一次扣%(d)s分，最低0分。"
        )
        % {"w": w["timeliness"], "d": rules["return_deduction"]},
        _(
            "预警响应（权重%(w)s）：100 × %(n)s个工作日内经负责人审签响应的预警数 ÷ 承担的预警数，"
            "每项逾期整改扣%(d)s分，最低0分；仍在响应期内的预警不计；"
            "工作日按国务院办公厅节假日安排计（法定节假日不计，调休上班日计入）。"
        )
        % {
            "w": w["warnings"],
            "n": rules["response_working_days"],
            "d": rules["overdue_rectification_deduction"],
        },
        _(
            "总分 = Σ 权重 × 得分 ÷ 100 + 管委会加减分（合计不超过±%(l)s分，须写明理由）；"
            "某项无考核内容的，其权重按比例分配给其他各项。"
        )
        % {"l": rules["adjustment_limit"]},
        _("等次：≥%(e)s分优秀，≥%(g)s分良好，≥%(p)s分合格，其余不合格。")
        % {"e": bands[calc.EXCELLENT], "g": bands[calc.GOOD], "p": bands[calc.PASS]},
    ]
