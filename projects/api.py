"""API of the key projects (management.md §6): `projects/` with their latest review and
assessment, `projects/{id}/` with its stages, reviews, assessments and quarterly updates, and
`projects/{id}/admission/`. Numbers are decimal strings (data-exchange §3).

Writes (issue 18 item 9) go through the same services as the pages: DRS (and the statistics
office, administrators) register and edit a project, record its stages, energy reviews and
carbon assessments (`projects.services`); the project's department reports its quarter and
its head approves or returns it (`projects.updates`). `projects/admission/` computes the
admission check of proposed projects (the "what if" list) and writes nothing. Every refusal
answers code, message_zh and message_en, and nothing is written."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import UsesProduct
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError
from indicators.numbers import decimal_text
from projects import calculations as pc
from projects import selectors, services, updates
from projects.models import Project, ProjectUpdate


class ReadsProjects(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_all_data(request.user) or permissions.can_manage_projects(
            request.user
        )


def _text(value) -> str | None:
    return decimal_text(value)  # None stays None; 0.000000 is "0"


class ReadsOrRegistersProjects(BasePermission):
    """GET: who reads the projects; POST: who manages them."""

    def has_permission(self, request, view) -> bool:
        if request.method == "POST":
            return permissions.can_manage_projects(request.user)
        return ReadsProjects().has_permission(request, view)


class ManagesProjects(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_manage_projects(request.user)


class ProjectSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    review = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "code", "name", "enterprise", "kind", "department", "stage",
                  "investment_planned", "review"]  # fmt: skip
        read_only_fields = fields

    def get_review(self, project) -> dict | None:
        review = next(iter(project.energy_reviews.all()), None)
        if review is None:
            return None
        return {
            "calorific_tce": _text(review.calorific_tce),
            "equal_value_tce": _text(review.equal_value_tce),
            "authority": review.authority,
            "document_no": review.document_no,
        }


def _reserve_fields(reserve: dict | None, result) -> dict:
    """The year's approved budget and the reserve that would remain (null without an approved
    budget on 当量 for this year)."""
    return {
        "budget_year": None if reserve is None else reserve["year"],
        "budget_document_no": None if reserve is None else reserve["document_no"],
        "reserve_tce": None if reserve is None or not reserve["comparable"]
        else _text(reserve["reserve_tce"]),
        "reserve_after_tce": _text(result.reserve_after),
    }  # fmt: skip


class ProjectAdmissionApi(ApiViewMixin, APIView):
    """GET a project's admission check against the park's latest complete year (404 when the
    project has no review, value added or the park no stored result)."""

    permission_classes = [ReadsProjects]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        project = Project.objects.select_related("department").filter(pk=pk).first()
        if project is None:
            raise NotFound
        if not permissions.can_read_project(request.user, project.department_id):
            raise PermissionDenied
        park = selectors.park_latest_complete_year()
        reserve = selectors.budget_reserve(timezone.localdate().year)
        result = selectors.admission(project, park, reserve)
        if result is None:
            raise NotFound
        return Response(
            {
                "project": project.code,
                "park_year": park["year"],
                "target": park["target_code"],
                "project_intensity": _text(result.project_intensity),
                "park_intensity": _text(result.park_intensity),
                "park_with_project": _text(result.park_with_project),
                "effect": _text(result.effect),
                "effect_percent": _text(result.effect_percent),
                "path_value": _text(result.path_value),
                "verdict": result.verdict,
                **_reserve_fields(reserve, result),
            }
        )


# --- Detail and writes ------------------------------------------------------------------


def _date_text(value) -> str | None:
    return None if value is None else value.isoformat()


class StageEventSerializer(serializers.Serializer):
    stage = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    actual_date = serializers.DateField(allow_null=True)
    evidence = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class EnergyRowSerializer(serializers.Serializer):
    """One carrier's annual use; the unit defaults to the carrier's registry unit (t, 万m³ for
    natural gas, 万kWh, GJ) and converts (kWh, m³, kg …)."""

    carrier = serializers.CharField(max_length=40)
    quantity = serializers.CharField(max_length=60, help_text="a decimal string")
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uses = EnergyRowSerializer(many=True)
    uses_before = EnergyRowSerializer(many=True)
    calorific_tce = serializers.SerializerMethodField()
    equal_value_tce = serializers.SerializerMethodField()
    electricity_wan_kwh = serializers.SerializerMethodField()
    coal_t = serializers.SerializerMethodField()
    authority = serializers.CharField()
    thresholds_version = serializers.IntegerField()
    opinion_authority = serializers.CharField()
    document_no = serializers.CharField()
    opinion_date = serializers.DateField(allow_null=True)
    approved_calorific_tce = serializers.SerializerMethodField()
    approved_equal_value_tce = serializers.SerializerMethodField()
    approved_coal_t = serializers.SerializerMethodField()
    conditions = serializers.CharField()
    recorded_at = serializers.DateTimeField()

    def get_calorific_tce(self, review) -> str:
        return _text(review.calorific_tce)

    def get_equal_value_tce(self, review) -> str:
        return _text(review.equal_value_tce)

    def get_electricity_wan_kwh(self, review) -> str:
        return _text(review.electricity_wan_kwh)

    def get_coal_t(self, review) -> str:
        return _text(review.coal_t)

    def get_approved_calorific_tce(self, review) -> str | None:
        return _text(review.approved_calorific_tce)

    def get_approved_equal_value_tce(self, review) -> str | None:
        return _text(review.approved_equal_value_tce)

    def get_approved_coal_t(self, review) -> str | None:
        return _text(review.approved_coal_t)


class ProcessRowSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    tco2 = serializers.CharField(max_length=60, help_text="t CO₂ a year, a decimal string")
    method = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class ProjectAssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    uses = EnergyRowSerializer(many=True)
    process = ProcessRowSerializer(many=True)
    figures = serializers.SerializerMethodField()
    benchmark = serializers.SerializerMethodField()
    benchmark_source = serializers.CharField()
    conclusion = serializers.CharField()
    measures = serializers.CharField()
    trace = serializers.JSONField()
    recorded_at = serializers.DateTimeField()

    def get_figures(self, assessment) -> dict[str, str | None]:
        return {
            field: _text(getattr(assessment, field))
            for field in ("fuels_t", "process_t", "electricity_t", "heat_t", "total_t",
                          "per_product", "per_value_added")
        }  # fmt: skip

    def get_benchmark(self, assessment) -> str | None:
        return _text(assessment.benchmark)


class EvidenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class UpdateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField()
    version = serializers.IntegerField()
    state = serializers.CharField()
    stage = serializers.CharField()
    stage_date = serializers.DateField(allow_null=True)
    investment_completed = serializers.DictField(child=serializers.CharField())
    milestone = serializers.CharField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    return_comment = serializers.CharField()
    evidence = EvidenceSerializer(many=True)


class ProjectDetailSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    tasks = serializers.SerializerMethodField()
    work_items = serializers.SerializerMethodField()
    annual_output = serializers.SerializerMethodField()
    value_added = serializers.SerializerMethodField()
    product_quantity = serializers.SerializerMethodField()
    stages = StageEventSerializer(source="stage_events", many=True, read_only=True)
    reviews = ReviewSerializer(source="energy_reviews", many=True, read_only=True)
    assessments = ProjectAssessmentSerializer(
        source="carbon_assessments", many=True, read_only=True
    )
    updates = UpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "code", "name", "enterprise", "kind", "department", "stage",
                  "investment_planned", "annual_output", "value_added", "product_quantity",
                  "product_unit", "tasks", "work_items", "stages", "reviews", "assessments",
                  "updates"]  # fmt: skip
        read_only_fields = fields

    def get_tasks(self, project) -> list[str]:
        return [task.code for task in project.tasks.all()]

    def get_work_items(self, project) -> list[str]:
        return [item.code for item in project.work_items.all()]

    def get_annual_output(self, project) -> str | None:
        return _text(project.annual_output)

    def get_value_added(self, project) -> str | None:
        return _text(project.value_added)

    def get_product_quantity(self, project) -> str | None:
        return _text(project.product_quantity)


def _detail(pk: int) -> Project | None:
    from django.db.models import Prefetch

    from projects.models import CarbonAssessment, EnergyReview, StageEvent

    return (
        Project.objects.select_related("enterprise", "department")
        .prefetch_related(
            "tasks", "work_items",
            Prefetch("stage_events", queryset=StageEvent.objects.select_related("recorded_by")
                     .order_by("recorded_at", "id")),
            Prefetch("energy_reviews", queryset=EnergyReview.objects.order_by("-recorded_at", "-id")),
            Prefetch("carbon_assessments",
                     queryset=CarbonAssessment.objects.order_by("-recorded_at", "-id")),
            Prefetch("updates", queryset=ProjectUpdate.objects.select_related(
                "submitted_by", "decided_by").prefetch_related("evidence")
                .order_by("-period", "-version")),
        )
        .filter(pk=pk)
        .first()
    )  # fmt: skip


def _readable(request, pk: int) -> Project:
    project = _detail(pk)
    if project is None:
        raise NotFound
    if not permissions.can_read_project(request.user, project.department_id):
        raise PermissionDenied
    return project


def _answer(pk: int, code=status.HTTP_200_OK) -> Response:
    return Response(ProjectDetailSerializer(_detail(pk)).data, status=code)


def _optional_number(field_name: str):
    return serializers.CharField(
        max_length=60, required=False, allow_null=True, allow_blank=True,
        help_text=f"{field_name}, a decimal string",
    )  # fmt: skip


class ProjectWriteSerializer(serializers.Serializer):
    """A project: its enterprise by credit code (of the register), its responsible department,
    tasks and work items by code; numbers as decimal strings."""

    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    enterprise = serializers.CharField(max_length=18, help_text="credit code of the register")
    kind = serializers.CharField(max_length=20, help_text="new, expansion, retrofit, existing")
    department = serializers.CharField(max_length=20)
    investment_planned = serializers.DictField(
        child=serializers.CharField(max_length=60), required=False,
        help_text="{funding source: 万元}: central_budget, special_bonds, self_raised, bank_loans, other",
    )  # fmt: skip
    annual_output = _optional_number("万元")
    value_added = _optional_number("万元, 2020 prices")
    product_quantity = _optional_number("at full production")
    product_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    tasks = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    work_items = serializers.ListField(child=serializers.CharField(max_length=20), required=False)


class ProjectEditSerializer(ProjectWriteSerializer):
    """The fields to change (the code stays), and why."""

    code = None
    name = serializers.CharField(max_length=200, required=False)
    enterprise = serializers.CharField(max_length=18, required=False)
    kind = serializers.CharField(max_length=20, required=False)
    department = serializers.CharField(max_length=20, required=False)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _resolved(data: dict) -> dict:
    """Codes of the request as the objects the services take; an unknown one is refused."""
    from enterprises.models import Enterprise
    from tasks.models import Department, Task, WorkItem

    fields = dict(data)
    if "enterprise" in fields:
        fields["enterprise"] = Enterprise.objects.filter(
            code=fields["enterprise"].strip().upper()
        ).first()  # none: the service refuses a project of an unregistered enterprise
    if "department" in fields:
        code = fields["department"].strip()
        fields["department"] = Department.objects.filter(code=code).first()
        if fields["department"] is None:
            raise ApplicationError(f"责任部门“{code}”不存在。",
                                   f"There is no department '{code}'.", code="bad_department")  # fmt: skip
    for key, model, label_zh, label_en in (
        ("tasks", Task, "任务", "task"), ("work_items", WorkItem, "工作要点", "work item"),
    ):  # fmt: skip
        if key in fields:
            codes = set(fields[key])
            found = list(model.objects.filter(code__in=codes))
            missing = codes - {item.code for item in found}
            if missing:
                listed = "、".join(sorted(missing))
                raise ApplicationError(f"{label_zh}“{listed}”不存在。",
                                       f"There is no {label_en} {', '.join(sorted(missing))}.",
                                       code=f"bad_{key}")  # fmt: skip
            fields[key] = found
    return fields


class ProjectDetailApi(ApiViewMixin, generics.GenericAPIView):
    """GET a project with its stages, energy reviews, carbon assessments and quarterly updates
    (newest first). PATCH: change its fields (DRS, the statistics office), audited."""

    permission_classes = [UsesProduct]
    serializer_class = ProjectDetailSerializer
    filter_backends = []
    pagination_class = None

    def get(self, request, pk: int):
        return Response(ProjectDetailSerializer(_readable(request, pk)).data)

    @extend_schema(request=ProjectEditSerializer, responses={200: ProjectDetailSerializer})
    def patch(self, request, pk: int):
        if not permissions.can_manage_projects(request.user):
            self.permission_denied(request, "Only DRS and the statistics office edit projects.")
        project = _readable(request, pk)
        payload = ProjectEditSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = _resolved(payload.validated_data)
        reason = changes.pop("reason", "")
        services.project_edit(user=request.user, project=project, reason=reason, **changes)
        return _answer(pk)


class _ProjectWriteApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [ManagesProjects]
    serializer_class = ProjectDetailSerializer
    filter_backends = []
    pagination_class = None
    request_serializer: type[serializers.Serializer]

    def write(self, request, project: Project, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        project = _readable(request, pk)
        payload = self.request_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.write(request, project, dict(payload.validated_data))
        return _answer(pk, status.HTTP_201_CREATED)


class StageWriteSerializer(serializers.Serializer):
    stage = serializers.CharField(max_length=20, help_text="reserve, approved, energy_review, "
                                  "carbon_assessment, construction, operation, acceptance")  # fmt: skip
    actual_date = serializers.DateField(required=False, allow_null=True)
    planned_date = serializers.DateField(required=False, allow_null=True)
    evidence = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ProjectStageApi(_ProjectWriteApi):
    """POST a stage reached (actual date) or planned, with its evidence: an actual date keeps
    the stages' order, and no stage from 开工 on without a review opinion above the threshold."""

    request_serializer = StageWriteSerializer

    @extend_schema(request=StageWriteSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def write(self, request, project, data):
        services.project_stage_record(user=request.user, project=project, **data)


class ReviewWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100,
                                    help_text="the year whose coefficients convert the energy")  # fmt: skip
    uses = EnergyRowSerializer(many=True)
    uses_before = EnergyRowSerializer(many=True, required=False, default=list,
                                      help_text="a renovation on the same site: its use before")  # fmt: skip
    opinion_authority = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    opinion_date = serializers.DateField(required=False, allow_null=True, default=None)
    approved_calorific_tce = _optional_number("核定年综合能耗（当量值）")
    approved_equal_value_tce = _optional_number("核定年综合能耗（等价值）")
    approved_coal_t = _optional_number("核定年煤炭消费（t）")
    conditions = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )


class ProjectReviewApi(_ProjectWriteApi):
    """POST an energy review: annual energy by carrier in physical units, converted with the
    registry; the authority follows the current thresholds; an opinion needs its 文号."""

    request_serializer = ReviewWriteSerializer

    @extend_schema(request=ReviewWriteSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def write(self, request, project, data):
        data["uses"] = [dict(row) for row in data["uses"]]
        data["uses_before"] = [dict(row) for row in data["uses_before"]]
        services.energy_review_record(user=request.user, project=project, **data)


class AssessmentWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    from_enterprise = serializers.BooleanField(
        required=False, default=False,
        help_text="an operating existing plant (存量): its enterprise's four approved quarters "
        "of `year` replace `uses`",
    )  # fmt: skip
    uses = EnergyRowSerializer(many=True, required=False, default=list)
    process = ProcessRowSerializer(many=True, required=False, default=list)
    grid_region = serializers.CharField(max_length=40, required=False, default="shandong")
    benchmark = _optional_number("行业基准")
    benchmark_source = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    conclusion = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    measures = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ProjectAssessmentApi(_ProjectWriteApi):
    """POST a carbon assessment: CO₂ of fuels, process emissions (with their method),
    purchased electricity and heat with the registry's factors; a benchmark needs its source."""

    request_serializer = AssessmentWriteSerializer

    @extend_schema(request=AssessmentWriteSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def write(self, request, project, data):
        data["uses"] = [dict(row) for row in data["uses"]]
        data["process"] = [dict(row) for row in data["process"]]
        if data.pop("from_enterprise"):
            del data["uses"], data["grid_region"]
            services.carbon_assessment_from_enterprise(user=request.user, project=project, **data)
        else:
            services.carbon_assessment_record(user=request.user, project=project, **data)


class UpdateWriteSerializer(serializers.Serializer):
    """A quarter's report; evidence files come as multipart `files`."""

    period = serializers.CharField(max_length=7, help_text="2026Q4: a quarter with an open round")
    stage = serializers.CharField(max_length=20)
    stage_date = serializers.DateField(required=False, allow_null=True, default=None,
                                       help_text="required when the stage is beyond the project's")  # fmt: skip
    investment_completed = serializers.DictField(
        child=serializers.CharField(max_length=60, allow_blank=True), required=False, default=dict
    )
    milestone = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ProjectUpdateApi(ApiViewMixin, generics.GenericAPIView):
    """POST the project's quarter (its department's staff): investment completed by funding
    source, the stage reached (with its date when new), the milestone and evidence files."""

    permission_classes = [UsesProduct]
    serializer_class = UpdateSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(request=UpdateWriteSerializer, responses={201: UpdateSerializer})
    def post(self, request, pk: int):
        project = Project.objects.select_related("department").filter(pk=pk).first()
        if project is None:
            raise NotFound
        if not permissions.can_read_project(request.user, project.department_id):
            raise PermissionDenied
        payload = UpdateWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        update = updates.project_update_submit(
            user=request.user, project=project, files=request.FILES.getlist("files"),
            **payload.validated_data,
        )  # fmt: skip
        return Response(UpdateSerializer(_update(update.pk)).data, status=status.HTTP_201_CREATED)


def _update(pk: int) -> ProjectUpdate | None:
    return (
        ProjectUpdate.objects.select_related("project__department", "submitted_by", "decided_by")
        .prefetch_related("evidence")
        .filter(pk=pk)
        .first()
    )


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class _UpdateDecisionApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    serializer_class = UpdateSerializer
    filter_backends = []
    pagination_class = None

    def update_for(self, request, pk: int) -> ProjectUpdate:
        update = _update(pk)
        if update is None:
            raise NotFound
        if not permissions.can_read_project(request.user, update.project.department_id):
            raise PermissionDenied
        return update


class ProjectUpdateApproveApi(_UpdateDecisionApi):
    """POST: a head of the project's department approves the update (never their own); a new
    stage it reports moves the project in the same transaction, or the approval is refused."""

    @extend_schema(request=None, responses={200: UpdateSerializer})
    def post(self, request, pk: int):
        update = updates.project_update_approve(
            update=self.update_for(request, pk), user=request.user
        )
        return Response(UpdateSerializer(_update(update.pk)).data)


class ProjectUpdateReturnApi(_UpdateDecisionApi):
    """POST: a head of the project's department returns the update with a comment."""

    @extend_schema(request=ReturnSerializer, responses={200: UpdateSerializer})
    def post(self, request, pk: int):
        update = self.update_for(request, pk)
        payload = ReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updates.project_update_return(
            update=update, user=request.user, comment=payload.validated_data["comment"]
        )
        return Response(UpdateSerializer(_update(update.pk)).data)


class ProposedSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    energy_tce = serializers.CharField(max_length=60, help_text="annual energy (当量), tce")
    value_added = serializers.CharField(max_length=60, help_text="万元 at 2020 prices")


class WhatIfSerializer(serializers.Serializer):
    projects = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                     default=list, help_text="registered projects with a review")  # fmt: skip
    proposed = ProposedSerializer(many=True, required=False, default=list)


class WhatIfApi(ApiViewMixin, APIView):
    """POST the admission check (项目准入测算) of proposed projects taken together — registered
    ones with a review (by id) and ones given by their annual energy and value added — against
    the park's latest complete year. Computes only; nothing is written."""

    permission_classes = [ReadsProjects]

    @extend_schema(request=WhatIfSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        payload = WhatIfSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = set(payload.validated_data["projects"])
        chosen = list(Project.objects.filter(pk__in=ids).order_by("code"))
        if len(chosen) != len(ids):
            raise NotFound
        energy = selectors.reviewed_energy([p.pk for p in chosen])
        rows = []
        for project in chosen:
            if project.pk not in energy or not project.value_added:
                raise ApplicationError(
                    f"项目 {project.code} 尚无节能审查或达产年增加值，不能测算。",
                    f"Project {project.code} has no energy review or value added to check.",
                    code="project_not_reviewed",
                )
            rows.append((project.code, energy[project.pk], project.value_added))
        for index, row in enumerate(payload.validated_data["proposed"], start=1):
            name = row["name"].strip() or f"拟建项目 {index}"
            tce = services.number(row["energy_tce"], f"{name}的年综合能耗", f"Annual energy of {name}",
                                  required=True)  # fmt: skip
            value_added = services.number(row["value_added"], f"{name}的达产年增加值",
                                          f"Value added of {name}", required=True)  # fmt: skip
            rows.append((name, tce, value_added))
        if not rows:
            raise ApplicationError("请至少列出一个项目。", "List at least one project.",
                                   code="projects_required")  # fmt: skip
        park = selectors.park_latest_complete_year()
        if park is None or park["target_value"] is None:
            raise ApplicationError(
                "园区尚无完整年度的能耗和强度结果（或其目标值），不能测算。",
                "The park has no complete year of energy and intensity (with its target) to "
                "check against.",
                code="park_result_missing",
            )
        reserve = selectors.budget_reserve(timezone.localdate().year)
        keyed = [(p.pk, energy[p.pk]) for p in chosen] + [
            (None, e) for _n, e, _v in rows[len(chosen) :]
        ]
        result = pc.admission_together(
            [(e, v) for _n, e, v in rows], park_energy_tce=park["energy_tce"],
            park_value_added=park["value_added"], path_value=park["target_value"],
            **selectors.reserve_arguments(reserve, keyed),
        )  # fmt: skip
        return Response(
            {
                "park_year": park["year"],
                "target": park["target_code"],
                "projects": [
                    {"name": n, "energy_tce": _text(e), "value_added": _text(v)} for n, e, v in rows
                ],
                "energy_tce": _text(sum((e for _n, e, _v in rows), pc.ZERO)),
                "value_added": _text(sum((v for _n, _e, v in rows), pc.ZERO)),
                "project_intensity": _text(result.project_intensity),
                "park_intensity": _text(result.park_intensity),
                "park_with_project": _text(result.park_with_project),
                "effect": _text(result.effect),
                "effect_percent": _text(result.effect_percent),
                "path_value": _text(result.path_value),
                "verdict": result.verdict,
                **_reserve_fields(reserve, result),
            }
        )


@extend_schema(
    parameters=[
        OpenApiParameter("stage", str),
        OpenApiParameter("kind", str),
        OpenApiParameter("department", str, description="the responsible department's code"),
        OpenApiParameter("task", str, description="a linked task's code"),
        OpenApiParameter("funding", str, description="a planned funding source"),
        OpenApiParameter("q", str, description="code, name or the enterprise's name / code"),
    ]
)
class ProjectListApi(ApiViewMixin, generics.ListAPIView):
    """GET the key projects (filter `stage`, `kind`, `department`, `task`, `funding`, search
    `q`) with their latest energy review. POST: register a project (DRS, the statistics
    office)."""

    permission_classes = [ReadsOrRegistersProjects]
    serializer_class = ProjectSerializer

    def get_queryset(self):
        from tasks.models import Department, Task

        params = self.request.query_params
        department, task = params.get("department", ""), params.get("task", "")
        # An unknown department or task matches no project (-1), rather than every one.
        department_id = task_id = None
        if department:
            department_id = (
                Department.objects.filter(code=department).values_list("pk", flat=True).first()
                or -1
            )
        if task:
            task_id = Task.objects.filter(code=task).values_list("pk", flat=True).first() or -1
        return selectors.projects(
            stage=params.get("stage", ""), kind=params.get("kind", ""),
            funding=params.get("funding", ""), query=params.get("q", "")[:100],
            department_id=department_id, task_id=task_id,
        )  # fmt: skip

    @extend_schema(request=ProjectWriteSerializer, responses={201: ProjectDetailSerializer})
    def post(self, request):
        payload = ProjectWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        project = services.project_register(user=request.user, **_resolved(payload.validated_data))
        return _answer(project.pk, status.HTTP_201_CREATED)


api_urlpatterns = [
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/admission/", WhatIfApi.as_view(), name="project-what-if"),
    path("projects/<int:pk>/", ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<int:pk>/stages/", ProjectStageApi.as_view(), name="project-stages"),
    path("projects/<int:pk>/reviews/", ProjectReviewApi.as_view(), name="project-reviews"),
    path(
        "projects/<int:pk>/assessments/", ProjectAssessmentApi.as_view(), name="project-assessments"
    ),
    path("projects/<int:pk>/updates/", ProjectUpdateApi.as_view(), name="project-updates"),
    path(
        "project-updates/<int:pk>/approve/",
        ProjectUpdateApproveApi.as_view(),
        name="project-update-approve",
    ),
    path(
        "project-updates/<int:pk>/return/",
        ProjectUpdateReturnApi.as_view(),
        name="project-update-return",
    ),
    path("projects/<int:pk>/admission/", ProjectAdmissionApi.as_view(), name="project-admission"),
]
