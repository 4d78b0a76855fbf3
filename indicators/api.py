"""API of the indicator engine: items, targets, indicators, computed values and imports."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from accounts.permissions import RunsImports, UsesProduct
from dezhou_carbon.exceptions import PermissionRefused
from indicators import exchange
from indicators.importing import parse_import_records
from indicators.models import Figure, Indicator, IndicatorResult, StatisticalItem, Target
from indicators.preview import preview_results
from indicators.selectors import indicator_results
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
        if params.get("preview") in ("1", "true"):
            return self._preview(params)
        return indicator_results(
            indicator=params.get("indicator") or None,
            period=params.get("period") or None,
            scope=params.get("scope", ""),
            variant=params.get("variant", ""),
        )

    def _preview(self, params) -> list[IndicatorResult]:
        """Department staff only: their own department's newest figures, not yet approved."""
        user = self.request.user
        if not permissions.is_department_staff(user):
            raise PermissionRefused(
                "预览仅供部门填报人员查看本部门未审核数据的影响。",
                "Preview is for department staff, to see the effect of their unapproved figures.",
                code="permission_denied",
            )
        rows = preview_results(department_id=user.department_id)
        wanted_variant = params.get("variant", "")
        rows = [
            r
            for r in rows
            if r.variant == wanted_variant
            and (not params.get("indicator") or r.indicator.code == params["indicator"])
            and (not params.get("period") or r.period == params["period"])
        ]
        targets = {t.pk: t for t in Target.objects.filter(pk__in={r.target_id for r in rows})}
        for row in rows:
            row.target = targets.get(row.target_id)
        return rows

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


class FigureSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    department = serializers.CharField(source="department.code")
    value = serializers.DecimalField(max_digits=24, decimal_places=6)
    entered_by = serializers.CharField(source="entered_by.username", default=None)
    submitted_by = serializers.CharField(source="submitted_by.username", default=None)
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    supersedes = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Figure
        fields = [
            "id",
            "item",
            "department",
            "period",
            "scope",
            "value",
            "version",
            "supersedes",
            "is_latest",
            "counts",
            "state",
            "note",
            "reason",
            "entered_by",
            "entered_at",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "import_batch",
        ]


class FigureListApi(generics.ListAPIView):
    """Figures (every version), to trace a result's `input_figure_ids`: who entered, who
    approved, which version. Department staff see their own department's figures only."""

    permission_classes = [UsesProduct]
    serializer_class = FigureSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("ids", str, description="comma-separated figure ids"),
            OpenApiParameter("item", str),
            OpenApiParameter("period", str),
            OpenApiParameter("scope", str),
            OpenApiParameter("state", str),
            OpenApiParameter("department", str, description="department code"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        queryset = Figure.objects.select_related(
            "item", "department", "entered_by", "submitted_by", "decided_by"
        ).order_by("item__order", "period", "scope", "version")
        if not permissions.can_read_all_data(user):
            if not permissions.is_department_staff(user):
                return queryset.none()
            queryset = queryset.filter(department_id=user.department_id)
        params = self.request.query_params
        if params.get("ids"):
            ids = [int(part) for part in params["ids"].split(",") if part.strip().isdigit()]
            queryset = queryset.filter(pk__in=ids)
        for name, lookup in [
            ("item", "item__code"),
            ("period", "period"),
            ("scope", "scope"),
            ("state", "state"),
            ("department", "department__code"),
        ]:
            if params.get(name) is not None and name in params:
                queryset = queryset.filter(**{lookup: params[name]})
        return queryset
