"""Pages of the footprint accounting. Thin: `accounts.permissions` decides,
`footprints.selectors` reads, `footprints.services` writes and audits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import wraps

import plotly.graph_objects as go
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import permissions
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.i18n import page_language, says
from footprints import calculations as fc
from footprints import exporting, selectors, services
from footprints.inventory_file import parse_inventory
from footprints.models import CountTarget, FactorCategory, IndustryReference, Study
from indicators.numbers import NumberRefused, parse_number
from reports.views import attachment

PREVIEW_SALT = "footprints.inventory-preview"


def _guarded(rule):
    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def _study_or_404(request, pk: int) -> Study:
    """The study, if the person may read it; another enterprise's study answers an energy
    manager 404 like one that does not exist, and the attempt is audited."""
    try:
        found = selectors.study_page(pk)
    except Study.DoesNotExist:
        raise Http404 from None
    if not permissions.can_read_study(request.user, found.enterprise):
        _attempt(request, found.enterprise)
        raise Http404
    return found


def _attempt(request, enterprise) -> None:
    from enterprises.services import enterprise_access_refused_record

    if permissions.is_energy_manager(request.user):
        enterprise_access_refused_record(
            user=request.user, code=enterprise.code, where=request.get_full_path()
        )


def _decimal(text: str, default: str | None = None) -> Decimal:
    """A number typed into a footprint form, read by the product's one parser (full-width
    digits, thousands separators; no exponent; at most the 10 decimals a factor keeps)."""
    typed = text if text and text.strip() else (default or "")
    try:
        return parse_number(typed, max_integer_digits=14, max_decimal_places=10)
    except NumberRefused as refused:
        shown = typed if len(typed) <= 40 else typed[:39] + "…"
        raise ApplicationError(
            f"数值“{shown}”：{refused.reason_zh}。",
            f"Number '{shown}': {refused.reason_en}.",
            code="not_a_number",
        ) from None


@_guarded(permissions.can_read_footprints)
@require_http_methods(["GET", "POST"])
def index(request):
    from django.utils import timezone

    from accounts.models import User
    from enterprises.models import LeadingIndustry

    may_set = permissions.can_change_targets(request.user)
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        post = request.POST
        try:
            services.count_target_set(
                counter=post.get("counter", ""),
                year=int(post.get("year") or 0),
                value=int(post.get("value") or -1),
                reason=post.get("reason", ""),
                document_no=post.get("document_no", ""),
                approver=User.objects.filter(pk=post.get("approver") or 0).first(),
                actor=request.user,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        except ValueError:
            messages.error(request, _("数值格式无效。"))
        else:
            messages.success(request, _("计数目标已按批准文件设定。"))
        return redirect("footprints:index")

    industry = request.GET.get("industry", "")
    state = request.GET.get("state", "")
    own = permissions.is_energy_manager(request.user)
    studies = list(
        selectors.studies(
            leading_industry=industry,
            state=state,
            enterprise_id=request.user.enterprise_id if own else None,
        )
    )
    industries = dict(LeadingIndustry.choices)
    park_counters = permissions.can_read_footprint_counters(request.user)
    counters = [
        {"industry": industries.get(key[0], key[0]), "year": key[1], **counts}
        for key, counts in (selectors.innovation_counters() if park_counters else {}).items()
    ]
    return render(
        request,
        "footprints/index.html",
        {
            "studies": studies,
            "industries": [(v, label) for v, label in LeadingIndustry.choices if v],
            "industry_names": industries,
            "states": Study.State.choices,
            "industry": industry,
            "state": state,
            "counters": counters,
            "progress": selectors.counter_progress(timezone.localdate()) if park_counters else [],
            "park_counters": park_counters,
            "may_set_targets": may_set,
            "committee": User.objects.filter(role=User.Role.COMMITTEE, is_active=True).order_by(
                "username"
            )
            if may_set
            else [],
            "counter_choices": CountTarget.Counter.choices,
            "may_prepare": permissions.can_prepare_footprint(request.user),
            "section": "studies",
        },
    )


@_guarded(permissions.can_read_footprints)
@require_http_methods(["GET", "POST"])
def factors(request):
    may_edit = permissions.can_manage_footprint_factors(request.user)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        post = request.POST
        try:
            services.factor_revise(
                key=post.get("key", ""),
                year=int(post.get("year") or 0),
                value=_decimal(post.get("value")),
                unit=post.get("unit", ""),
                source=post.get("source", ""),
                category=post.get("category", ""),
                reason=post.get("reason", ""),
                name_zh=post.get("name_zh", ""),
                name_en=post.get("name_en", ""),
                region=post.get("region", "") or "中国",
                user=request.user,
            )
        except (ApplicationError, ValueError) as error:
            messages.error(
                request,
                says(error) if isinstance(error, ApplicationError) else _("数值格式无效。"),
            )
        else:
            messages.success(request, _("排放因子已保存为新版本；使用它的研究已标记为待重算。"))
        return redirect("footprints:factors")
    return render(
        request,
        "footprints/factors.html",
        {
            "factors": list(selectors.current_factors()),
            "categories": FactorCategory.choices,
            "may_edit": may_edit,
            "section": "factors",
        },
    )


@_guarded(permissions.can_prepare_footprint)
@require_http_methods(["GET", "POST"])
def study_new(request):
    from enterprises.models import Enterprise, LeadingIndustry

    enterprises = Enterprise.objects.order_by("name").only("pk", "name", "code")
    if permissions.is_energy_manager(request.user):
        enterprises = enterprises.filter(pk=request.user.enterprise_id)
    references = IndustryReference.objects.order_by("name_zh", "-year")
    if request.method == "POST":
        post = request.POST
        try:
            enterprise = Enterprise.objects.filter(
                pk=post.get("enterprise") or request.user.enterprise_id or 0
            ).first()
            if enterprise is None:
                raise ApplicationError(
                    "请选择企业。", "Choose an enterprise.", code="enterprise_required"
                )
            if not permissions.can_prepare_footprint(request.user, enterprise):
                _attempt(request, enterprise)
                raise PermissionDenied(_("您只能为本企业的产品核算碳足迹。"))
            shares = []
            for name, share in zip(
                post.getlist("share_name"), post.getlist("share_percent"), strict=False
            ):
                if name.strip():
                    shares.append((name.strip(), _decimal(share)))
            reference = references.filter(pk=post.get("reference") or 0).first()
            study = services.study_create(
                user=request.user,
                enterprise=enterprise,
                product_key=post.get("product_key", ""),
                product_zh=post.get("product_zh", ""),
                product_en=post.get("product_en", ""),
                declared_unit=post.get("declared_unit", ""),
                reference_year=int(post.get("reference_year") or 0),
                leading_industry=post.get("leading_industry", ""),
                boundary=post.get("boundary", fc.BOUNDARY_CRADLE_TO_GATE),
                allocation=post.get("allocation", fc.ALLOCATION_MASS),
                shares=shares,
                cutoff_line_percent=_decimal(post.get("cutoff_line_percent"), "1"),
                cutoff_total_percent=_decimal(post.get("cutoff_total_percent"), "5"),
                reference=reference,
            )
        except ApplicationError as error:
            messages.error(request, says(error))
        except ValueError:
            messages.error(request, _("数值格式无效。"))
        else:
            messages.success(request, _("研究已建立，请导入或填写清单。"))
            return redirect("footprints:study", pk=study.pk)
    return render(
        request,
        "footprints/study_new.html",
        {
            "enterprises": enterprises,
            "references": references,
            "industries": [(v, label) for v, label in LeadingIndustry.choices if v],
            "boundaries": Study.Boundary.choices,
            "allocations": Study.Allocation.choices,
            "form": request.POST,
            "section": "studies",
        },
    )


def _stage_figure(study: Study) -> dict:
    rows = exporting.stage_rows(study)
    figure = go.Figure(
        go.Bar(
            x=[float(kg) for _s, _l, kg, _p in rows],
            y=[label for _s, label, _kg, _p in rows],
            orientation="h",
            marker_color=[exporting.STAGE_COLOURS.get(stage, "#718096") for stage, *_ in rows],
            text=[exporting.kg_text(kg) for _s, _l, kg, _p in rows],
            textposition="auto",
            hovertemplate="%{y}: %{x:.4f} kgCO₂e<extra></extra>",
        )
    )
    figure.update_layout(
        height=80 + 40 * len(rows),
        margin={"l": 110, "r": 20, "t": 10, "b": 40},
        xaxis_title=_("kgCO₂e/声明单位"),
        yaxis={"autorange": "reversed"},
        font={"family": '"Noto Sans CJK SC","Microsoft YaHei",sans-serif'},
    )
    return figure.to_plotly_json()


_ACTIONS = {
    "recompute": lambda s, u, p: services.study_recompute(study=s, user=u),
    "submit": lambda s, u, p: services.study_submit(study=s, user=u),
    "approve": lambda s, u, p: services.study_approve(
        study=s, user=u, comment=p.get("comment", "")
    ),
    "return": lambda s, u, p: services.study_return(study=s, user=u, comment=p.get("comment", "")),
    "certificate": lambda s, u, p: services.certificate_record(
        study=s,
        user=u,
        body=p.get("body", ""),
        number=p.get("number", ""),
        standard=p.get("standard", "") or "GB/T 24067-2024",
        label=bool(p.get("label")),
        valid_from=dt.date.fromisoformat(p.get("valid_from", "")),
        valid_to=dt.date.fromisoformat(p.get("valid_to", "")),
    ),
}
_DONE = {
    "recompute": "已按现行排放因子重新计算。",
    "submit": "研究已提交审核。",
    "approve": "研究已审核通过。",
    "return": "研究已退回。",
    "certificate": "证书已登记。",
}


@_guarded(permissions.can_read_footprints)
@require_http_methods(["GET", "POST"])
def study(request, pk: int):
    found = _study_or_404(request, pk)
    if request.method == "POST":
        # Writers only (the services check each action's own rule: four eyes, states).
        if not permissions.can_prepare_footprint(request.user, found.enterprise):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in _ACTIONS:
            raise Http404
        try:
            _ACTIONS[action](found, request.user, request.POST)
        except ApplicationError as error:
            messages.error(request, says(error))
        except ValueError:
            messages.error(request, _("日期格式无效，应为 YYYY-MM-DD。"))
        else:
            messages.success(request, _(_DONE[action]))
        return redirect("footprints:study", pk=pk)
    user = request.user
    versions = selectors.product_versions(found)
    reference = found.reference
    return render(
        request,
        "footprints/study.html",
        {
            "study": found,
            "stages": [
                {
                    "label": label,
                    "kg": exporting.kg_text(kg),
                    "share": "—" if share is None else f"{share:.1f}%",
                }
                for _s, label, kg, share in exporting.stage_rows(found)
            ],
            "lines": [
                {**row, "kg_text": exporting.kg_text(row["kg"])}
                for row in exporting.line_rows(found)
            ],
            "figure": _stage_figure(found) if found.total is not None else None,
            "total_text": exporting.kg_text(found.total),
            "primary_text": "—"
            if found.primary_percent is None
            else f"{found.primary_percent:.1f}%",
            "cutoff": (found.trace or {}).get("cutoff", {}),
            "stale": selectors.stale_factors(found),
            "versions": [
                {
                    "study": v,
                    "total": exporting.kg_text(v.total),
                    "change": None
                    if v.pk == found.pk or found.total is None
                    else fc.percent_change(found.total, v.total),
                }
                for v in versions
            ],
            "reference_change": None
            if reference is None or found.total is None
            else fc.percent_change(found.total, reference.value),
            "editable": found.state in (Study.State.DRAFT, Study.State.RETURNED)
            and permissions.can_prepare_footprint(user, found.enterprise),
            "may_review": found.state == Study.State.SUBMITTED
            and permissions.can_review_footprint(user, found.submitted_by_id),
            "may_certify": found.state == Study.State.APPROVED
            and permissions.can_prepare_footprint(user, found.enterprise),
            "section": "studies",
        },
    )


@_guarded(permissions.can_prepare_footprint)
@require_http_methods(["GET", "POST"])
def study_import(request, pk: int):
    found = _study_or_404(request, pk)
    preview = None
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            payload = signing.loads(request.POST["confirm"], salt=PREVIEW_SALT, max_age=3600)
            if payload["study"] != found.pk:
                raise signing.BadSignature
            lines = [
                services.LineInput(
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    Decimal(row[4]),
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    None if row[9] is None else Decimal(row[9]),
                )
                for row in payload["lines"]
            ]
            omissions = [(name, Decimal(mass)) for name, mass in payload["omissions"]]
            services.inventory_replace(
                study=found,
                lines=lines,
                omissions=omissions,
                user=request.user,
                source="xlsx",
                expected_version=payload["version"],
            )
        except signing.BadSignature:
            messages.error(request, _("预览已过期或无效，请重新上传。"))
        except ApplicationError as error:
            messages.error(request, says(error))
        else:
            messages.success(request, _("清单已导入并完成计算。"))
            return redirect("footprints:study", pk=pk)
    elif request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError("请选择文件。", "Choose a file.", code="file_required")
            inventory = parse_inventory(upload.read())
            result = services.inventory_preview(
                study=found, lines=inventory.lines, omissions=inventory.omissions, user=request.user
            )
        except ApplicationError as error:
            messages.error(request, says(error))
            return render(
                request,
                "footprints/study_import.html",
                {
                    "study": found,
                    "errors": error.details if isinstance(error.details, list) else None,
                    "section": "studies",
                },
                status=400,
            )
        token = signing.dumps(
            {
                "study": found.pk,
                "version": found.lines_version,
                "lines": [
                    [
                        line.no,
                        line.name,
                        line.stage,
                        line.kind,
                        str(line.quantity),
                        line.unit,
                        line.factor_key,
                        line.energy_carrier,
                        line.quality,
                        None if line.mass_kg is None else str(line.mass_kg),
                    ]
                    for line in inventory.lines
                ],
                "omissions": [[n, str(m)] for n, m in inventory.omissions],
            },
            salt=PREVIEW_SALT,
            compress=True,
        )
        preview = {
            "lines": inventory.lines,
            "omissions": inventory.omissions,
            "total": exporting.kg_text(result.total),
            "cutoff_passed": result.cutoff.passed,
            "token": token,
        }
    return render(
        request,
        "footprints/study_import.html",
        {"study": found, "preview": preview, "section": "studies"},
    )


@_guarded(permissions.can_read_footprints)
@require_GET
def study_template(request, pk: int):
    found = _study_or_404(request, pk)
    return attachment(
        exporting.inventory_template(found),
        filename=f"碳足迹清单模板-{found.product_key}-{found.reference_year}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@_guarded(permissions.can_read_footprints)
@require_GET
def study_export(request, pk: int, fmt: str):
    found = _study_or_404(request, pk)
    if found.total is None or fmt not in ("pdf", "xlsx"):
        raise Http404
    language = page_language()
    name = f"{found.product_key}-{found.reference_year}"
    if fmt == "pdf":
        return attachment(exporting.study_pdf(found, language=language),
                          filename=f"碳足迹报告-{name}.pdf", content_type="application/pdf")  # fmt: skip
    return attachment(
        exporting.study_xlsx(found, language=language),
        filename=f"碳足迹报告-{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


app_name = "footprints"
urlpatterns = [
    path("", index, name="index"),
    path("factors/", factors, name="factors"),
    path("studies/new/", study_new, name="study_new"),
    path("studies/<int:pk>/", study, name="study"),
    path("studies/<int:pk>/import/", study_import, name="study_import"),
    path("studies/<int:pk>/template.xlsx", study_template, name="study_template"),
    path("studies/<int:pk>/report.<str:fmt>", study_export, name="study_export"),
]
