"""API of the key projects (management.md §6): `projects/` with their latest review and
assessment, and `projects/{id}/admission/`. Numbers are decimal strings (data-exchange §3)."""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from dezhou_carbon.api import ApiViewMixin
from projects import selectors
from projects.models import Project


class ReadsProjects(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_all_data(request.user) or permissions.can_manage_projects(
            request.user
        )


def _text(value) -> str | None:
    return None if value is None else format(value.normalize() if value else value, "f")


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


class ProjectListApi(ApiViewMixin, generics.ListAPIView):
    """GET the key projects (filter `stage`, `kind`) with their latest energy review."""

    permission_classes = [ReadsProjects]
    serializer_class = ProjectSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.projects(stage=params.get("stage", ""), kind=params.get("kind", ""))


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
        result = selectors.admission(project, park)
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
            }
        )


api_urlpatterns = [
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:pk>/admission/", ProjectAdmissionApi.as_view(), name="project-admission"),
]
