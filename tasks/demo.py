"""Demo of the accountable work (`setup_park --demo`, called from accounts.demo): the work
items due in 2025 reported, co-signed and verified inside the 2025Q4 round (December
2025); parts of work items reported in 2026Q3 in every state, through the real services —
one awaiting its head, one awaiting the lead's co-sign, one returned, one ready for the
committee, one verified — and a committee-set due quarter that has passed (an overdue
item with its warning). Every step is dated inside its quarter's round
(dezhou_carbon.demo_clock). Running it again changes nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dezhou_carbon.demo_clock import on_day

PERIOD = "2026Q3"
PERIOD_2025 = "2025Q4"
# The 2025 items (due 2025Q4): (code, its parts' reports as (unit, narrative, quantity),
# the day the parts are reported; heads approve the next day, the lead's head co-signs
# the day after, the committee verifies on `verified`).
ITEMS_2025 = [
    ("11.4", [("ECO", "区域散煤清零完成，“三水”协同治理项目通过省级验收。", None)],
     dt.date(2025, 12, 22), dt.date(2025, 12, 29)),
    ("7.1", [("CON", "全年新建民用建筑均按绿色建筑标准建设，比例100%。", None)],
     dt.date(2025, 12, 22), dt.date(2025, 12, 29)),
    ("3.5", [("DRS", "主导产业主营业务收入412亿元，突破400亿元。", None),
             ("EIT", "配合完成主导产业企业运行监测与数据核实。", None),
             ("INV", "全年新引进主导产业项目9个，均已开工。", None)],
     dt.date(2025, 12, 23), dt.date(2025, 12, 30)),
    ("8.3", [("URB", "一般工业固废综合利用率达到91.2%。", None),
             ("ECO", "完成重点产废企业固废管理台账核查。", None)],
     dt.date(2025, 12, 23), dt.date(2025, 12, 30)),
    ("8.4", [("URB", "一般工业固废产生强度0.76吨/万元，低于0.78吨/万元。", None),
             ("ECO", "配合核定固废产生量与工业增加值口径。", None)],
     dt.date(2025, 12, 23), dt.date(2025, 12, 30)),
]  # fmt: skip


def tasks_2025_demo(people: dict) -> list[str]:
    """The work items due in 2025, reported done by every unit with a part, approved by
    each unit's head, the supporting parts co-signed by the lead's head and verified by
    the committee before the year's end (the assessment of 2025 counts them on time).
    `people`: the demo accounts by user name."""
    from tasks.models import PartReport, WorkItem, WorkItemPart
    from tasks.workflow import (
        part_report_approve,
        part_report_cosign,
        part_report_submit,
        work_item_verify,
    )

    if PartReport.objects.filter(period=PERIOD_2025).exists():
        return []
    verified = 0
    with transaction.atomic():
        for code, parts, reported, verified_on in ITEMS_2025:
            item = WorkItem.objects.get(code=code)
            reports = []
            for unit, narrative, quantity in parts:
                part = WorkItemPart.objects.get(work_item=item, department__code=unit)
                with on_day(reported, 10, 0):
                    report = part_report_submit(
                        part=part, period=PERIOD_2025, progress="done", narrative=narrative,
                        quantity=quantity, user=people[f"{unit.lower()}_clerk"],
                    )  # fmt: skip
                with on_day(reported + dt.timedelta(days=1), 11, 0):
                    part_report_approve(report=report, user=people[f"{unit.lower()}_head"])
                reports.append((part, report))
            lead_unit = parts[0][0]
            for part, report in reports:
                if part.department.code != lead_unit:
                    with on_day(reported + dt.timedelta(days=2), 15, 0):
                        part_report_cosign(report=report, user=people[f"{lead_unit.lower()}_head"])
            with on_day(verified_on, 16, 0):
                work_item_verify(
                    item=item, period=PERIOD_2025, user=people["committee"],
                    comment="年度目标完成，佐证材料齐全，同意销号。",
                )  # fmt: skip
            verified += 1
    return [f"2025年到期工作要点 / work items due in 2025: {verified} verified in {PERIOD_2025}"]


def tasks_demo(people: dict) -> list[str]:
    """`people`: the demo accounts by user name (accounts.demo.DEMO_ACCOUNTS)."""
    from tasks.models import PartReport, WorkItem, WorkItemPart
    from tasks.workflow import (
        part_report_approve,
        part_report_cosign,
        part_report_submit,
        work_item_plan_set,
        work_item_verification_return,
        work_item_verify,
    )

    if PartReport.objects.filter(period=PERIOD).exists():
        return []

    def part(code, unit):
        return WorkItemPart.objects.get(work_item__code=code, department__code=unit)

    def report(code, unit, progress, narrative, quantity=None):
        return part_report_submit(
            part=part(code, unit), period=PERIOD, progress=progress, narrative=narrative,
            quantity=quantity, user=people[f"{unit.lower()}_clerk"],
        )  # fmt: skip

    with transaction.atomic(), on_day(dt.date(2026, 9, 24), 10, 0):
        # Reported, decided and verified in the round's last week of September.
        # 5.1 green factories: ECO supports, EIT leads; co-signed and verified.
        eco = report("5.1", "ECO", "done", "完成3家申报企业环评手续核查。", "3")
        part_report_approve(report=eco, user=people["eco_head"])
        eit = report("5.1", "EIT", "done", "组织5家企业申报省级绿色工厂，均已获批。", "5")
        part_report_approve(report=eit, user=people["eit_head"])
        part_report_cosign(report=eco, user=people["eit_head"])
        work_item_verify(
            item=WorkItem.objects.get(code="5.1"), period=PERIOD, user=people["committee"],
            comment="批复文件齐全，同意销号。",
        )  # fmt: skip
        # 5.3 green supply chains: ready for the committee (lead done, support co-signed).
        eco = report("5.3", "ECO", "done", "配合完成2条绿色供应链企业的环境信息核查。")
        part_report_approve(report=eco, user=people["eco_head"])
        eit = report("5.3", "EIT", "done", "电子信息、新材料2条绿色供应链完成创建。")
        part_report_approve(report=eit, user=people["eit_head"])
        part_report_cosign(report=eco, user=people["eit_head"])
        # 1.4 distributed PV: GRID's part awaits its head; NRB's 1.1 awaits DRS's co-sign.
        report("1.4", "GRID", "in_progress", "本季度新增并网分布式光伏12.5兆瓦。", "12.5")
        nrb = report("1.1", "NRB", "in_progress", "完成2处中深层地热井勘查选址。")
        part_report_approve(report=nrb, user=people["nrb_head"])
        # 13.1 (EIT alone): the committee returned it for more evidence.
        lead = report("13.1", "EIT", "done", "孵化器、加速器体系已建成。")
        part_report_approve(report=lead, user=people["eit_head"])
        work_item_verification_return(
            item=WorkItem.objects.get(code="13.1"), period=PERIOD, user=people["committee"],
            comment="请补充孵化器认定文件。",
        )  # fmt: skip
        # 7.2 green building labels (CON alone): in progress, approved.
        con = report("7.2", "CON", "in_progress", "3个项目取得二星级绿色建筑标识。")
        part_report_approve(report=con, user=people["con_head"])
        # The committee set a due quarter the plan left open; it has passed: overdue.
        work_item_plan_set(
            item=WorkItem.objects.get(code="3.4"), user=people["committee"],
            reason="管委会2026年第2次主任会议议定", due_year=2026, due_quarter=2,
            quantity_unit="个", quantity_target="3",
        )  # fmt: skip
    states = PartReport.objects.filter(period=PERIOD).values_list("state", flat=True)
    return [
        f"任务分工报告 / part reports {PERIOD}: {len(states)} ({', '.join(sorted(set(states)))})"
    ]
