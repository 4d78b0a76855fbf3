"""Pages of the register, the reconciliation and the gap attribution. Views stay thin:
reads through enterprises.selectors/analysis, writes through enterprises.services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from dashboards.cache import cached, generation_key
from dashboards.views import product_page
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import localized, page_language, says
from enterprises import work_rules
from enterprises.analysis import gap_attribution, period_parse, reconciliation
from enterprises.charts import WaterfallLabels, trend_figure, waterfall_figure
from enterprises.exporting import ledger_xlsx, register_xlsx
from enterprises.ledger import PAGE_SIZE, enterprise_series, ledger
from enterprises.models import Enterprise, EnterprisePeriod, LeadingIndustry, RegisterUpload
from enterprises.product_output import (
    can_import_output,
    comparison_texts,
    product_comparisons,
    with_product_benchmarks,
)
from enterprises.quarters import (
    enterprise_figures,
    enterprise_items,
    enterprise_quarter_approve,
    enterprise_quarter_correction_request,
    enterprise_quarter_reopen,
    enterprise_quarter_return,
    enterprise_quarter_save,
    enterprise_quarter_submit,
    quarter_checked,
    quarter_state,
)
from enterprises.selectors import (
    enterprise_quarter_queue,
    enterprise_quarters,
    enterprises_visible_to,
    register_rows,
)
from enterprises.services import (
    enterprise_access_refused_record,
    register_upload_confirm,
    register_upload_preview,
)
from enterprises.work_selectors import profile_sections
from indicators.models import IndicatorResult
from indicators.numbers import NumberRefused, decimal_text, parse_optional_number
from reporting.workflow import EntryValue
from tasks.models import Department

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _filtered(request):
    enterprises = enterprises_visible_to(request.user)
    key_unit = request.GET.get("key_unit", "")
    if key_unit in ("1", "0"):
        enterprises = enterprises.filter(is_key_unit=key_unit == "1")
    department = request.GET.get("department", "")
    if department:
        enterprises = enterprises.filter(supervising_department__code=department[:20])
    leading = request.GET.get("leading_industry", "")
    if leading and leading in LeadingIndustry.values:
        enterprises = enterprises.filter(leading_industry=leading)
    text = request.GET.get("q", "").strip()[:100].replace("\x00", "")
    if text:
        enterprises = enterprises.filter(name__icontains=text) | enterprises.filter(
            code__startswith=text.upper()
        )
    return enterprises.order_by("code")


def _may_read_register(user) -> bool:
    return permissions.can_read_all_data(user) or permissions.is_department_staff(user)


@product_page
@require_http_methods(["GET", "POST"])
def register(request):
    """The register: filters, export, and (statistics office) the upload with its preview."""
    if not _may_read_register(request.user):
        raise PermissionDenied
    may_manage = permissions.can_manage_enterprises(request.user)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("只有统计办可以维护企业名录。"))
        upload = request.FILES.get("file")
        if upload is None or upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("请选择不超过 20 MB 的 .xlsx 或 .csv 文件。"))
            return redirect("enterprises:register")
        batch = register_upload_preview(
            user=request.user, content=upload.read(), filename=upload.name or ""
        )
        return redirect("enterprises:upload", upload_id=batch.pk)
    enterprises = list(_filtered(request)[:500])
    return render(
        request,
        "enterprises/register.html",
        {
            "section": "register",
            "enterprises": enterprises,
            "departments": Department.objects.filter(is_active=True).order_by("order"),
            "leading_industries": [c for c in LeadingIndustry.choices if c[0]],
            "may_manage": may_manage,
            "query": request.GET,
        },
    )


@product_page
@require_http_methods(["GET", "POST"])
def upload(request, upload_id: int):
    """A register file's preview (or its errors); confirming imports it all or nothing."""
    if not permissions.can_manage_enterprises(request.user):
        raise PermissionDenied
    batch = get_object_or_404(RegisterUpload, pk=upload_id)
    if request.method == "POST":
        try:
            outcome = register_upload_confirm(upload=batch, user=request.user)
        except ApplicationError as error:
            messages.error(request, says(error))
            return redirect("enterprises:upload", upload_id=batch.pk)
        messages.success(
            request,
            _("企业名录已导入：新增 %(created)s 家，变更 %(changed)s 家。")
            % {
                "created": len(outcome.created),
                "changed": len({c["code"] for c in outcome.changed}),
            },
        )
        return redirect("enterprises:register")
    return render(request, "enterprises/upload.html", {"section": "register", "batch": batch})


@product_page
@require_GET
def register_export(request):
    """The register as the user may read it (filters as on the page), as xlsx."""
    if not _may_read_register(request.user):
        raise PermissionDenied
    content = register_xlsx(register_rows(_filtered(request)), language=page_language())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="enterprises-{timezone.localdate():%Y%m%d}.xlsx"'
    )
    return response


@product_page
@require_GET
def register_template(request):
    if not permissions.can_manage_enterprises(request.user):
        raise PermissionDenied
    response = HttpResponse(register_xlsx([], language=page_language()), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="enterprise-register-template.xlsx"'
    return response


def _latest_park_periods() -> list[str]:
    return list(
        IndicatorResult.objects.filter(
            indicator__code="energy_intensity_iva", scope="", variant="", value__isnull=False
        )
        .order_by("-year", F("quarter").desc(nulls_first=True))
        .values_list("period", flat=True)[:40]
    )


@product_page
@require_GET
def reconciliation_page(request):
    """Σ registered enterprises vs the park per item for a period."""
    if not permissions.can_read_all_data(request.user):
        raise PermissionDenied
    periods = _latest_park_periods()
    period = request.GET.get("period") or (periods[0] if periods else "")
    rows, error, tolerance = [], None, None
    if period:
        try:
            frame = reconciliation(period=period)
            rows = frame.to_dict("records")
            tolerance = f"{(frame.attrs['tolerance'] * 100).normalize():f}%"
        except ApplicationError as refused:
            error = says(refused)
    return render(
        request,
        "enterprises/reconciliation.html",
        {
            "section": "reconciliation",
            "period": period,
            "periods": periods,
            "rows": rows,
            "error": error,
            "tolerance": tolerance,
        },
    )


def comparable_default() -> tuple[str, str] | None:
    """The latest period with a park intensity and the same window a year earlier, or
    else the earliest year with that window (the base year)."""
    periods = _latest_park_periods()
    for period in periods:
        year, _sep, quarter = period.partition("Q")
        window = f"Q{quarter}" if quarter else ""
        earlier = f"{int(year) - 1}{window}"
        if earlier in periods:
            return earlier, period
        same_window = [p for p in periods if p.partition("Q")[2] == quarter and p[:4] < year]
        if same_window:
            return min(same_window), period
    return None


def gap_context(period_0: str, period_t: str) -> dict:
    """The waterfall and the table of the gap attribution (cached per results generation
    and language); an error message instead when the periods do not allow it."""
    language = page_language()

    def build() -> dict:
        try:
            gap = gap_attribution(period_0=period_0, period_t=period_t)
        except ApplicationError as refused:
            return {"error": says(refused)}
        result = gap.decomposition
        rest = _("园区其他")
        rows = [
            {
                "code": code,
                "name": gap.names.get(code, code) if code else rest,
                "structure": row["structure"],
                "intensity": row["intensity"],
                "total": row["total"],
                "share": row["share"] * 100 if row["share"] == row["share"] else None,
                "entrant": bool(row["entrant"]),
                "leaver": bool(row["leaver"]),
            }
            for code, row in result.sectors.iterrows()
        ]
        shown = rows[:15]
        others = rows[15:]
        sectors = [(r["name"], r["structure"], r["intensity"]) for r in shown]
        if others:
            sectors.append(
                (
                    _("其余 %(count)s 家") % {"count": len(others)},
                    sum(r["structure"] for r in others),
                    sum(r["intensity"] for r in others),
                )
            )
        figure = waterfall_figure(
            start=result.intensity_0,
            end=result.intensity_t,
            sectors=sectors,
            labels=WaterfallLabels(
                start=gap.period_0, end=gap.period_t, structure=_("结构"),
                intensity=_("强度"), unit="tce/万元",
            ),
        )  # fmt: skip
        return {
            "period_0": gap.period_0,
            "period_t": gap.period_t,
            "intensity_0": result.intensity_0,
            "intensity_t": result.intensity_t,
            "change": result.change,
            "rows": rows,
            "figure": figure,
        }

    return cached(_gap_key(period_0, period_t, language), build)


def _gap_key(period_0: str, period_t: str, language: str) -> tuple:
    return ("enterprise-gap", period_0, period_t, language)


def gap_context_stored(period_0: str, period_t: str) -> dict | None:
    """gap_context as already computed for this results generation, or None."""
    from django.core.cache import cache

    key = generation_key(*_gap_key(period_0, period_t, page_language()))
    try:
        return cache.get(key)
    except Exception:  # the cache is an accelerator only
        return None


def gap_contexts_precompute() -> int:
    """Compute the default pair's attribution in every language (after a recompute)."""
    from django.conf import settings
    from django.utils import translation

    default = comparable_default()
    if default is None:
        return 0
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            gap_context(*default)
    return len(settings.LANGUAGES)


@product_page
@require_GET
def gap(request):
    """Who moved the park's energy intensity between two comparable periods, and how."""
    if not permissions.can_read_all_data(request.user):
        raise PermissionDenied
    default = comparable_default()
    period_0 = request.GET.get("from") or (default[0] if default else "")
    period_t = request.GET.get("to") or (default[1] if default else "")
    context = (
        gap_context(period_0[:10], period_t[:10])
        if period_0 and period_t
        else {"error": _("尚无可比较的两个期间。")}
    )
    return render(
        request,
        "enterprises/gap.html",
        {"section": "gap", "gap": context, "period_0": period_0, "period_t": period_t},
    )


def _ledger_period(request, periods: list[str] | None = None) -> str:
    periods = _latest_park_periods() if periods is None else periods
    return (request.GET.get("period") or (periods[0] if periods else ""))[:10]


def _number_text(value, places: int) -> str:
    return "—" if value is None else f"{float(value):,.{places}f}"


def _percent_text(value) -> str:
    return "—" if value is None or value != value else f"{float(value) * 100:.1f}%"


def _ledger_texts(row: dict) -> dict:
    """A row's numbers as the page shows them, formatted once here (a template filter per
    cell costs more than the rest of the page)."""
    return {
        "energy": _number_text(row["energy"], 1),
        "equal_value": _number_text(row["equal_value"], 1),
        "co2": _number_text(row["co2"], 1),
        "intensity": _number_text(row["intensity"], 4),
        "benchmark": (
            f"{_number_text(row['benchmark_advanced'], 4)} / "
            f"{_number_text(row['benchmark_baseline'], 4)}"
            if row.get("benchmark_advanced") is not None
            else "—"
        ),
        "position": localized(*work_rules.POSITION_TEXT[row["benchmark_position"]])
        if row.get("benchmark_position")
        else "—",
        "yoy": _percent_text(row["energy_yoy"]),
        "vs_base": _percent_text(row["energy_vs_base"]),
        "share": _percent_text(row["share"]),
    }


@product_page
@require_GET
def ledger_page(request):
    """重点用能单位碳排放台账: key units (or every registered enterprise) of a period."""
    if not _may_read_register(request.user):
        raise PermissionDenied
    periods = _latest_park_periods()
    period = _ledger_period(request, periods)
    key_units_only = request.GET.get("all") != "1"
    try:
        page = max(1, min(int(request.GET.get("page") or 1), 10_000))
    except ValueError:
        page = 1
    data, error = None, None
    if period:
        try:
            data = ledger(
                period=period,
                enterprises=enterprises_visible_to(request.user),
                page=page,
                key_units_only=key_units_only,
            )
        except ApplicationError as refused:
            error = says(refused)
    if data is not None:
        profile_url = reverse("enterprises:profile", args=["0" * 18])[:-19]
        with_benchmarks(data.rows)
        _, year, quarter = period_parse(period)
        with_product_benchmarks(data.rows, year if quarter is None else None)
        for row in data.rows:
            row["texts"] = _ledger_texts(row)
            row["url"] = f"{profile_url}{row['code']}/"
    return render(
        request,
        "enterprises/ledger.html",
        {
            "section": "ledger",
            "period": period,
            "periods": periods,
            "ledger": data,
            "error": error,
            "page": page,
            "pages": -(-data.total // PAGE_SIZE) if data else 0,
            "key_units_only": key_units_only,
            "may_import_outputs": can_import_output(request.user),
        },
    )


def with_benchmarks(rows: list[dict]) -> list[dict]:
    """Each ledger row compared with its industry's efficiency benchmark (energy per 万元
    value added; the longest industry-code prefix): two queries for any number of rows."""
    from enterprises.work_selectors import value_added_benchmarks

    if not rows:
        return rows
    industries = dict(
        Enterprise.objects.filter(code__in=[r["code"] for r in rows]).values_list(
            "code", "industry"
        )
    )
    benchmarks = value_added_benchmarks()
    for row in rows:
        benchmark = work_rules.benchmark_for(industries.get(row["code"], ""), benchmarks)
        row["benchmark_advanced"] = benchmark.advanced if benchmark else None
        row["benchmark_baseline"] = benchmark.baseline if benchmark else None
        row["benchmark_source"] = benchmark.source if benchmark else ""
        row["benchmark_position"] = (
            work_rules.benchmark_position(row["intensity"], benchmark.advanced, benchmark.baseline)
            if benchmark
            else None
        )
    return rows


def ledger_rows(request, period: str, *, key_units_only: bool) -> list[dict]:
    """Every page of the ledger of `period` the user may read, with the benchmarks."""
    rows = []
    for page in range(1, 1000 if period else 1):
        data = ledger(
            period=period,
            enterprises=enterprises_visible_to(request.user),
            page=page,
            key_units_only=key_units_only,
        )
        rows.extend(data.rows)
        if page * PAGE_SIZE >= data.total:
            break
    with_benchmarks(rows)
    if period:  # each enterprise's products of the year against their 标杆/基准
        _, year, quarter = period_parse(period)
        with_product_benchmarks(rows, year if quarter is None else None)
        for row in rows:
            row["products_text"] = "；".join(
                f"{p['output'].product} {p['value_text']}"
                + (f" {p['benchmark'].unit}" if p["value"] is not None else "")
                + f" · {p['verdict']}"
                for p in row["products"]
            )
    return rows


@product_page
@require_GET
def ledger_export(request):
    """The ledger of a period as xlsx (every page), through the inert workbook."""
    if not _may_read_register(request.user):
        raise PermissionDenied
    period = _ledger_period(request)
    try:
        rows = ledger_rows(request, period, key_units_only=request.GET.get("all") != "1")
    except ApplicationError as refused:
        return HttpResponse(says(refused), status=400, content_type="text/plain; charset=utf-8")
    content = ledger_xlsx(rows, period=period, language=page_language())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ledger-{period}.xlsx"'
    return response


def enterprise_page(view):
    """Signed in (else to the login page) and either a user of the product or an
    enterprise's energy manager (else 403): the pages of one enterprise."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if not (permissions.can_use_product(user) or permissions.is_energy_manager(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(guarded)


def _enterprise_or_404(request, credit_code: str, *, refuse: bool = False) -> Enterprise:
    """The enterprise of the address, if the user may read it; one they may not read
    answers 404 like one that does not exist (`refuse`: 403 with the reason), and the
    attempt is audited."""
    code = credit_code.strip().upper()[:18]
    enterprise = enterprises_visible_to(request.user).filter(code=code).first()
    if enterprise is None:
        if Enterprise.objects.filter(code=code).exists():
            enterprise_access_refused_record(user=request.user, code=code, where=request.path)
            if refuse:
                raise PermissionDenied(_("您不能查看或填报该企业的数据。"))
        raise Http404
    return enterprise


@enterprise_page
@require_GET
def profile(request, credit_code: str):
    """One enterprise: register entry, designations, trends (Plotly), energy by carrier,
    its own quarters. Another department's (or, for an energy manager, any other)
    enterprise answers 404 (audited)."""
    if not (_may_read_register(request.user) or permissions.is_energy_manager(request.user)):
        raise PermissionDenied
    enterprise = _enterprise_or_404(request, credit_code)
    data = enterprise_series(enterprise.code)
    labels = {
        "energy_total_calorific": _("综合能源消费量（当量值）"),
        "energy_total_equal_value": _("综合能源消费量（等价值）"),
        "co2_emissions": _("二氧化碳排放量"),
    }
    figure = trend_figure(
        years=data["years"],
        series={labels[k]: v for k, v in data["series"].items() if k in labels},
    )
    return render(
        request,
        "enterprises/profile.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "designations": enterprise.designations.select_related("decided_by"),
            "suggestions": enterprise.suggestions.all(),
            "data": data,
            "figure": figure,
            **profile_sections(enterprise),
            "products": comparison_texts(product_comparisons(enterprise)),
            "may_manage": permissions.can_manage_enterprise_work(
                request.user, enterprise.supervising_department_id
            ),
            "quarters": enterprise_quarters(enterprise),
            "entry_period": entry_quarter(),
            "may_enter": permissions.can_enter_enterprise_figures(request.user, enterprise),
            "park_links": _may_read_register(request.user),
        },
    )


def entry_quarter() -> str:
    """The quarter an enterprise reports now: the newest open quarterly round's period,
    else the last quarter that has ended."""
    from reporting.models import ReportingRound

    open_round = (
        ReportingRound.objects.filter(state=ReportingRound.State.OPEN, quarter__isnull=False)
        .order_by("-year", "-quarter")
        .values_list("period", flat=True)
        .first()
    )
    if open_round:
        return open_round
    today = timezone.localdate()
    quarter = (today.month - 1) // 3  # the quarter before the current one
    return f"{today.year - 1}Q4" if quarter == 0 else f"{today.year}Q{quarter}"


@dataclass
class QuarterRow:
    item: object
    figure: object
    value: str
    note: str
    version: int
    error: str = ""


def _quarter_rows(enterprise, period: str, post=None) -> tuple[list[QuarterRow], list]:
    """The form's rows (stored values, or what was typed) and the entries to save."""
    current = enterprise_figures(enterprise, period)
    rows, entries = [], []
    for item in enterprise_items():
        figure = current.get(item.code)
        row = QuarterRow(
            item,
            figure,
            decimal_text(figure.value) if figure else "",
            figure.note if figure else "",
            figure.version if figure else 0,
        )
        rows.append(row)
        if post is None or post.get(f"value_{item.code}") is None:
            continue
        row.value = post.get(f"value_{item.code}", "").strip()[:60]
        row.note = post.get(f"note_{item.code}", "").strip()[:2000]
        try:
            value = parse_optional_number(row.value)
        except NumberRefused as refused:
            row.error = localized(
                f"“{row.value}”{refused.reason_zh}。", f"'{row.value}': {refused.reason_en}."
            )
            continue
        try:
            expected = int(post.get(f"version_{item.code}", ""))
        except ValueError:
            expected = None
        entries.append(EntryValue(item.code, value, row.note, expected))
    return rows, entries


QUEUE_VIEWS = ("submitted", "correction", "returned", "approved")


@product_page
@require_GET
def quarter_queue(request):
    """The review queue of enterprises' own quarters: submitted ones waiting for the
    supervising department's head (approve or return on the quarter's page, with a
    comment), corrections asked for, and the returned and approved ones."""
    view = request.GET.get("view", "submitted")
    if view not in QUEUE_VIEWS:
        view = "submitted"
    rows, count = enterprise_quarter_queue(request.user, view=view)
    return render(
        request,
        "enterprises/quarter_queue.html",
        {
            "section": "quarters",
            "view": view,
            "views": [
                ("submitted", _("待审核")),
                ("correction", _("更正申请")),
                ("returned", _("已退回")),
                ("approved", _("已审核")),
            ],
            "rows": rows,
            "count": count,
        },
    )


@enterprise_page
@require_http_methods(["GET", "POST"])
def quarter(request, credit_code: str, period: str):
    """An enterprise's quarter: its energy manager enters drafts and submits them; a head
    of the supervising department approves or returns them (never their own submission);
    everyone who may read the enterprise sees the figures and their state."""
    user = request.user
    enterprise = _enterprise_or_404(request, credit_code, refuse=True)
    try:
        period = quarter_checked(period[:10])
    except ApplicationError as refused:
        raise Http404(says(refused)) from refused
    may_enter = permissions.can_enter_enterprise_figures(user, enterprise)
    may_review = permissions.can_approve(user, enterprise.supervising_department_id)
    errors: list[str] = []
    status = 200
    post = request.POST if request.method == "POST" else None
    rows, entries = _quarter_rows(enterprise, period, post)
    if post is not None:
        action = post.get("action", "save")
        if action in ("save", "submit") and not may_enter:
            raise PermissionDenied(_("只有本企业的能源管理员可以填报。"))
        if action in ("approve", "return", "reopen") and not may_review:
            raise PermissionDenied(_("只有企业主管部门的负责人可以审核。"))
        if action == "request_correction" and not may_enter:
            raise PermissionDenied(_("只有本企业的能源管理员可以填报。"))
        if any(row.error for row in rows):
            errors.append(_("有数值格式不正确，未保存。"))
            status = 400
        else:
            try:
                with transaction.atomic():  # submitting writes nothing unless it submits
                    if action in ("save", "submit") and entries:
                        enterprise_quarter_save(
                            enterprise=enterprise, period=period, entries=entries, user=user,
                            where=request.path,
                        )  # fmt: skip
                    if action == "submit":
                        enterprise_quarter_submit(enterprise=enterprise, period=period, user=user)
                    elif action == "approve":
                        enterprise_quarter_approve(
                            enterprise=enterprise, period=period, user=user,
                            comment=post.get("comment", "")[:2000],
                        )  # fmt: skip
                    elif action == "return":
                        enterprise_quarter_return(
                            enterprise=enterprise, period=period, user=user,
                            comment=post.get("comment", "")[:2000],
                        )  # fmt: skip
                    elif action == "request_correction":
                        enterprise_quarter_correction_request(
                            enterprise=enterprise, period=period, user=user,
                            reason=post.get("reason", ""), where=request.path,
                        )  # fmt: skip
                    elif action == "reopen":
                        enterprise_quarter_reopen(
                            enterprise=enterprise, period=period, user=user,
                            reason=post.get("reason", ""),
                        )  # fmt: skip
            except ApplicationError as error:
                errors.append(says(error))
                if isinstance(error.details, list):
                    errors.extend(says(issue) for issue in error.details if isinstance(issue, dict))
                status = error.status_code
            else:
                done = {
                    "save": _("草稿已保存。"),
                    "submit": _("已提交，等待主管部门审核。"),
                    "approve": _("已审核通过。"),
                    "return": _("已退回企业。"),
                    "request_correction": _("已申请更正，等待主管部门处理。"),
                    "reopen": _("已重新打开，企业可提交更正。"),
                }
                messages.success(request, done.get(action, done["save"]))
                return redirect("enterprises:quarter", credit_code=enterprise.code, period=period)
            rows, _entries = _quarter_rows(enterprise, period, post)
    row = EnterprisePeriod.objects.filter(enterprise=enterprise, period=period).first()
    state = quarter_state(enterprise, period, row)
    submitted_by = row.submitted_by_id if row else None
    return render(
        request,
        "enterprises/quarter.html",
        {
            "section": "ledger",
            "enterprise": enterprise,
            "period": period,
            "row": row,
            "state": state,
            "rows": rows,
            "errors": errors,
            "editable": may_enter
            and state in (EnterprisePeriod.State.OPEN, EnterprisePeriod.State.RETURNED),
            "reviewable": may_review
            and state == EnterprisePeriod.State.SUBMITTED
            and permissions.can_review_enterprise_period(user, enterprise, {submitted_by}),
            # A correction after approval: the energy manager asks, the head reopens.
            "may_request_correction": may_enter
            and state == EnterprisePeriod.State.APPROVED
            and not (row and row.correction_requested_at),
            "may_reopen": may_review and state == EnterprisePeriod.State.APPROVED,
            "park_links": _may_read_register(user),
        },
        status=status,
    )
