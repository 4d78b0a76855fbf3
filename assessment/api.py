"""API of the assessment (management.md §6): `assessments/{period}/` — the components and
totals per unit of a year (signed off, frozen, or a preview) or a quarter's preview, with
the scheme and the snapshot's hash. Read by those who read all data. Numbers are decimal
strings (data-exchange §3)."""

from django.urls import re_path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from assessment import calculations as calc
from assessment import selectors
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.input_fields import PERIOD_URL


class ReadsAssessment(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_assessment(request.user)


_COMPONENT = inline_serializer(
    "AssessmentComponent",
    {
        "weight": serializers.CharField(),
        "effective_weight": serializers.CharField(allow_null=True),
        "score": serializers.CharField(allow_null=True),
        "points": serializers.CharField(allow_null=True),
        "numerator": serializers.CharField(),
        "denominator": serializers.IntegerField(),
        "deduction": serializers.CharField(),
        "records": serializers.IntegerField(),
    },
)
_UNIT = inline_serializer(
    "AssessmentUnit",
    {
        "department": serializers.CharField(),
        "base": serializers.CharField(allow_null=True),
        "adjustments": serializers.CharField(allow_null=True),
        "total": serializers.CharField(allow_null=True),
        "grade": serializers.ChoiceField(choices=[*calc.GRADES, calc.NOT_ASSESSED]),
        "components": serializers.DictField(child=_COMPONENT),
    },
    many=True,
)
_ANSWER = inline_serializer(
    "Assessment",
    {
        "period": serializers.CharField(),
        "year": serializers.IntegerField(),
        "as_of": serializers.DateField(),
        "source": serializers.ChoiceField(
            choices=[selectors.SIGNED_OFF, selectors.FROZEN, selectors.PREVIEW]
        ),
        "scheme": serializers.DictField(),
        "snapshot_sha256": serializers.CharField(),
        "scores_sha256": serializers.CharField(allow_blank=True),
        "units": _UNIT,
    },
)


class AssessmentApi(ApiViewMixin, APIView):
    """GET a year's assessment (2025) or a quarter's preview (2026Q3): per unit its
    components (weight, effective weight, score, points, the count behind it), base,
    adjustments, total and grade; the scheme (rules, version, 文号) and where the scores
    come from (signed_off / frozen / preview)."""

    permission_classes = [ReadsAssessment]

    @extend_schema(responses={200: _ANSWER})
    def get(self, request, period: str):
        view = selectors.year_view(period)
        if view is None:
            raise NotFound
        assessment = view.assessment
        rows = (
            assessment.scores["rows"]
            if assessment is not None and assessment.signed_off
            else view.rows()
        )
        return Response(
            {
                "period": view.period,
                "year": view.snapshot["year"],
                "as_of": view.snapshot["as_of"],
                "source": view.source,
                "scheme": {
                    "year": view.scheme.year,
                    "version": view.scheme.version,
                    "document_no": view.scheme.document_no,
                    "rules": view.scheme.rules,
                },
                "snapshot_sha256": assessment.snapshot_sha256
                if assessment
                else calc.sha256_of(view.snapshot),
                "scores_sha256": assessment.scores_sha256 if assessment else "",
                "units": rows,
            }
        )


api_urlpatterns = [
    re_path(rf"^assessments/{PERIOD_URL}/$", AssessmentApi.as_view(), name="assessment-detail"),
]
