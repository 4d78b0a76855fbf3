"""Demo of the units' assessment (`setup_park --demo`): the 2025 scheme approved with its
文号, the 2025 assessment frozen from the demo's records by the committee's 王建国, explained
by 发改统计部, adjusted with reasons, signed off by a second committee member (李明, never
the one who froze it) and followed by a commendation, an admonitory talk and a public
criticism; 2026 is previewed from the running year's records on the pages. Made through the
services by named people. Safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from accounts.models import User
from assessment import calculations as calc
from assessment import services
from assessment.models import Assessment

YEAR = 2025
DOCUMENT_NO = "德经开管发〔2025〕12号"
# The days each step happened (dezhou_carbon.demo_clock): the scheme approved early in the
# year it governs, the year frozen once its last records were in, explained, adjusted and
# signed off at the committee's first meeting of 2026, rewards and sanctions after it.
SCHEME_APPROVED = dt.date(2025, 3, 10)
FROZEN = dt.date(2026, 1, 20)
EXPLAINED = dt.date(2026, 1, 23)
ADJUSTED = dt.date(2026, 2, 2)
SIGNED_OFF = dt.date(2026, 2, 5)
DECIDED = dt.date(2026, 2, 12)


def _person(username: str, role: str, name: str, department: str | None = None) -> User:
    from tasks.models import Department

    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "first_name": name,
            "department": Department.objects.get(code=department) if department else None,
        },
    )
    if created:
        from accounts.demo import DEMO_PASSWORD

        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def assessment_demo() -> list[str]:
    if Assessment.objects.filter(year=YEAR).exists():
        return [f"{YEAR}年度考核 / {YEAR} assessment: already signed off"]
    committee = _person("committee", User.Role.COMMITTEE, "王建国")
    second = _person("committee_li", User.Role.COMMITTEE, "李明")
    stats = _person("stats", User.Role.STATISTICS_OFFICE, "统计办")
    clerk = _person("drs_clerk", User.Role.CLERK, "发改统计部填报员", "DRS")
    from dezhou_carbon.demo_clock import on_day

    with on_day(SCHEME_APPROVED, 10, 0):
        services.scheme_record(
            year=YEAR,
            rules=calc.DEFAULT_RULES,
            document_no=DOCUMENT_NO,
            reason="按园区碳达峰试点实施方案保障措施，制定2025年度责任单位目标责任考核办法。",
            approver=committee,
            actor=stats,
        )
    with on_day(FROZEN, 10, 0):
        assessment = services.assessment_freeze(year=YEAR, user=committee)
    with on_day(EXPLAINED, 15, 0):
        services.explanation_add(
            assessment=assessment,
            department="DRS",
            text="四项目标所需的年度数据由省统计局次年发布，考核冻结时尚无数据，待发布后补报并说明。",
            user=clerk,
        )
    with on_day(ADJUSTED, 10, 0):
        services.adjustment_add(
            assessment=assessment,
            department="DRS",
            points=D(2),
            reason="牵头完成国家碳达峰试点园区年度进展材料报送，经管委会会议研究加2分。",
            user=committee,
        )
    preview = calc.year_scores(assessment.snapshot, assessment.scheme.rules, {"DRS": [D(2)]})
    ranked = [score for score in preview if score.total is not None]
    lowest = ranked[-1].department if ranked else "DRS"
    if ranked and lowest != "DRS":
        with on_day(ADJUSTED, 10, 30):
            services.adjustment_add(
                assessment=assessment,
                department=lowest,
                points=D(-1),
                reason="预警整改材料两次退回补正，经管委会会议研究减1分。",
                user=committee,
            )
    with on_day(SIGNED_OFF, 16, 0):
        assessment = services.assessment_sign_off(
            assessment=assessment, user=second, comment="经管委会2026年第1次主任办公会审定。"
        )
    rows = [row for row in assessment.scores["rows"] if row["total"] is not None]
    decisions = []
    if rows:
        decisions.append(
            (rows[0]["department"], "commendation", "年度考核总分第一，予以通报表扬。")
        )
        decisions.append(
            (rows[-1]["department"], "interview", "年度考核总分末位，由管委会主要负责人约谈。")
        )
        # A failing unit other than the one talked to and the one the committee commended
        # for its extra work (DRS's bonus).
        spared = {rows[-1]["department"], "DRS"}
        failed = [
            row["department"]
            for row in rows
            if row["grade"] == calc.FAIL and row["department"] not in spared
        ]
        if failed:
            decisions.append((failed[0], "criticism", "年度考核不合格，予以通报批评并限期整改。"))
    for department, kind, reason in decisions:
        with on_day(DECIDED, 10, 0):
            services.consequence_record(
                assessment=assessment,
                department=department,
                kind=kind,
                reason=reason,
                document_no="德经开管字〔2026〕3号",
                user=committee,
            )
    return [
        f"{YEAR}年度考核 / {YEAR} assessment: signed off ({len(rows)} units assessed, "
        f"{len(decisions)} rewards or sanctions); 2026 previewed on /assessment/"
    ]
