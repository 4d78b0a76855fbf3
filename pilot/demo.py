"""Demo data of the pilot app (`setup_park --demo`): the 2026 annual pilot report under way
— the targets and task sections approved by the committee, the innovations' section waiting
for it, the problems section in draft — two typical cases (one recommended to the province,
one selected by it with its 文号), and a few items on the public page. Made through the
services by the demo's named people. Safe to run twice."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from pilot import services
from pilot.models import AnnualReport, Case, Publication

NARRATIVES = {
    "targets": "2026年1—9月，园区规模以上工业单位增加值能耗持续下降，非化石能源消费比重稳步提高；"
    "个别指标受新投产项目影响，进度慢于时间进度，已列入预警闭环跟踪整改。",
    "tasks": "18项重点任务按计划推进，管委会已对到期工作要点逐项销号；未到期要点按季度调度。",
    "innovations": "重点用能单位碳排放统计专项管理、项目碳排放评价和产品碳足迹核算三项政策创新"
    "均已形成工作机制，计数见上表。",
    "problems": "部分单位季度数据报送不及时；存量项目碳排放评价覆盖面仍不足。",
}


def _person(role, department_code=None):
    people = User.objects.filter(role=role, is_active=True).order_by("pk")
    if department_code:
        people = people.filter(department__code=department_code)
    return people.first()


def pilot_demo() -> list[str]:
    if AnnualReport.objects.filter(year=2026).exists():
        return ["  试点进展报告 / pilot report: 2026 already present"]
    committee = _person(User.Role.COMMITTEE)
    drs = _person(User.Role.CLERK, "DRS")
    eco = _person(User.Role.CLERK, "ECO")
    if not (committee and drs and eco):
        return ["  试点进展报告 / pilot report: demo people missing, skipped"]
    report = services.annual_report_open(year=2026, user=committee)
    sections = {s.key: s for s in report.sections.all()}
    for key in ("targets", "tasks"):
        services.section_save(section=sections[key], narrative=NARRATIVES[key], user=drs)
        services.section_submit(section=sections[key], user=drs)
        services.section_decide(section=sections[key], approve=True, comment="", user=committee)
    services.section_save(
        section=sections["innovations"], narrative=NARRATIVES["innovations"], user=eco
    )
    services.section_submit(section=sections["innovations"], user=eco)
    services.section_save(section=sections["problems"], narrative=NARRATIVES["problems"], user=drs)

    from tasks.models import Task

    statistics = services.case_create(
        user=drs,
        title_zh="重点用能单位碳排放统计“一企一策”专项管理",
        title_en="Carbon statistics of key energy users, one plan per enterprise",
        summary_zh="发改统计部为每家重点用能单位制定专属统计方案，按季度核对企业与园区数据，"
        "差异超过容差即进入预警闭环，当年企业报送及时率明显提高。",
        summary_en="The statistics department gives each key energy user its own statistics "
        "plan and reconciles enterprise and park figures quarterly; gaps beyond tolerance "
        "enter the warning loop.",
        year=2026,
        department=drs.department,
        tasks=Task.objects.filter(code="P1"),
    )
    services.case_evidence_attach(
        case=statistics,
        upload=SimpleUploadedFile(
            "一企一策统计方案（摘要）.txt",
            "重点用能单位碳排放统计专项方案摘要：统计范围、核算边界、报送时限、核对规则。".encode(),
        ),
        user=drs,
    )
    services.case_decide(case=statistics, status="submitted", user=committee)
    footprint = services.case_create(
        user=eco,
        title_zh="新能源电池产品碳足迹核算先行先试",
        title_en="Product carbon footprints of new-energy batteries, piloted first",
        summary_zh="生态环境分局依据 GB/T 24067-2024 组织园区电池企业开展产品碳足迹核算，"
        "建立本地化因子库，推动企业取得碳足迹认证和碳标识。",
        summary_en="The ecology sub-bureau had the park's battery makers footprint their "
        "products under GB/T 24067-2024 with a local factor library, leading to "
        "certificates and carbon labels.",
        year=2026,
        department=eco.department,
        tasks=Task.objects.filter(code="P3"),
    )
    services.case_decide(case=footprint, status="submitted", user=committee)
    services.case_decide(
        case=footprint, status="province", user=committee, document_no="鲁发改环资〔2026〕112号"
    )

    from indicators.models import Target
    from tasks.models import WorkItem

    services.publish(kind="case", object_id=footprint.pk, user=committee)
    for target in Target.objects.order_by("code")[:3]:
        services.publish(kind="target", object_id=target.pk, user=committee)
    for item in WorkItem.objects.filter(verified_at__isnull=False).order_by("verified_at")[:3]:
        services.publish(kind="work_item", object_id=item.pk, user=committee)
    return [
        "  试点进展报告 / pilot report: 2026 workspace (2 sections approved, 1 awaiting the "
        f"committee, 1 in draft), {Case.objects.count()} cases, "
        f"{Publication.objects.count()} items on the public page"
    ]
