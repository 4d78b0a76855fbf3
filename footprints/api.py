"""API of the footprint accounting (management.md §6): `footprints/` and `footprints/{id}/`
(total and breakdown), read for everyone who reads the footprints. Numbers are decimal
strings (data-exchange §3)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from dezhou_carbon.api import ApiViewMixin
from footprints import selectors
from footprints.models import Study


class ReadsFootprints(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_footprints(request.user)


def _text(value) -> str | None:
    return None if value is None else format(value.normalize() if value else value, "f")


class StudySerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    total_kg_co2e = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id", "enterprise", "enterprise_name", "product_key", "product_zh", "product_en",
            "leading_industry", "declared_unit", "boundary", "reference_year", "allocation",
            "state", "total_kg_co2e", "outdated", "computed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_total_kg_co2e(self, study) -> str | None:
        return _text(study.total)


class StudyDetailSerializer(StudySerializer):
    by_stage = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    primary_percent = serializers.SerializerMethodField()
    cutoff = serializers.SerializerMethodField()
    factors = serializers.SerializerMethodField()
    certificates = serializers.SerializerMethodField()

    class Meta(StudySerializer.Meta):
        fields = [*StudySerializer.Meta.fields, "shares", "by_stage", "lines",
                  "primary_percent", "cutoff", "factors", "certificates"]  # fmt: skip
        read_only_fields = fields

    def get_by_stage(self, study) -> dict[str, str]:
        return dict(study.by_stage or {})

    def get_lines(self, study) -> list[dict]:
        return list((study.trace or {}).get("lines", []))

    def get_primary_percent(self, study) -> str | None:
        return (study.trace or {}).get("primary_percent")

    def get_cutoff(self, study) -> dict:
        return dict((study.trace or {}).get("cutoff", {}))

    def get_factors(self, study) -> list[dict]:
        return list((study.trace or {}).get("factors", []))

    def get_certificates(self, study) -> list[dict]:
        return [
            {"body": c.body, "number": c.number, "standard": c.standard, "label": c.label,
             "valid_from": c.valid_from.isoformat(), "valid_to": c.valid_to.isoformat()}
            for c in study.certificates.all()
        ]  # fmt: skip


class FootprintListApi(ApiViewMixin, generics.ListAPIView):
    """GET the footprint studies (filter `industry`, `state`), newest reference year first."""

    permission_classes = [ReadsFootprints]
    serializer_class = StudySerializer

    def get_queryset(self):
        user = self.request.user
        return selectors.studies(
            leading_industry=self.request.query_params.get("industry", ""),
            state=self.request.query_params.get("state", ""),
            # An energy manager's own enterprise only (the rule: can_read_study).
            enterprise_id=user.enterprise_id if permissions.is_energy_manager(user) else None,
        )


class FootprintDetailApi(ApiViewMixin, APIView):
    """GET one study: total per declared unit, breakdown by stage and by line, the factors
    (with versions and sources) and rules that produced it, its certificates."""

    permission_classes = [ReadsFootprints]

    @extend_schema(responses={200: StudyDetailSerializer})
    def get(self, request, pk: int):
        study = get_object_or_404(Study.objects.select_related("enterprise"), pk=pk)
        if not permissions.can_read_study(request.user, study.enterprise):
            if permissions.is_energy_manager(request.user):
                from enterprises.services import enterprise_access_refused_record

                enterprise_access_refused_record(
                    user=request.user, code=study.enterprise.code, where=request.path
                )
            raise Http404
        return Response(StudyDetailSerializer(selectors.study_page(pk)).data)


api_urlpatterns = [
    path("footprints/", FootprintListApi.as_view(), name="footprint-list"),
    path("footprints/<int:pk>/", FootprintDetailApi.as_view(), name="footprint-detail"),
]
