"""Read API of the plan: departments, tasks (with responsibilities, lead first)."""

from django.db.models import Prefetch
from rest_framework import generics, serializers

from accounts.permissions import UsesProduct
from tasks.models import Department, Responsibility, Task, WorkItem


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
        fields = ["code", "title_zh", "title_en", "due_year", "status", "order"]


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


class DepartmentListApi(generics.ListAPIView):
    """Every responsible unit of the park, with its stable code."""

    permission_classes = [UsesProduct]
    serializer_class = DepartmentSerializer
    queryset = Department.objects.order_by("order", "code")


class TaskListApi(generics.ListAPIView):
    """The plan's tasks and policy innovations; responsibilities lead first."""

    permission_classes = [UsesProduct]
    serializer_class = TaskSerializer

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
