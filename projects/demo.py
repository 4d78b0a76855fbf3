"""Demo key projects for local trial only (`setup_park --demo`, after the demo enterprises
and the reporting rounds): 18 fixed-asset investment projects of the demo enterprises in
every stage and with every funding source — some below the review threshold (commitment
only), a renovation reviewed on its increase, a provincial review, a high-energy project
that the admission check calls 不利, an existing plant assessed as the carbon-assessment
pilot — recorded through the services by DRS's clerk, with quarterly updates reported by
the project's department and approved by its head (the current quarter partly approved,
partly waiting and partly missing, so that the reminders and the overdue warning show).
Energy figures are illustrative. Deterministic; a rerun changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.core.files.base import ContentFile

from enterprises.demo import enterprise_code
from indicators.periods import Period

CURRENT = "2026Q3"
BENCHMARK_SOURCE = "演示数据：参照行业碳排放强度先进值设定，数值仅供演示"


def _uses(coal="0", electricity="0", gas="0", heat="0") -> list[dict]:
    rows = []
    for carrier, quantity, unit in (("coal_raw", coal, "t"), ("electricity", electricity, "万kWh"),
                                    ("natural_gas", gas, "万m³"), ("heat", heat, "GJ")):  # fmt: skip
        if D(quantity):
            rows.append({"carrier": carrier, "quantity": quantity, "unit": unit})
    return rows


# code, name, enterprise index, kind, department, {funding: 万元}, value added 万元, product
# (quantity, unit), the stage reached with the dates of each stage, the review (uses, uses
# before for a renovation, opinion: authority, 文号, date, approved 当量) and whether a carbon
# assessment (with its process emissions and benchmark) is recorded.
PROJECTS = [
    {"code": "DZKF-2025-001", "name": "年产10GWh储能电池项目", "enterprise": 38, "kind": "new",
     "department": "DRS", "funding": {"special_bonds": "30000", "self_raised": "120000", "bank_loans": "50000"},
     "value_added": "60000", "product": ("10000", "MWh"),
     "stages": {"approved": "2025-03-10", "energy_review": "2025-05-20", "carbon_assessment": "2025-06-15",
                "construction": "2025-07-01", "operation": "2026-08-01"},
     "uses": _uses(electricity="8000", gas="100"),
     "opinion": ("山东省发展和改革委员会", "鲁发改能审〔2025〕36号", "2025-05-20", "10800"),
     "assessment": ("0.45", [])},
    {"code": "DZKF-2025-002", "name": "锂电正极材料扩产改造项目", "enterprise": 1, "kind": "expansion",
     "department": "DRS", "funding": {"self_raised": "18000", "bank_loans": "12000"},
     "value_added": "15000", "product": ("20000", "t"),
     "stages": {"approved": "2025-04-01", "energy_review": "2025-06-10", "construction": "2025-09-01"},
     "uses": _uses(coal="3000", electricity="2000"), "before": _uses(coal="2500", electricity="1500"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2025〕18号", "2025-06-10", "970")},
    {"code": "DZKF-2025-003", "name": "光伏玻璃深加工项目", "enterprise": 2, "kind": "new",
     "department": "DRS", "funding": {"central_budget": "5000", "self_raised": "25000"},
     "value_added": "12000", "product": ("600", "万m²"),
     "stages": {"approved": "2025-05-12", "energy_review": "2025-07-30", "carbon_assessment": "2025-08-20",
                "construction": "2025-10-08"},
     "uses": _uses(electricity="1800", gas="250"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2025〕27号", "2025-07-30", "5200"),
     "assessment": ("0.60", [("玻璃熔窑碳酸盐分解", "1800", "物料平衡法（纯碱、石灰石用量 × 排放因子）")])},
    {"code": "DZKF-2025-004", "name": "半导体封装测试项目", "enterprise": 10, "kind": "new",
     "department": "EIT", "funding": {"special_bonds": "20000", "self_raised": "40000"},
     "value_added": "35000", "product": ("12", "亿颗"),
     "stages": {"approved": "2025-02-20", "energy_review": "2025-04-25", "construction": "2025-06-01",
                "operation": "2026-10-15"},
     "uses": _uses(electricity="3000"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2025〕09号", "2025-04-25", "3600"),
     "assessment": ("0.30", [])},
    {"code": "DZKF-2025-005", "name": "屋顶分布式光伏项目", "enterprise": 0, "kind": "retrofit",
     "department": "DRS", "funding": {"self_raised": "1800", "other": "600"},
     "value_added": None, "product": None,
     "stages": {"approved": "2025-03-01", "energy_review": "2025-03-20", "construction": "2025-04-10",
                "operation": "2025-09-30", "acceptance": "2025-12-20"},
     "uses": _uses(electricity="20")},
    {"code": "DZKF-2025-006", "name": "智能装备产业园标准厂房项目", "enterprise": 16, "kind": "new",
     "department": "EIT", "funding": {"special_bonds": "8000", "self_raised": "4000"},
     "value_added": "9000", "product": ("300", "台套"),
     "stages": {"approved": "2025-06-18", "energy_review": "2025-07-10", "construction": "2025-08-15"},
     "uses": _uses(electricity="400")},
    {"code": "DZKF-2026-007", "name": "高端显示模组项目", "enterprise": 17, "kind": "new",
     "department": "EIT", "funding": {"self_raised": "22000", "bank_loans": "10000"},
     "value_added": "18000", "product": ("500", "万片"),
     "stages": {"approved": "2026-01-15", "energy_review": "2026-04-02"},
     "uses": _uses(electricity="2200", gas="30"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2026〕05号", "2026-04-02", "3000")},
    {"code": "DZKF-2026-008", "name": "生物医药中试基地项目", "enterprise": 6, "kind": "new",
     "department": "EIT", "funding": {"central_budget": "3000", "self_raised": "9000"},
     "value_added": "7000", "product": None, "stages": {}},
    {"code": "DZKF-2026-009", "name": "食品冷链物流中心项目", "enterprise": 15, "kind": "new",
     "department": "EIT", "funding": {"special_bonds": "6000", "self_raised": "3000"},
     "value_added": "2500", "product": ("10", "万t"), "stages": {"approved": "2026-03-28"}},
    {"code": "DZKF-2024-010", "name": "热电机组节能改造项目", "enterprise": 0, "kind": "retrofit",
     "department": "DRS", "funding": {"central_budget": "2000", "self_raised": "6000"},
     "value_added": None, "product": None,
     "stages": {"approved": "2024-09-01", "energy_review": "2024-10-15", "construction": "2024-11-01",
                "operation": "2025-06-30", "acceptance": "2025-11-20"},
     "uses": _uses(coal="180000", electricity="900"), "before": _uses(coal="186000", electricity="1000")},
    {"code": "DZKF-2026-011", "name": "年产20万吨电池级碳酸锂项目", "enterprise": 37, "kind": "new",
     "department": "DRS", "funding": {"special_bonds": "40000", "self_raised": "80000", "bank_loans": "60000"},
     "value_added": "30000", "product": ("200000", "t"),
     "stages": {"approved": "2026-02-10", "energy_review": "2026-06-20", "carbon_assessment": "2026-07-25"},
     "uses": _uses(coal="30000", electricity="20000"),
     "opinion": ("山东省发展和改革委员会", "鲁发改能审〔2026〕12号", "2026-06-20", "45000"),
     "assessment": ("1.20", [("锂辉石焙烧碳酸盐分解", "26000", "物料平衡法")])},
    {"code": "DZKF-2026-012", "name": "氢燃料电池电堆项目", "enterprise": 24, "kind": "new",
     "department": "DRS", "funding": {"central_budget": "4000", "self_raised": "6000"},
     "value_added": "8000", "product": ("2000", "套"),
     "stages": {"approved": "2026-04-08", "energy_review": "2026-05-06"}, "uses": _uses(electricity="300")},
    {"code": "DZKF-2024-013", "name": "汽车零部件智能化改造项目", "enterprise": 13, "kind": "retrofit",
     "department": "EIT", "funding": {"self_raised": "3500"},
     "value_added": "2000", "product": None,
     "stages": {"approved": "2024-08-01", "energy_review": "2024-08-20", "construction": "2024-09-10",
                "operation": "2025-04-30"},
     "uses": _uses(electricity="250")},
    {"code": "DZKF-2025-014", "name": "特种电线电缆扩建项目", "enterprise": 29, "kind": "expansion",
     "department": "EIT", "funding": {"self_raised": "9000", "bank_loans": "6000"},
     "value_added": "6000", "product": ("3", "万km"),
     "stages": {"approved": "2025-08-05", "energy_review": "2025-10-20", "construction": "2025-12-01"},
     "uses": _uses(electricity="1200", gas="20"), "before": _uses(electricity="300"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2025〕41号", "2025-10-20", "1350")},
    {"code": "DZKF-2026-015", "name": "热电公司现有机组碳排放评价（存量试点）", "enterprise": 0,
     "kind": "existing", "department": "DRS", "funding": {}, "value_added": "45000",
     "product": ("260", "万GJ"), "stages": {"operation": "2012-10-01"},
     "assessment": ("2.50", []), "assessment_uses": _uses(coal="186000", electricity="1000")},
    {"code": "DZKF-2026-016", "name": "园区算力中心项目", "enterprise": 35, "kind": "new",
     "department": "EIT", "funding": {"special_bonds": "15000", "other": "5000"},
     "value_added": "10000", "product": None,
     "stages": {"approved": "2026-05-20", "energy_review": "2026-08-28"},
     "uses": _uses(electricity="6000"),
     "opinion": ("德州市发展和改革委员会", "德发改审〔2026〕22号", "2026-08-28", "7200")},
    {"code": "DZKF-2025-017", "name": "污水处理厂提标改造项目", "enterprise": 36, "kind": "retrofit",
     "department": "DRS", "funding": {"central_budget": "1500", "special_bonds": "2500"},
     "value_added": None, "product": ("5", "万t/d"),
     "stages": {"approved": "2025-04-15", "energy_review": "2025-05-01", "construction": "2025-06-01",
                "operation": "2026-03-31"},
     "uses": _uses(electricity="180"), "before": _uses(electricity="120")},
    {"code": "DZKF-2026-018", "name": "新型储能电站项目", "enterprise": 24, "kind": "new",
     "department": "DRS", "funding": {"special_bonds": "12000", "bank_loans": "8000"},
     "value_added": "3000", "product": ("200", "MWh"), "stages": {}},
]  # fmt: skip
# The current quarter's update of the projects that report: approved, waiting or missing.
CURRENT_STATE = {"DZKF-2025-002": "submitted", "DZKF-2025-014": "missing",
                 "DZKF-2026-009": "missing"}  # fmt: skip


def _person(username: str, fallback):
    from accounts.models import User

    return User.objects.filter(username=username, is_active=True).first() or fallback


def _quarters(since: dt.date, until: str) -> list[str]:
    periods, year, quarter = [], since.year, (since.month - 1) // 3 + 1
    while f"{year}Q{quarter}" <= until:
        periods.append(f"{year}Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return periods


def projects_demo(*, clerk=None, head=None, today: dt.date | None = None) -> list[str]:
    """The demo projects (a project already there is left as it is). Returns summary lines."""
    from django.db import transaction

    from enterprises.models import Enterprise
    from projects import services, updates
    from projects.models import Project, Stage
    from reporting.models import ReportingRound
    from tasks.models import Department

    drs_clerk = _person("drs_clerk", clerk)
    heads = {"DRS": _person("drs_head", head)}
    clerks = {"DRS": drs_clerk}
    eit_clerk, eit_head = _person("eit_clerk", None), _person("eit_head", None)
    if eit_clerk is not None and eit_head is not None:
        clerks["EIT"], heads["EIT"] = eit_clerk, eit_head
    if drs_clerk is None or heads["DRS"] is None:
        return ["  重点项目 / key projects: skipped (no DRS clerk and head)"]
    open_rounds = set(
        ReportingRound.objects.filter(
            state=ReportingRound.State.OPEN, quarter__isnull=False
        ).values_list("period", flat=True)
    )
    made = reported = 0
    for spec in PROJECTS:
        if Project.objects.filter(code=spec["code"]).exists():
            continue
        enterprise = Enterprise.objects.filter(code=enterprise_code(spec["enterprise"])).first()
        if enterprise is None:
            continue
        code = spec["department"] if spec["department"] in clerks else "DRS"
        with transaction.atomic():
            project = services.project_register(
                user=drs_clerk, code=spec["code"], name=spec["name"], enterprise=enterprise,
                kind=spec["kind"], department=Department.objects.get(code=code),
                investment_planned={k: D(v) for k, v in spec["funding"].items()},
                value_added=D(spec["value_added"]) if spec["value_added"] else None,
                product_quantity=D(spec["product"][0]) if spec["product"] else None,
                product_unit=spec["product"][1] if spec["product"] else "",
            )  # fmt: skip
            made += 1
            assessed = False
            for stage in Stage.values:
                day = spec["stages"].get(stage)
                if day is None:
                    continue
                if stage == Stage.ENERGY_REVIEW and spec.get("uses"):
                    opinion = spec.get("opinion")
                    services.energy_review_record(
                        user=drs_clerk, project=project, uses=spec["uses"], year=2024,
                        uses_before=spec.get("before", []),
                        opinion_authority=opinion[0] if opinion else "",
                        document_no=opinion[1] if opinion else "",
                        opinion_date=dt.date.fromisoformat(opinion[2]) if opinion else None,
                        approved_calorific_tce=D(opinion[3]) if opinion else None,
                        conditions="采用一级能效设备，落实能源计量器具配备。" if opinion else "",
                    )  # fmt: skip
                if stage == Stage.CARBON_ASSESSMENT or (
                    stage == Stage.OPERATION and spec["kind"] == "existing"
                ):
                    _assess(services, drs_clerk, project, spec)
                    assessed = True
                evidence = {Stage.APPROVED: "立项批复", Stage.CONSTRUCTION: "施工许可证",
                            Stage.OPERATION: "投产公告", Stage.ACCEPTANCE: "竣工验收报告"}.get(stage, "")  # fmt: skip
                services.project_stage_record(
                    user=drs_clerk, project=project, stage=stage,
                    actual_date=dt.date.fromisoformat(day), evidence=evidence,
                )  # fmt: skip
            if not assessed:
                _assess(services, drs_clerk, project, spec)
        reported += _report(updates, project, spec, clerks[code], heads[code], open_rounds)
    return [f"  重点项目 / key projects: {made} registered, {reported} quarterly updates"]


def _assess(services, user, project, spec) -> None:
    if "assessment" not in spec:
        return
    benchmark, process = spec["assessment"]
    services.carbon_assessment_record(
        user=user, project=project, uses=spec.get("assessment_uses") or spec["uses"], year=2024,
        process=[{"name": n, "tco2": t, "method": m} for n, t, m in process],
        benchmark=D(benchmark), benchmark_source=BENCHMARK_SOURCE,
        conclusion="单位增加值排放低于行业基准。" if D(benchmark) < 1 else "单位增加值排放高于园区路径值，需落实减排措施。",
        measures="余热回收、绿电替代、能源管理中心建设。",
    )  # fmt: skip


def _report(updates, project, spec, clerk, head, open_rounds) -> int:
    """The project's quarters from its approval to the current one, inside open rounds."""
    approved = spec["stages"].get("approved")
    if approved is None or project.stage == "acceptance":
        return 0
    total = sum((D(v) for v in spec["funding"].values()), D(0))
    quarters = [p for p in _quarters(dt.date.fromisoformat(approved), CURRENT) if p in open_rounds]
    count = 0
    for index, period in enumerate(quarters):
        state = CURRENT_STATE.get(spec["code"], "approved") if period == CURRENT else "approved"
        if state == "missing":
            continue
        end = Period.parse(period).end_date
        reached = [s for s, day in spec["stages"].items() if dt.date.fromisoformat(day) <= end]
        # A steady pace: each quarter a share of the plan, most of it still to spend.
        pace = D(1) / D(len(quarters) + 4)
        amounts = {k: (D(v) * pace).quantize(D("0.01")) for k, v in spec["funding"].items()}
        files = []
        if period == CURRENT:
            files = [ContentFile("现场形象进度照片说明（演示）".encode(), name="形象进度说明.txt")]
        update = updates.project_update_submit(
            user=clerk, project=project, period=period, investment_completed=amounts,
            stage=reached[-1] if reached else "approved",
            milestone=f"累计完成投资约 {(total * pace * (index + 1)).quantize(D('1'))} 万元。",
            files=files,
        )  # fmt: skip
        count += 1
        if state == "approved":
            updates.project_update_approve(update=update, user=head)
    return count
