"""Writes of the supervision work on enterprises (issue 17 items 3–6): plan measures
(一企一策) and their quarterly progress with evidence, overdue measures raised as warnings,
on-site visits whose findings run through the warning loop, certificates and audits with
their count targets, efficiency benchmarks. One transaction and one audit record each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.files import evidence_file_check
from enterprises import work_rules
from enterprises.models import (
    Benchmark,
    CertificateCountTarget,
    CertificateKind,
    CertificateLevel,
    CertificateStage,
    Enterprise,
    EnterpriseCertificate,
    Finding,
    Measure,
    MeasureProgress,
    Visit,
)
from indicators.cache import page_changed
from indicators.numbers import NumberRefused, decimal_text, parse_number
from indicators.periods import MAX_YEAR, MIN_YEAR, Period, PeriodError

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_FINDINGS = 20


def _refuse_unless_supervisor(user, enterprise: Enterprise) -> None:
    if not permissions.can_manage_enterprise_work(user, enterprise.supervising_department_id):
        raise PermissionRefused(
            "只有该企业的主管部门可以维护其方案、现场监督和认证记录。",
            "Only the enterprise's supervising department can keep its plan, visits and "
            "certificates.",
            code="permission_denied",
        )


def _text(data: dict, name: str, zh: str, en: str, *, required: bool = True, limit: int = 0):
    value = str(data.get(name) or "").replace("\x00", "").strip()
    if required and not value:
        raise ApplicationError(f"请填写{zh}。", f"{en} is required.", code="required")
    if limit and len(value) > limit:
        raise ApplicationError(
            f"{zh}不能超过 {limit} 个字符。",
            f"{en} cannot be longer than {limit} characters.",
            code="too_long",
        )
    return value


def _amount(data: dict, name: str, zh: str, en: str) -> Decimal:
    raw = data.get(name)
    typed = "" if raw is None else str(raw)
    try:
        value = parse_number(typed, max_integer_digits=12, max_decimal_places=4)
    except NumberRefused as refused:
        raise ApplicationError(
            f"{zh}“{typed[:40]}”：{refused.reason_zh}。",
            f"{en} '{typed[:40]}': {refused.reason_en}.",
            code="not_a_number",
        ) from None
    if value < 0:
        raise ApplicationError(
            f"{zh}不能为负数。", f"{en} cannot be negative.", code="negative_value"
        )
    return value


def _quarter(data: dict, name: str, zh: str, en: str) -> str:
    typed = str(data.get(name) or "").strip()
    try:
        period = Period.parse_lenient(typed)
    except PeriodError:
        period = None
    if period is None or period.quarter is None:
        raise ApplicationError(
            f"{zh}“{typed[:20]}”应为季度，例如 2026Q3。",
            f"{en} '{typed[:20]}' should be a quarter such as 2026Q3.",
            code="bad_quarter",
        )
    return period.code


def _year(raw, zh: str = "年度", en: str = "Year") -> int:
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ApplicationError(
            f"{zh}“{str(raw)[:10]}”无效。", f"{en} '{str(raw)[:10]}' is not valid.",
            code="bad_year",
        )  # fmt: skip
    return year


def _evidence(upload) -> dict:
    """The evidence file's fields (none when no file was given), checked by content."""
    if upload is None:
        return {}
    checked = evidence_file_check(upload, max_bytes=MAX_EVIDENCE_BYTES)
    return {
        "file": upload,
        "file_name": checked.name,
        "file_sha256": checked.sha256,
        "file_kind": checked.kind,
        "file_size": checked.size,
    }


# --- 一企一策 plans ---------------------------------------------------------------------


@transaction.atomic
def measure_create(*, user, enterprise: Enterprise, data: dict) -> Measure:
    """The supervising department adds a measure to an enterprise's plan."""
    _refuse_unless_supervisor(user, enterprise)
    start = _quarter(data, "start_quarter", "开始季度", "The start quarter")
    due = _quarter(data, "due_quarter", "完成季度", "The due quarter")
    if Period.parse(due) < Period.parse(start):
        raise ApplicationError(
            "完成季度不能早于开始季度。",
            "The due quarter cannot be before the start quarter.",
            code="bad_timetable",
        )
    measure = Measure.objects.create(
        enterprise=enterprise,
        title=_text(data, "title", "措施名称", "The measure", limit=200),
        description=_text(data, "description", "内容", "The description", required=False),
        owner=_text(data, "owner", "责任人", "The owner", limit=100),
        start_quarter=start,
        due_quarter=due,
        savings_tce=_amount(data, "savings_tce", "预计节能量", "Expected energy savings"),
        savings_tco2=_amount(data, "savings_tco2", "预计减碳量", "Expected CO₂ reduction"),
        investment=_amount(data, "investment", "投资", "The investment"),
        created_by=user,
    )
    audit_record(
        actor=user,
        action="enterprise_measure_create",
        object_type="enterprise",
        object_id=enterprise.code,
        department_code=enterprise.supervising_department.code,
        period=due,
        new_value=measure.title,
        details={
            "measure": measure.pk,
            "savings_tce": decimal_text(measure.savings_tce),
            "savings_tco2": decimal_text(measure.savings_tco2),
            "investment": decimal_text(measure.investment),
        },
    )
    page_changed()  # the register's count of key units with a plan, on the to-do page
    return measure


@transaction.atomic
def measure_progress_report(
    *, user, measure: Measure, period: str, state: str, note: str, upload=None
) -> MeasureProgress:
    """A quarter's status of a measure, with a note and (optionally) an evidence file;
    the measure takes the state of its newest report. A correction is a newer report."""
    measure = Measure.objects.select_for_update().select_related("enterprise").get(pk=measure.pk)
    enterprise = measure.enterprise
    if not permissions.can_report_enterprise_progress(user, enterprise):
        raise PermissionRefused(
            "只有该企业的主管部门或本企业的能源管理员可以报告措施进展。",
            "Only the enterprise's supervising department or its own energy manager can "
            "report a measure's progress.",
            code="permission_denied",
        )
    quarter = _quarter({"period": period}, "period", "季度", "The quarter")
    if state not in Measure.State.values:
        raise ApplicationError(
            f"状态“{str(state)[:20]}”无效。", f"State '{str(state)[:20]}' is not known.",
            code="bad_state",
        )  # fmt: skip
    note = _text({"note": note}, "note", "进展说明", "A note")
    evidence = _evidence(upload)
    progress = MeasureProgress.objects.create(
        measure=measure, period=quarter, state=state, note=note, reported_by=user, **evidence
    )
    old = measure.state
    measure.state = state
    measure.save(update_fields=["state"])
    audit_record(
        actor=user,
        action="enterprise_measure_progress",
        object_type="enterprise",
        object_id=enterprise.code,
        department_code=enterprise.supervising_department.code,
        period=quarter,
        old_value=old,
        new_value=state,
        reason=note,
        details={
            "measure": measure.pk,
            "progress": progress.pk,
            "file": evidence.get("file_name", ""),
            "sha256": evidence.get("file_sha256", ""),
        },
    )
    return progress


def plan_deadlines_sweep(*, today: dt.date | None = None) -> list:
    """Every unfinished measure past its due quarter raises (or brings up to date: yellow,
    then red) a deadline warning owned by the enterprise's supervising department. One
    live warning per measure (the warning loop's dedupe key): running it twice changes
    nothing."""
    from dashboards.models import EarlyWarning
    from dashboards.services import warning_raise

    today = today or timezone.localdate()
    current = work_rules.quarter_of(today)
    raised = []
    candidates = (
        Measure.objects.filter(
            state__in=[Measure.State.PLANNED, Measure.State.IN_PROGRESS],
            due_quarter__lt=current,
        )
        .select_related("enterprise__supervising_department")
        .order_by("pk")
    )
    for measure in candidates:
        level = work_rules.overdue_level(measure.state, measure.due_quarter, today)
        if level is None:
            continue
        enterprise = measure.enterprise
        warning = warning_raise(
            key=f"enterprise:{enterprise.code}:measure:{measure.pk}",
            kind=EarlyWarning.Kind.DEADLINE,
            level=level,
            department=enterprise.supervising_department,
            period="",  # the due quarter is in the message: the warning has no YTD period
            title_zh=f"{enterprise.name}：一企一策措施“{measure.title[:60]}”逾期未完成",
            title_en=f"{enterprise.name}: plan measure '{measure.title[:60]}' is overdue",
            message_zh=f"措施“{measure.title}”（责任人 {measure.owner}）应于 "
            f"{measure.due_quarter} 前完成，目前状态为“{measure.get_state_display()}”。",
            message_en=f"The measure '{measure.title}' (owner {measure.owner}) was due by "
            f"the end of {measure.due_quarter} and is {measure.state.replace('_', ' ')}.",
        )
        if warning is not None:
            raised.append(warning)
    return raised


# --- on-site supervision ---------------------------------------------------------------


def _findings(rows) -> list[dict]:
    cleaned = []
    for number, row in enumerate(rows or [], start=1):
        if not any(str(row.get(k) or "").strip() for k in ("description", "requirement")):
            continue
        description = _text(row, "description", f"第{number}项发现问题", f"Finding {number}")
        requirement = _text(
            row, "requirement", f"第{number}项整改要求", f"The requirement of finding {number}"
        )
        raw = row.get("due_date")
        try:
            due = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ApplicationError(
                f"第{number}项整改期限“{str(raw)[:20]}”应为日期，例如 2026-12-31。",
                f"The due date of finding {number} '{str(raw)[:20]}' should be a date such "
                "as 2026-12-31.",
                code="bad_date",
            ) from None
        cleaned.append({"description": description, "requirement": requirement, "due": due})
    if len(cleaned) > MAX_FINDINGS:
        raise ApplicationError(
            f"一次检查最多记录 {MAX_FINDINGS} 项问题。",
            f"A visit records at most {MAX_FINDINGS} findings.",
            code="too_many",
        )
    return cleaned


@transaction.atomic
def visit_record(
    *, user, enterprise: Enterprise, visit_date, inspectors: str, summary: str, findings
) -> Visit:
    """An on-site visit with its findings: each finding is a rectification item with a due
    date, raised as a warning owned by the supervising department (the enterprise as its
    subject) and answered through the warning loop."""
    from dashboards.models import EarlyWarning
    from dashboards.services import warning_raise

    _refuse_unless_supervisor(user, enterprise)
    try:
        day = (
            visit_date
            if isinstance(visit_date, dt.date)
            else dt.date.fromisoformat(str(visit_date).strip())
        )
    except ValueError:
        raise ApplicationError(
            f"检查日期“{str(visit_date)[:20]}”应为日期，例如 2026-10-15。",
            f"The visit date '{str(visit_date)[:20]}' should be a date such as 2026-10-15.",
            code="bad_date",
        ) from None
    if day > timezone.localdate():
        raise ApplicationError(
            "检查日期不能晚于今天。", "The visit date cannot be in the future.", code="bad_date"
        )
    inspectors = _text({"v": inspectors}, "v", "检查人员", "The inspectors", limit=300)
    rows = _findings(findings)
    for row in rows:
        if row["due"] < day:
            raise ApplicationError(
                "整改期限不能早于检查日期。",
                "A due date cannot be before the visit.",
                code="bad_date",
            )
    visit = Visit.objects.create(
        enterprise=enterprise,
        visit_date=day,
        inspectors=inspectors,
        summary=str(summary or "").replace("\x00", "").strip(),
        recorded_by=user,
    )
    department = enterprise.supervising_department
    for row in rows:
        finding = Finding.objects.create(
            visit=visit,
            description=row["description"],
            requirement=row["requirement"],
            due_date=row["due"],
        )
        finding.warning = warning_raise(
            key=f"enterprise:{enterprise.code}:finding:{finding.pk}",
            kind=EarlyWarning.Kind.FINDING,
            level=EarlyWarning.Level.YELLOW,
            department=department,
            period="",  # a rectification item has a due date, not a reporting period
            title_zh=f"{enterprise.name}：现场监督发现问题待整改",
            title_en=f"{enterprise.name}: a finding of the on-site visit to rectify",
            message_zh=f"{day:%Y-%m-%d} 现场监督（{inspectors}）发现：{row['description']}"
            f"。整改要求：{row['requirement']}。整改期限 {row['due']:%Y-%m-%d}。",
            message_en=f"On-site visit of {day:%Y-%m-%d} ({inspectors}) found: "
            f"{row['description']}. Required: {row['requirement']}. Due "
            f"{row['due']:%Y-%m-%d}.",
            due_date=row["due"],
        )
        finding.save(update_fields=["warning"])
    audit_record(
        actor=user,
        action="enterprise_visit_record",
        object_type="enterprise",
        object_id=enterprise.code,
        department_code=department.code,
        period=work_rules.quarter_of(day),
        new_value=f"{day:%Y-%m-%d}",
        reason=inspectors,
        details={"visit": visit.pk, "findings": len(rows)},
    )
    return visit


# --- certificates and audits -----------------------------------------------------------


@transaction.atomic
def certificate_record(*, user, enterprise: Enterprise, data: dict, upload=None):
    """A certificate, recognition or audit of an enterprise in a year: a green factory
    needs its level; a clean-production audit its stage (started or accepted)."""
    _refuse_unless_supervisor(user, enterprise)
    kind = str(data.get("kind") or "")
    if kind not in CertificateKind.values:
        raise ApplicationError(
            f"类别“{kind[:30]}”无效。", f"Kind '{kind[:30]}' is not known.", code="bad_kind"
        )
    level = str(data.get("level") or "")
    stage = str(data.get("stage") or "")
    if level not in CertificateLevel.values or stage not in CertificateStage.values:
        raise ApplicationError(
            "级别或阶段无效。", "The level or stage is not known.", code="bad_level"
        )
    if kind == CertificateKind.GREEN_FACTORY and not level:
        raise ApplicationError(
            "绿色工厂须注明级别（国家级、省级或市级）。",
            "A green factory needs its level (national, provincial or municipal).",
            code="level_required",
        )
    if kind == CertificateKind.CLEAN_PRODUCTION and not stage:
        raise ApplicationError(
            "清洁生产审核须注明阶段（已启动或已验收）。",
            "A clean-production audit needs its stage (started or accepted).",
            code="stage_required",
        )
    if kind != CertificateKind.CLEAN_PRODUCTION:
        stage = ""
    certificate = EnterpriseCertificate.objects.create(
        enterprise=enterprise,
        kind=kind,
        level=level,
        stage=stage,
        year=_year(data.get("year")),
        issuer=_text(data, "issuer", "发证机构", "The issuer", required=False, limit=200),
        number=_text(data, "number", "编号", "The number", required=False, limit=100),
        recorded_by=user,
        **_evidence(upload),
    )
    audit_record(
        actor=user,
        action="enterprise_certificate_record",
        object_type="enterprise",
        object_id=enterprise.code,
        department_code=enterprise.supervising_department.code,
        period=str(certificate.year),
        new_value=f"{kind} {level or stage}".strip(),
        details={
            "certificate": certificate.pk,
            "number": certificate.number,
            "sha256": certificate.file_sha256,
        },
    )
    page_changed()  # the register's counts beside work items (to-do, verification queue)
    return certificate


def certificate_count_target_set(
    *, counter: str, year, value, reason: str, document_no: str, approver, actor
) -> CertificateCountTarget:
    """Set a certificate counter's target for a year by the committee's decision, through
    the governed target path's check of who records and who approves; reason and 文号
    required. A new version replaces the current one, which stays. The one service of
    every counter's target (dezhou_carbon.count_targets.count_target_set)."""
    from dezhou_carbon.count_targets import count_target_set

    return count_target_set(
        CertificateCountTarget, counter=counter, counters=work_rules.COUNTER_KEYS, year=year,
        value=value, reason=reason, document_no=document_no, approver=approver, actor=actor,
        action="certificate_count_target_set", object_type="certificate_count_target",
    )  # fmt: skip


# --- efficiency benchmarks -------------------------------------------------------------


@transaction.atomic
def benchmark_record(*, user, data: dict) -> Benchmark:
    """An efficiency benchmark (标杆 and 基准) of an industry or a product, with its source
    (the statistics office, which keeps the register, and administrators)."""
    if not permissions.can_manage_enterprises(user):
        raise PermissionRefused(
            "只有统计办可以录入能效标杆。",
            "Only the statistics office can enter efficiency benchmarks.",
            code="permission_denied",
        )
    industry = _text(data, "industry", "行业代码", "The industry code", required=False)
    product = _text(data, "product", "产品", "The product", required=False, limit=100)
    if industry and not (industry.isascii() and industry.isdigit() and 2 <= len(industry) <= 4):
        raise ApplicationError(
            f"行业代码“{industry[:10]}”应为 2—4 位数字（GB/T 4754-2017）。",
            f"Industry code '{industry[:10]}' should be 2–4 digits (GB/T 4754-2017).",
            code="bad_industry",
        )
    if not industry and not product:
        raise ApplicationError(
            "请填写行业代码或产品。", "An industry code or a product is required.",
            code="required",
        )  # fmt: skip
    metric = str(data.get("metric") or "")
    if metric not in Benchmark.Metric.values:
        raise ApplicationError(
            f"指标“{metric[:30]}”无效。", f"Metric '{metric[:30]}' is not known.",
            code="bad_metric",
        )  # fmt: skip
    advanced = _amount(data, "advanced", "标杆水平", "The advanced level")
    baseline = _amount(data, "baseline", "基准水平", "The baseline level")
    if advanced > baseline:
        raise ApplicationError(
            "标杆水平（先进值）应不高于基准水平。",
            "The advanced level cannot be above the baseline (lower energy use is better).",
            code="bad_levels",
        )
    unit = _text(data, "unit", "单位", "The unit", limit=40)
    if metric == Benchmark.Metric.PER_VALUE_ADDED:
        unit = "tce/万元"
    benchmark = Benchmark.objects.create(
        industry=industry,
        product=product,
        metric=metric,
        unit=unit,
        advanced=advanced,
        baseline=baseline,
        year=_year(data.get("year")),
        source=_text(data, "source", "来源", "The source"),
        recorded_by=user,
    )
    audit_record(
        actor=user,
        action="benchmark_record",
        object_type="benchmark",
        object_id=benchmark.pk,
        period=str(benchmark.year),
        new_value=f"{decimal_text(advanced)}/{decimal_text(baseline)} {unit}",
        reason=benchmark.source,
        details={"industry": industry, "product": product, "metric": metric},
    )
    return benchmark
