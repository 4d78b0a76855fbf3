"""Demo of the accountable work (`setup_park --demo`, called from accounts.demo): parts of
work items reported in 2026Q3 in every state, through the real services — one awaiting its
head, one awaiting the lead's co-sign, one returned, one ready for the committee, one
verified — and a committee-set due quarter that has passed (an overdue item with its
warning). Running it again changes nothing."""

from __future__ import annotations

from django.db import transaction

PERIOD = "2026Q3"


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

    with transaction.atomic():
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
