"""API of the plan: departments, sections, tasks (responsibilities lead first) and their
work items; the lead department's staff update a work item's progress, as on the plan
board (dashboards.services.work_item_update)."""

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from dashboards.services import work_item_update
from dezhou_carbon.api import ApiViewMixin
from tasks.models import Department, Responsibility, Section, Task, WorkItem


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


class WorkItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkItem
        fields = ["id", "code", "title_zh", "title_en", "due_year", "status", "order"]


class WorkItemDetailSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code")
    lead = serializers.SerializerMethodField()
    may_update = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "task",
            "code",
            "title_zh",
            "title_en",
            "due_year",
            "status",
            "evidence",
            "order",
            "lead",
            "may_update",
        ]

    def _lead(self, item) -> Responsibility | None:
        leads = [r for r in item.task.responsibilities.all() if r.role == Responsibility.Role.LEAD]
        return min(leads, key=lambda r: (r.order, r.pk)) if leads else None

    def get_lead(self, item) -> str | None:
        lead = self._lead(item)
        return lead.department.code if lead else None

    def get_may_update(self, item) -> bool:
        """As the plan board shows its form: the lead department's staff."""
        lead = self._lead(item)
        user = self.context["request"].user
        return lead is not None and permissions.can_enter_figures(user, lead.department_id)


class WorkItemUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WorkItem.Status.choices)
    evidence = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)


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
                "work_items",
                "targets",
            )
            .order_by("plan", "order")
        )


class WorkItemFilter(django_filters.FilterSet):
    task = django_filters.CharFilter(field_name="task__code")
    status = django_filters.ChoiceFilter(choices=WorkItem.Status.choices)
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


def _work_items():
    return WorkItem.objects.select_related("task").prefetch_related(
        Prefetch(
            "task__responsibilities",
            queryset=Responsibility.objects.select_related("department"),
        )
    )


class WorkItemListApi(ApiViewMixin, generics.ListAPIView):
    """Every work item (工作要点) of the plan, with its status, evidence and lead unit."""

    permission_classes = [UsesProduct]
    serializer_class = WorkItemDetailSerializer
    filterset_class = WorkItemFilter

    def get_queryset(self):
        return _work_items().order_by("task__order", "order", "pk")


class WorkItemDetailApi(ApiViewMixin, generics.GenericAPIView):
    """GET one work item. PATCH: the lead department's staff record its status and
    evidence, as on the plan board; anyone else is refused and nothing changes."""

    permission_classes = [UsesProduct]
    serializer_class = WorkItemDetailSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return _work_items()

    def get(self, request, pk: int):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=WorkItemUpdateSerializer, responses={200: WorkItemDetailSerializer})
    def patch(self, request, pk: int):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        if not self.get_serializer(item).get_may_update(item):
            self.permission_denied(request, "Only the lead department can update a work item.")
        payload = WorkItemUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        work_item_update(
            item=item,
            user=request.user,
            status=payload.validated_data["status"],
            evidence=payload.validated_data["evidence"].strip(),
        )
        item = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(self.get_serializer(item).data)
