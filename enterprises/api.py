"""API of the register (management.md §6): `/api/v1/enterprises/` (filter key units),
one enterprise by its credit code, and its key-unit designation (statistics office)."""

from decimal import Decimal

import django_filters
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import UsesProduct, UsesProductOrEnterprise
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError
from enterprises import credit_code as credit_codes
from enterprises import register_file
from enterprises.analysis import INTENSITY, gap_attribution, reconciliation
from enterprises.models import DesignationBasis, Enterprise
from enterprises.selectors import enterprises_visible_to
from enterprises.services import (
    enterprise_access_refused_record,
    enterprise_save,
    key_unit_designate,
)
from indicators.numbers import decimal_text


class EnterpriseSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="supervising_department.code")
    key_unit = serializers.BooleanField(source="is_key_unit")

    class Meta:
        model = Enterprise
        fields = [
            "code",
            "name",
            "industry",
            "leading_industry",
            "above_scale",
            "department",
            "key_unit",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]


class EnterpriseWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    industry = serializers.CharField(max_length=10)
    department = serializers.CharField(max_length=20)
    leading_industry = serializers.ChoiceField(
        choices=list(register_file.LEADING_INDUSTRIES), required=False, default=""
    )
    above_scale = serializers.BooleanField(required=False, default=False)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)


class EnterpriseFilter(django_filters.FilterSet):
    key_unit = django_filters.BooleanFilter(field_name="is_key_unit")
    department = django_filters.CharFilter(field_name="supervising_department__code")
    leading_industry = django_filters.ChoiceFilter(
        choices=[(c, c) for c in register_file.LEADING_INDUSTRIES if c]
    )

    class Meta:
        model = Enterprise
        fields = ["key_unit", "department", "leading_industry"]


class EnterpriseListApi(ApiViewMixin, generics.ListAPIView):
    """GET: the enterprises you may read (?key_unit=true for key units). POST: register
    an enterprise (statistics office); the credit code is checked (GB 32100)."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        return enterprises_visible_to(self.request.user).order_by("code")

    @extend_schema(request=EnterpriseWriteSerializer, responses={201: EnterpriseSerializer})
    def post(self, request):
        if not permissions.can_manage_enterprises(request.user):
            self.permission_denied(request, "Only the statistics office can register enterprises.")
        payload = EnterpriseWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        enterprise = enterprise_save(user=request.user, data=payload.validated_data)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)


class EnterpriseNotFound(ApplicationError):
    status_code = 404

    def __init__(self):
        super().__init__("未找到该企业。", "No such enterprise.", code="not_found")


def enterprise_for(request, code: str) -> Enterprise:
    """The enterprise named by `code`, if the user may read it. A code that is not valid
    is refused with its reason; one the user may not read answers 404 like one that does
    not exist (nothing is disclosed), and the attempt is audited."""
    valid, why_zh, why_en = credit_codes.validate(code)
    if not valid:
        raise ApplicationError(
            f"统一社会信用代码无效：{why_zh}",
            f"Invalid credit code: {why_en}",
            code="bad_credit_code",
        )
    enterprise = enterprises_visible_to(request.user).filter(code=valid).first()
    if enterprise is None:
        if Enterprise.objects.filter(code=valid).exists():
            enterprise_access_refused_record(user=request.user, code=valid, where=request.path)
        raise EnterpriseNotFound()
    return enterprise


class EnterpriseDetailApi(ApiViewMixin, generics.GenericAPIView):
    """One enterprise by its credit code."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = EnterpriseSerializer
    filter_backends = []
    pagination_class = None

    def get(self, request, credit_code: str):
        return Response(EnterpriseSerializer(enterprise_for(request, credit_code)).data)


class DesignationSerializer(serializers.Serializer):
    designated = serializers.BooleanField()
    basis = serializers.ChoiceField(choices=DesignationBasis.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    reason = serializers.CharField(max_length=2000)
    document_no = serializers.CharField(max_length=100, required=False, allow_blank=True)


class EnterpriseDesignationApi(ApiViewMixin, generics.GenericAPIView):
    """POST: designate an enterprise as a key energy-using unit (or revoke it), with a
    reason (statistics office)."""

    permission_classes = [UsesProduct]
    serializer_class = EnterpriseSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(request=DesignationSerializer, responses={201: EnterpriseSerializer})
    def post(self, request, credit_code: str):
        if not permissions.can_manage_enterprises(request.user):
            self.permission_denied(request, "Only the statistics office decides designations.")
        enterprise = enterprise_for(request, credit_code)
        payload = DesignationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key_unit_designate(user=request.user, enterprise=enterprise, **payload.validated_data)
        enterprise.refresh_from_db()
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)


def _decimal_text(value) -> str | None:
    """A number as a decimal string (data-exchange §3); floats via their shortest repr."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return decimal_text(Decimal(repr(value)) if isinstance(value, float) else value)


class ReadsAll(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_all_data(request.user)


@extend_schema(
    parameters=[
        OpenApiParameter("period", str, required=True, description="2025 or 2025Q3"),
        OpenApiParameter("item", str, description="a summed statistical item's code"),
    ],
    responses={200: dict},
)
class ReconciliationApi(ApiViewMixin, APIView):
    """Σ registered enterprises vs the park per item: for a quarter that quarter and the
    year to date, for a year the year; residual = park − Σ, coverage = Σ ÷ park, excess
    when Σ > park × (1 + tolerance). Numbers are decimal strings."""

    permission_classes = [ReadsAll]

    def get(self, request):
        frame = reconciliation(
            period=request.query_params.get("period", ""),
            item=request.query_params.get("item") or None,
        )
        rows = [
            {
                "item": row["item"],
                "period": row["period"],
                "window": row["window"],
                "unit": row["unit"],
                "park": _decimal_text(row["park"]),
                "enterprises": _decimal_text(row["enterprises"]),
                "reporting_enterprises": int(row["reporting"]),
                "residual": _decimal_text(row["residual"]),
                "coverage": _decimal_text(row["coverage"]),
                "excess": bool(row["excess"]),
            }
            for row in frame.to_dict("records")
        ]
        return Response({"tolerance": _decimal_text(frame.attrs["tolerance"]), "results": rows})


@extend_schema(
    parameters=[
        OpenApiParameter("indicator", str, description="energy_intensity_iva (the default)"),
        OpenApiParameter("from", str, required=True, description="2024, or 2024Q3"),
        OpenApiParameter("to", str, required=True, description="2025, or 2025Q3"),
    ],
    responses={200: dict},
)
class DecompositionApi(ApiViewMixin, APIView):
    """The park's energy-intensity change between two comparable periods split (LMDI-I,
    management.md §1) into structure and intensity effects per key unit and the rest of
    the park, ranked by |total|; the effects sum to the change."""

    permission_classes = [ReadsAll]

    def get(self, request):
        indicator = request.query_params.get("indicator") or INTENSITY
        if indicator != INTENSITY:
            raise ApplicationError(
                "目前只分解单位工业增加值综合能耗(energy_intensity_iva)。",
                "Only energy_intensity_iva is decomposed.",
                code="unknown_indicator",
            )
        gap = gap_attribution(
            period_0=request.query_params.get("from", ""),
            period_t=request.query_params.get("to", ""),
        )
        result = gap.decomposition
        rows = [
            {
                "sector": code or "rest_of_park",
                "name": gap.names.get(code, "") if code else "园区其他",
                "structure": _decimal_text(row["structure"]),
                "intensity": _decimal_text(row["intensity"]),
                "total": _decimal_text(row["total"]),
                "share": _decimal_text(row["share"]),
                "entrant": bool(row["entrant"]),
                "leaver": bool(row["leaver"]),
            }
            for code, row in result.sectors.iterrows()
        ]
        return Response(
            {
                "indicator": INTENSITY,
                "from": gap.period_0,
                "to": gap.period_t,
                "value_from": _decimal_text(result.intensity_0),
                "value_to": _decimal_text(result.intensity_t),
                "change": _decimal_text(result.change),
                "results": rows,
            }
        )


_CODE = "<str:credit_code>"
api_urlpatterns = [
    path("enterprises/", EnterpriseListApi.as_view(), name="enterprise-list"),
    path(f"enterprises/{_CODE}/", EnterpriseDetailApi.as_view(), name="enterprise-detail"),
    path("reconciliation/", ReconciliationApi.as_view(), name="reconciliation"),
    path("decomposition/", DecompositionApi.as_view(), name="decomposition"),
    path(
        f"enterprises/{_CODE}/designations/",
        EnterpriseDesignationApi.as_view(),
        name="enterprise-designation",
    ),
]
