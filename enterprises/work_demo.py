"""Demo supervision work for local trial only (`setup_park --demo`, after the demo
enterprises): 一企一策 plans for the key units with quarterly progress (some measures late,
so the daily sweep warns their departments), on-site visits with open findings in the
warning loop, certificates and audits over the years, the committee's certificate targets,
and efficiency benchmarks for the ledger. Deterministic; a rerun changes nothing."""

from __future__ import annotations

import datetime as dt

from enterprises.demo import ENTRANT, KEY_UNITS_2021, enterprise_code

DEMO_SOURCE = "演示数据：参照《工业重点领域能效标杆水平和基准水平》的分级方式设定，数值仅供演示"
# (title, owner, start, due, tce/year, tCO₂/year, investment 万元)
MEASURES = [
    ("电机系统节能改造（高效电机＋变频）", "设备部 王工", "2024Q1", "2024Q4", "420", "1050", "360"),
    ("空压站余热回收", "动力车间 刘工", "2024Q3", "2025Q2", "260", "650", "180"),
    ("能源管理中心与二级计量建设", "能源管理员", "2025Q1", "2025Q4", "150", "375", "240"),
    ("屋顶分布式光伏", "基建部 陈工", "2025Q3", "2026Q2", "610", "1710", "1850"),
    ("工艺余热梯级利用", "生产技术部 张工", "2026Q1", "2027Q2", "1200", "3000", "2600"),
]
# Per key unit (index in enterprises.demo.ENTERPRISES): which measures, and how far each
# got by now: done / in_progress (on time or late) / planned.
PLANS = {
    0: [(0, "done"), (1, "done"), (3, "in_progress"), (4, "in_progress")],
    1: [(0, "done"), (2, "in_progress"), (4, "planned")],  # energy centre late
    2: [(1, "done"), (3, "done"), (4, "in_progress")],
    3: [(0, "done"), (3, "in_progress")],
    4: [(2, "done"), (4, "planned")],
    5: [(0, "in_progress"), (2, "done")],  # motors late (due 2024Q4)
    7: [(1, "done"), (2, "done"), (4, "in_progress")],
    11: [(0, "done"), (3, "planned")],  # photovoltaics not started, due 2026Q2
    ENTRANT: [(2, "in_progress"), (3, "planned")],
}
VISITS = [
    (
        1,
        "2026-09-18",
        "李娜、发改统计部 刘强",
        "检查能源计量器具配备和能源统计台账。",
        [
            ("主要用能设备二级计量器具配备率不足 80%", "按 GB 17167 补齐二级计量器具", 90),
            ("能源统计台账未按月报送主管部门", "建立月度能源台账并按月报送", 30),
        ],
    ),
    (
        5,
        "2026-10-22",
        "何军、工信局 黄丽",
        "检查一企一策措施落实情况。",
        [
            ("电机系统节能改造逾期未完成", "制定赶工计划，2027年一季度前完成", 120),
        ],
    ),
    (0, "2026-06-12", "李娜、张伟", "检查锅炉运行与余热利用情况；未发现问题。", []),
    (
        11,
        "2026-11-05",
        "发改统计部 刘强",
        "检查屋顶光伏项目进度。",
        [
            ("屋顶光伏项目尚未开工", "落实屋面荷载评估和并网手续，明确开工时间", 60),
        ],
    ),
]
# (enterprise index, kind, level, stage, year, issuer, number)
CERTIFICATES = [
    (2, "green_factory", "national", "", 2022, "工业和信息化部", "工信厅节函〔2022〕301号"),
    (1, "green_factory", "provincial", "", 2023, "山东省工业和信息化厅", "鲁工信节〔2023〕88号"),
    (5, "green_factory", "municipal", "", 2024, "德州市工业和信息化局", "德工信字〔2024〕15号"),
    (9, "green_factory", "municipal", "", 2025, "德州市工业和信息化局", "德工信字〔2025〕21号"),
    (3, "green_factory", "provincial", "", 2025, "山东省工业和信息化厅", "鲁工信节〔2025〕62号"),
    (11, "green_supply_chain", "national", "", 2024, "工业和信息化部", "工信厅节函〔2024〕117号"),
    (7, "clean_production", "", "started", 2023, "德州市生态环境局", "DZQJ-2023-07"),
    (7, "clean_production", "", "accepted", 2024, "德州市生态环境局", "DZQJ-2024-07"),
    (0, "clean_production", "", "started", 2025, "德州市生态环境局", "DZQJ-2025-01"),
    (4, "clean_production", "", "started", 2026, "德州市生态环境局", "DZQJ-2026-04"),
    *((i, "energy_audit", "", "", 2021, "山东省节能监察中心", f"JNSJ-2021-{i:02d}")
      for i in KEY_UNITS_2021),
    *((i, "energy_audit", "", "", 2024, "山东省节能监察中心", f"JNSJ-2024-{i:02d}")
      for i in (0, 1, 2, 7, 11)),
    (0, "energy_management", "", "", 2022, "中国质量认证中心", "EnMS-2022-0371"),
    (1, "energy_management", "", "", 2023, "中国质量认证中心", "EnMS-2023-0412"),
    (11, "energy_management", "", "", 2025, "中国质量认证中心", "EnMS-2025-0533"),
    (2, "carbon_management", "", "", 2025, "中国质量认证中心", "CMS-2025-0107"),
]  # fmt: skip
# (counter, year, value, 文号)
TARGETS = [
    ("green_factory", 2025, 2, "德经开管发〔2025〕6号"),
    ("green_factory", 2026, 3, "德经开管发〔2026〕4号"),
    ("clean_production_started", 2026, 2, "德经开管发〔2026〕4号"),
    ("energy_management", 2026, 2, "德经开管发〔2026〕4号"),
]
# (industry prefix, advanced, baseline) in tce/万元 of value added.
BENCHMARKS = [("26", "0.35", "0.9"), ("39", "0.03", "0.08"), ("38", "0.04", "0.1"),
              ("44", "1.2", "2.5"), ("34", "0.05", "0.12"), ("14", "0.06", "0.15")]  # fmt: skip


def _person(username: str, fallback):
    from accounts.models import User

    return User.objects.filter(username=username, is_active=True).first() or fallback


def enterprise_work_demo(*, user=None, today: dt.date | None = None) -> list[str]:
    """Plans, progress, visits, certificates, targets and benchmarks of the demo
    enterprises (each step skipped where it is already there). Returns summary lines."""
    from django.utils import timezone

    from accounts.services import system_user
    from enterprises import work_services
    from enterprises.models import Benchmark, CertificateCountTarget, Enterprise

    system = user or system_user()
    today = today or timezone.localdate()
    counts = {"measures": 0, "visits": 0, "certificates": 0, "targets": 0, "benchmarks": 0}
    enterprises = {
        e.code: e
        for e in Enterprise.objects.select_related("supervising_department").filter(
            code__in=[enterprise_code(i) for i in range(60)]
        )
    }

    def staff(enterprise):
        return _person(f"{enterprise.supervising_department.code.lower()}_clerk", system)

    for index, plan in PLANS.items():
        enterprise = enterprises.get(enterprise_code(index))
        if enterprise is None or enterprise.measures.exists():
            continue
        clerk = staff(enterprise)
        for number, state in plan:
            title, owner, start, due, tce, tco2, investment = MEASURES[number]
            measure = work_services.measure_create(
                user=clerk, enterprise=enterprise,
                data={"title": title, "owner": owner, "start_quarter": start,
                      "due_quarter": due, "savings_tce": tce, "savings_tco2": tco2,
                      "investment": investment},
            )  # fmt: skip
            counts["measures"] += 1
            if state == "planned":
                continue
            work_services.measure_progress_report(
                user=clerk, measure=measure, period=start, state="in_progress",
                note="已完成立项和设备招标，开始实施。",
            )  # fmt: skip
            if state == "done":
                work_services.measure_progress_report(
                    user=clerk, measure=measure, period=due, state="done",
                    note="已完成并投运，节能量经第三方核定。",
                )  # fmt: skip
    for index, day, inspectors, summary, findings in VISITS:
        enterprise = enterprises.get(enterprise_code(index))
        visit_day = dt.date.fromisoformat(day)
        if enterprise is None or visit_day > today or enterprise.visits.exists():
            continue
        work_services.visit_record(
            user=staff(enterprise), enterprise=enterprise, visit_date=visit_day,
            inspectors=inspectors, summary=summary,
            findings=[
                {"description": d, "requirement": r,
                 "due_date": max(visit_day + dt.timedelta(days=days), today)}
                for d, r, days in findings
            ],
        )  # fmt: skip
        counts["visits"] += 1
    for index, kind, level, stage, year, issuer, number in CERTIFICATES:
        enterprise = enterprises.get(enterprise_code(index))
        if enterprise is None or enterprise.certificates.filter(number=number).exists():
            continue
        work_services.certificate_record(
            user=staff(enterprise), enterprise=enterprise,
            data={"kind": kind, "level": level, "stage": stage, "year": year,
                  "issuer": issuer, "number": number},
        )  # fmt: skip
        counts["certificates"] += 1
    recorder, approver = _person("stats", None), _person("committee", None)
    if recorder is not None and approver is not None:
        for counter, year, value, document_no in TARGETS:
            if CertificateCountTarget.objects.filter(counter=counter, year=year).exists():
                continue
            work_services.certificate_count_target_set(
                counter=counter, year=year, value=value, reason="管委会年度工作要点确定",
                document_no=document_no, approver=approver, actor=recorder,
            )  # fmt: skip
            counts["targets"] += 1
    if not Benchmark.objects.exists():
        for industry, advanced, baseline in BENCHMARKS:
            work_services.benchmark_record(
                user=recorder or system,
                data={"industry": industry, "metric": "per_value_added", "unit": "tce/万元",
                      "advanced": advanced, "baseline": baseline, "year": 2025,
                      "source": DEMO_SOURCE},
            )  # fmt: skip
            counts["benchmarks"] += 1
    warnings = len(work_services.plan_deadlines_sweep(today=today))
    return [
        "一企一策、现场监督与认证 / plans, visits and certificates: "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + f", {warnings} overdue-measure warnings"
    ]
