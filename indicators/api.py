"""API of the indicator engine: items, targets, indicators, computed values and imports."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import RunsImports, UsesProduct
from indicators import exchange
from indicators.importing import parse_import_records
from indicators.models import Indicator, IndicatorResult, StatisticalItem, Target
from indicators.services import statistics_import
from tasks.models import Task


class ItemSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    part_of = serializers.CharField(source="part_of.code", default=None)

    class Meta:
        model = StatisticalItem
        fields = [
            "code",
            "name_zh",
            "name_en",
            "unit",
            "frequency",
            "aggregation",
            "department",
            "non_negative",
            "part_of",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "code",
            "name_zh",
            "name_en",
            "unit",
            "direction",
            "path_kind",
            "has_base_year",
            "formula_zh",
        ]


class TargetSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", default=None)
    indicator_unit = serializers.CharField(source="indicator.unit", default=None)
    base_target = serializers.CharField(source="base_target.code", default=None)
    tasks = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    awaits_value = serializers.BooleanField(read_only=True)

    class Meta:
        model = Target
        fields = [
            "code",
            "title_zh",
            "title_en",
            "indicator",
            "indicator_unit",
            "kind",
            "qualifier",
            "value",
            "target_year",
            "year_is_stated",
            "base_year",
            "base_target",
            "tolerance",
            "awaits_value",
            "source_sentence_zh",
            "note_zh",
            "tasks",
        ]


class ItemListApi(generics.ListAPIView):
    """Statistical items staff report (data-exchange §1)."""

    permission_classes = [UsesProduct]
    serializer_class = ItemSerializer
    queryset = StatisticalItem.objects.select_related("department", "part_of")


class IndicatorListApi(generics.ListAPIView):
    """Indicators the engine computes (data-exchange §3 codes)."""

    permission_classes = [UsesProduct]
    serializer_class = IndicatorSerializer
    queryset = Indicator.objects.all()


class TargetListApi(generics.ListAPIView):
    """Every target of the plan with its indicator, kind, values and years."""

    permission_classes = [UsesProduct]
    serializer_class = TargetSerializer

    def get_queryset(self):
        return Target.objects.select_related("indicator", "base_target").prefetch_related(
            Prefetch("tasks", queryset=Task.objects.only("id", "code"))
        )


class IndicatorValueSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    period = serializers.CharField()
    scope = serializers.CharField(allow_blank=True)
    variant = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_null=True)
    unit = serializers.CharField()
    change_vs_base = serializers.CharField(allow_null=True)
    change_yoy = serializers.CharField(allow_null=True)
    target_id = serializers.CharField(allow_null=True)
    target_value = serializers.CharField(allow_null=True)
    target_year = serializers.IntegerField(allow_null=True)
    target_pending_base = serializers.BooleanField()
    path_value = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_blank=True)
    completion = serializers.CharField(allow_null=True)
    time_progress = serializers.CharField(allow_null=True)
    required_annual_change = serializers.CharField(allow_null=True)
    projection = serializers.CharField(allow_null=True)
    provisional = serializers.BooleanField()
    method = serializers.JSONField()
    input_figure_ids = serializers.ListField(child=serializers.IntegerField())
    computed_at = serializers.DateTimeField()


class IndicatorValueListApi(generics.ListAPIView):
    """Computed indicator values (data-exchange §3), filtered by indicator, period, scope
    (empty: the park) and variant (empty: the plain statistical basis)."""

    permission_classes = [UsesProduct]
    serializer_class = IndicatorValueSerializer

    def get_queryset(self):
        params = self.request.query_params
        queryset = IndicatorResult.objects.select_related("indicator", "target").filter(
            scope=params.get("scope", ""), variant=params.get("variant", "")
        )
        if params.get("indicator"):
            queryset = queryset.filter(indicator__code=params["indicator"])
        if params.get("period"):
            queryset = queryset.filter(period=params["period"])
        return queryset.order_by("indicator__order", "scope", "year", "quarter")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [exchange.result_row(result) for result in page]
        return self.get_paginated_response(rows)

    @extend_schema(
        parameters=[
            OpenApiParameter("indicator", str, description="indicator code"),
            OpenApiParameter("period", str, description="2024 or 2024Q3 (year to date)"),
            OpenApiParameter("scope", str, description="credit code; empty = the park"),
            OpenApiParameter(
                "variant", str, description="'', excl_feedstock, excl_feedstock_non_fossil"
            ),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ImportRowSerializer(serializers.Serializer):
    period = serializers.CharField()
    item = serializers.CharField()
    value = serializers.CharField()
    unit = serializers.CharField(required=False, allow_blank=True)
    scope = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ImportRequestSerializer(serializers.Serializer):
    rows = ImportRowSerializer(many=True)
    dry_run = serializers.BooleanField(default=False)
    approve = serializers.BooleanField(default=False)


class ImportApi(APIView):
    """POST import rows as JSON (data-exchange §2): all or nothing, every bad row
    answered with its line, column and reason."""

    permission_classes = [RunsImports]

    @extend_schema(request=ImportRequestSerializer, responses={200: dict, 201: dict})
    def post(self, request):
        payload = ImportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        parsed = parse_import_records(
            [dict(r) for r in request.data.get("rows", [])], exchange.item_specs()
        )
        outcome = statistics_import(
            parsed=parsed,
            user=request.user,
            source="api",
            approve=payload.validated_data["approve"],
            dry_run=payload.validated_data["dry_run"],
        )
        body = exchange.import_summary(outcome)
        return Response(
            body, status=status.HTTP_200_OK if outcome.dry_run else status.HTTP_201_CREATED
        )
