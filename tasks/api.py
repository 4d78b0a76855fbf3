"""API of the plan: departments, sections, tasks (responsibilities lead first) and their
work items with their derived state (tasks.progress: from the parts' reports and the
committee's verification; nobody sets it by hand), and the accountable work: part reports,
co-signs and verification (tasks.workflow)."""

import django_filters
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.input_fields import PeriodField
from indicators.models import Target
from tasks import progress, workflow
from tasks.models import (
    Department,
    PartEvidence,
    PartReport,
    Responsibility,
    Section,
    Task,
    WorkItem,
    WorkItemPart,
)
from tasks.selectors import item_rows


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name_zh", "name_en", "order", "is_active"]


class ResponsibilitySerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    department_name_zh = serializers.CharField(source="department.name_zh")
    department_name_en = serializers.CharField(source="department.name_en")

    class Meta:
        model = Responsibility
        fields = ["department", "department_name_zh", "department_name_en", "role", "order"]


def _state(item) -> str:
    """The derived state the view put on the item (`dress_items`), else computed alone."""
    if not hasattr(item, "state"):
        dress_items([item])
    return item.state


def dress_items(items) -> None:
    """Each item's derived state as `item.state` (tasks.selectors.item_rows: two queries
    for all of them; parts and targets prefetched as `part_list` and `target_list`)."""
    for row in item_rows(list(items)):
        row.item.state = row.state


class WorkItemSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="derived: not_started, in_progress, awaiting_verification, verified, overdue"
    )
    restates_targets = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "code",
            "title_zh",
            "title_en",
            "due_year",
            "due_quarter",
            "status",
            "restates_targets",
            "order",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=progress.STATE_CHOICES))
    def get_status(self, item) -> str:
        return _state(item)

    def get_restates_targets(self, item) -> list[str]:
        """Codes of the targets the item restates or is the milestone of: their status is
        the item's (dashboards)."""
        targets = getattr(item, "target_list", None)
        if targets is None:
            targets = list(item.targets.all())
        return [t.code for t in targets]


class WorkItemDetailSerializer(WorkItemSerializer):
    task = serializers.CharField(source="task.code")
    lead = serializers.SerializerMethodField()
    may_update = serializers.SerializerMethodField(
        help_text="may report the lead unit's part of the item (tasks.workflow)"
    )

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "task",
            "code",
            "title_zh",
            "title_en",
            "due_year",
            "due_quarter",
            "status",
            "restates_targets",
            "evidence",
            "order",
            "lead",
            "may_update",
        ]
        read_only_fields = ["evidence"]

    def get_lead(self, item) -> str | None:
        lead = item.task.lead
        return lead.department.code if lead else None

    def get_may_update(self, item) -> bool:
        """The lead unit's staff, who report its part (POST /api/v1/part-reports/)."""
        lead = item.task.lead
        user = self.context["request"].user
        return lead is not None and permissions.can_report_part(user, lead.department_id)


class TaskSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.code")
    section_title_zh = serializers.CharField(source="section.title_zh")
    responsibilities = ResponsibilitySerializer(many=True)
    work_items = WorkItemSerializer(many=True)
    targets = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "code",
            "kind",
            "section",
            "section_title_zh",
            "title_zh",
            "title_en",
            "text_zh",
            "order",
            "responsibilities",
            "work_items",
            "targets",
        ]


class SectionSerializer(serializers.ModelSerializer):
    tasks = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Section
        fields = ["code", "numeral", "title_zh", "title_en", "order", "tasks"]


class DepartmentFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Department
        fields = ["code", "is_active"]


class DepartmentListApi(ApiViewMixin, generics.ListAPIView):
    """Every responsible unit of the park, with its stable code."""

    permission_classes = [UsesProduct]
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    queryset = Department.objects.order_by("order", "code")


class SectionListApi(ApiViewMixin, generics.ListAPIView):
    """The plan's sections in order, each with its tasks' codes."""

    permission_classes = [UsesProduct]
    serializer_class = SectionSerializer
    filterset_fields = ["code"]

    def get_queryset(self):
        return Section.objects.prefetch_related(
            Prefetch("tasks", queryset=Task.objects.order_by("order").only("id", "code", "section"))
        ).order_by("plan", "order")


class TaskFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=Task.Kind.choices)
    section = django_filters.CharFilter(field_name="section__code")
    department = django_filters.CharFilter(
        field_name="responsibilities__department__code",
        distinct=True,
        label="department code (lead or supporting)",
    )
    lead = django_filters.CharFilter(method="filter_lead", label="lead department code")

    class Meta:
        model = Task
        fields = ["code", "kind", "section", "department", "lead"]

    def filter_lead(self, queryset, name, value):
        return queryset.filter(
            responsibilities__department__code=value,
            responsibilities__role=Responsibility.Role.LEAD,
        ).distinct()


class TaskListApi(ApiViewMixin, generics.ListAPIView):
    """The plan's tasks and policy innovations; responsibilities lead first."""

    permission_classes = [UsesProduct]
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return (
            Task.objects.select_related("section")
            .prefetch_related(
                Prefetch(
                    "responsibilities",
                    queryset=Responsibility.objects.select_related("department").lead_first(),
                ),
                Prefetch("work_items", queryset=_items_prefetched(WorkItem.objects.all())),
                "targets",
            )
            .order_by("plan", "order")
        )

    def get_serializer(self, *args, **kwargs):
        if args:
            dress_items(item for task in args[0] for item in task.work_items.all())
        return super().get_serializer(*args, **kwargs)


class WorkItemFilter(django_filters.FilterSet):
    task = django_filters.CharFilter(field_name="task__code")
    status = django_filters.ChoiceFilter(
        choices=progress.STATE_CHOICES, method="filter_status", label="derived state"
    )
    due_year = django_filters.NumberFilter()
    lead = django_filters.CharFilter(method="filter_lead", label="lead department code")

    class Meta:
        model = WorkItem
        fields = ["task", "status", "due_year", "lead"]

    def filter_lead(self, queryset, name, value):
        return queryset.filter(
            task__responsibilities__department__code=value,
            task__responsibilities__role=Responsibility.Role.LEAD,
        ).distinct()

    def filter_status(self, queryset, name, value):
        """The state is derived (not stored): computed for the plan's items (a few hundred
        at most, three queries) and matched by id."""
        items = list(_items_prefetched(WorkItem.objects.filter(pk__in=queryset.values("pk"))))
        return queryset.filter(pk__in=[r.item.pk for r in item_rows(items) if r.state == value])


def _items_prefetched(queryset):
    return queryset.prefetch_related(
        Prefetch(
            "parts",
            queryset=WorkItemPart.objects.select_related("department").order_by("order", "pk"),
            to_attr="part_list",
        ),
        Prefetch("targets", queryset=Target.objects.order_by("order"), to_attr="target_list"),
    )


def _work_items():
    return _items_prefetched(
        WorkItem.objects.select_related("task").prefetch_related(
            Prefetch(
                "task__responsibilities",
                queryset=Responsibility.objects.select_related("department"),
            )
        )
    )


class WorkItemListApi(ApiViewMixin, generics.ListAPIView):
    """Every work item (工作要点) of the plan, with its status, evidence and lead unit."""

    permission_classes = [UsesProduct]
    serializer_class = WorkItemDetailSerializer
    filterset_class = WorkItemFilter

    def get_queryset(self):
        return _work_items().order_by("task__order", "order", "pk")

    def get_serializer(self, *args, **kwargs):
        if args:
            dress_items(args[0])
        return super().get_serializer(*args, **kwargs)


class WorkItemDetailApi(ApiViewMixin, generics.GenericAPIView):
    """One work item with its derived state. Progress is reported on the units' parts
    (part-reports), never set on the item by hand."""

    permission_classes = [UsesProduct]
    serializer_class = WorkItemDetailSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return _work_items()

    def get(self, request, pk: int):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(item).data)


# --- the accountable work: part reports and verification (tasks.workflow) -------------------


class PartEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartEvidence
        fields = ["id", "name", "kind", "size", "sha256"]


class PartReportSerializer(serializers.ModelSerializer):
    work_item = serializers.IntegerField(source="part.work_item_id")
    work_item_code = serializers.CharField(source="part.work_item.code")
    department = serializers.CharField(source="part.department.code")
    role = serializers.CharField(source="part.role")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    quantity_unit = serializers.CharField(source="part.work_item.quantity_unit")
    submitted_by = serializers.CharField(source="submitted_by.username")
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True)
    cosigned_by = serializers.CharField(source="cosigned_by.username", allow_null=True)
    verified_by = serializers.CharField(source="verified_by.username", allow_null=True)
    evidence = PartEvidenceSerializer(many=True)

    class Meta:
        model = PartReport
        fields = [
            "id",
            "work_item",
            "work_item_code",
            "department",
            "role",
            "period",
            "progress",
            "quantity",
            "quantity_unit",
            "narrative",
            "state",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "cosigned_by",
            "verified_by",
            "return_comment",
            "evidence",
        ]


class PartReportCreateSerializer(serializers.Serializer):
    work_item = serializers.CharField(max_length=20, help_text="work item code, e.g. 5.1")
    department = serializers.CharField(max_length=20, help_text="the reporting unit's code")
    period = PeriodField(quarter_only=True)
    progress = serializers.ChoiceField(choices=PartReport.Progress.choices)
    quantity = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="in the item's unit"
    )
    quantity_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    narrative = serializers.CharField(max_length=20000)


class PartCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class VerificationSerializer(serializers.Serializer):
    period = PeriodField(quarter_only=True)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)


def part_reports_visible_to(user):
    """Reports a person may read: everything for those who read all data; for department
    staff their own unit's reports and those on the items their unit leads."""
    reports = PartReport.objects.select_related(
        "part__work_item",
        "part__department",
        "submitted_by",
        "approved_by",
        "cosigned_by",
        "verified_by",
    ).prefetch_related("evidence")
    if permissions.can_read_all_data(user):
        return reports
    if not permissions.is_department_staff(user):
        return reports.none()
    led = WorkItemPart.objects.filter(department_id=user.department_id, role="lead").values(
        "work_item_id"
    )
    return reports.filter(Q(part__department_id=user.department_id) | Q(part__work_item_id__in=led))


class PartReportListApi(ApiViewMixin, generics.ListAPIView):
    """GET: part reports (filter by period, state, department). POST: a unit reports its
    part of a work item for the open quarter (tasks.workflow.part_report_submit; evidence
    files are attached on the to-do page)."""

    permission_classes = [UsesProduct]
    serializer_class = PartReportSerializer
    filterset_fields = {
        "period": ["exact"],
        "state": ["exact"],
        "part__department__code": ["exact"],
    }

    def get_queryset(self):
        return part_reports_visible_to(self.request.user).order_by("-period", "pk")

    @extend_schema(request=PartReportCreateSerializer, responses={201: PartReportSerializer})
    def post(self, request):
        payload = PartReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        part = WorkItemPart.objects.filter(
            work_item__code=data["work_item"], department__code=data["department"]
        ).first()
        if part is None:
            raise ApplicationError(
                "该单位在此工作要点中没有分工。",
                "This unit has no part of this work item.",
                code="no_such_part",
            )
        report = workflow.part_report_submit(
            part=part,
            period=data["period"],
            progress=data["progress"],
            quantity=data.get("quantity") or None,
            quantity_unit=data.get("quantity_unit", ""),
            narrative=data["narrative"],
            user=request.user,
        )
        report = part_reports_visible_to(request.user).get(pk=report.pk)
        return Response(PartReportSerializer(report).data, status=201)


class _PartReportActionApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    serializer_class = PartReportSerializer
    pagination_class = None
    filter_backends = []
    needs_comment = False

    def service(self, report, user, comment):  # pragma: no cover - each subclass names one
        raise NotImplementedError

    @extend_schema(request=PartCommentSerializer, responses={200: PartReportSerializer})
    def post(self, request, pk: int):
        report = get_object_or_404(part_reports_visible_to(request.user), pk=pk)
        payload = PartCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.service(report, request.user, payload.validated_data.get("comment", ""))
        report = part_reports_visible_to(request.user).get(pk=pk)
        return Response(PartReportSerializer(report).data)


class PartReportApproveApi(_PartReportActionApi):
    """The unit's head approves the report (four eyes)."""

    def service(self, report, user, comment):
        workflow.part_report_approve(report=report, user=user)


class PartReportReturnApi(_PartReportActionApi):
    """The unit's head, or the lead unit's head at co-signing, returns it with a comment."""

    def service(self, report, user, comment):
        workflow.part_report_return(report=report, user=user, comment=comment)


class PartReportCosignApi(_PartReportActionApi):
    """The lead unit's head co-signs (会签) a supporting part."""

    def service(self, report, user, comment):
        workflow.part_report_cosign(report=report, user=user)


class _VerificationApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    serializer_class = WorkItemDetailSerializer
    pagination_class = None
    filter_backends = []

    def act(self, item, user, period, comment):  # pragma: no cover
        raise NotImplementedError

    @extend_schema(request=VerificationSerializer, responses={200: WorkItemDetailSerializer})
    def post(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        payload = VerificationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        self.act(item, request.user, data["period"], data.get("comment", ""))
        item = WorkItem.objects.select_related("task").get(pk=pk)
        return Response(self.get_serializer(item).data)


class WorkItemVerifyApi(_VerificationApi):
    """The committee verifies (销号) the item for `period` (tasks.workflow.work_item_verify)."""

    def act(self, item, user, period, comment):
        workflow.work_item_verify(item=item, period=period, user=user, comment=comment)


class WorkItemVerificationReturnApi(_VerificationApi):
    """The committee returns the lead unit's report with a comment."""

    def act(self, item, user, period, comment):
        workflow.work_item_verification_return(item=item, period=period, user=user, comment=comment)
