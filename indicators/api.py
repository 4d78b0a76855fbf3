"""API of the indicator engine: items, targets, indicators, computed values, figures
(read every version; save a department-period's drafts through the entry form's service)
and imports (JSON rows for the statistics office; list, detail and undo of uploads)."""

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.input_fields import NumberField, PeriodField, PeriodFilter, period_param
from indicators import exchange
from indicators.importing import parse_import_records
from indicators.models import (
    Figure,
    ImportBatch,
    Indicator,
    IndicatorResult,
    StatisticalItem,
    Target,
)
from indicators.preview import preview_results
from indicators.selectors import indicator_results
from indicators.services import statistics_import
from reporting import uploads, workflow
from tasks.models import Department, Task


class ItemSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    part_of = serializers.CharField(source="part_of.code", default=None, allow_null=True)

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
    # From calculations.FORMULAS, the text every method trace records (not stored).
    formula_zh = serializers.CharField(read_only=True)
    formula_en = serializers.CharField(read_only=True)

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
            "formula_en",
        ]


class TargetSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", default=None, allow_null=True)
    indicator_unit = serializers.CharField(source="indicator.unit", default=None, allow_null=True)
    base_target = serializers.CharField(source="base_target.code", default=None, allow_null=True)
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


class ItemFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    department = django_filters.CharFilter(field_name="department__code")
    frequency = django_filters.ChoiceFilter(choices=StatisticalItem.Frequency.choices)

    class Meta:
        model = StatisticalItem
        fields = ["code", "department", "frequency"]


class ItemListApi(ApiViewMixin, generics.ListAPIView):
    """Statistical items staff report (data-exchange §1)."""

    permission_classes = [UsesProduct]
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    queryset = StatisticalItem.objects.select_related("department", "part_of").order_by(
        "order", "code"
    )


class IndicatorListApi(ApiViewMixin, generics.ListAPIView):
    """Indicators the engine computes (data-exchange §3 codes)."""

    permission_classes = [UsesProduct]
    serializer_class = IndicatorSerializer
    filterset_fields = ["code", "direction", "path_kind"]
    queryset = Indicator.objects.order_by("pk")


class TargetFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    indicator = django_filters.CharFilter(field_name="indicator__code")
    kind = django_filters.CharFilter()
    target_year = django_filters.NumberFilter()
    task = django_filters.CharFilter(field_name="tasks__code", distinct=True)

    class Meta:
        model = Target
        fields = ["code", "indicator", "kind", "target_year", "task"]


class TargetListApi(ApiViewMixin, generics.ListAPIView):
    """Every target of the plan with its indicator, kind, values and years."""

    permission_classes = [UsesProduct]
    serializer_class = TargetSerializer
    filterset_class = TargetFilter

    def get_queryset(self):
        return (
            Target.objects.select_related("indicator", "base_target")
            .prefetch_related(Prefetch("tasks", queryset=Task.objects.only("id", "code")))
            .order_by("order", "pk")
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


class IndicatorValueListApi(ApiViewMixin, generics.ListAPIView):
    """Computed indicator values (data-exchange §3), filtered by indicator, period, scope
    (empty: the park) and variant (empty: the plain statistical basis)."""

    permission_classes = [UsesProduct]
    serializer_class = IndicatorValueSerializer
    filter_backends = []  # filtered by the selector (query parameters below)

    def get_queryset(self):
        params = self.request.query_params
        if params.get("preview") in ("1", "true"):
            return self._preview(params)
        return indicator_results(
            indicator=params.get("indicator") or None,
            period=period_param(params.get("period")),
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
            and (not params.get("period") or r.period == period_param(params["period"]))
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
            OpenApiParameter(
                "preview", str, enum=["1", "true"], description="department staff only"
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


class ImportBatchSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    undone_by = serializers.CharField(source="undone_by.username", default=None, allow_null=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "source",
            "filename",
            "status",
            "approve",
            "department",
            "period",
            "row_count",
            "created_count",
            "unchanged_count",
            "created_by",
            "created_at",
            "undone_by",
            "undone_at",
        ]


class ImportBatchDetailSerializer(ImportBatchSerializer):
    errors = serializers.JSONField()
    figures = serializers.SerializerMethodField()
    undoable = serializers.SerializerMethodField()

    class Meta(ImportBatchSerializer.Meta):
        fields = [*ImportBatchSerializer.Meta.fields, "errors", "figures", "undoable"]

    def get_figures(self, batch) -> list[int]:
        return sorted(batch.figures.values_list("pk", flat=True))

    def get_undoable(self, batch) -> bool:
        """As the upload page offers it: a confirmed upload of the user's department,
        nothing of it approved or replaced since, the period not submitted."""
        return uploads.upload_batch_undoable(batch=batch, user=self.context["request"].user)


class ImportBatchFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(field_name="department__code")
    period = PeriodFilter()
    status = django_filters.ChoiceFilter(choices=ImportBatch.Status.choices)
    source = django_filters.CharFilter()

    class Meta:
        model = ImportBatch
        fields = ["department", "period", "status", "source"]


def visible_batches(user):
    """Imports and uploads `user` may read: all for readers of all data; their own
    department's uploads for department staff; none for anyone else."""
    batches = ImportBatch.objects.select_related("department", "created_by", "undone_by")
    if permissions.can_read_all_data(user):
        return batches
    if permissions.is_department_staff(user):
        return batches.filter(department_id=user.department_id)
    return batches.none()


class ImportApi(ApiViewMixin, generics.ListAPIView):
    """GET: imports and uploads, newest first. POST: import rows as JSON (data-exchange
    §2), statistics office only: all or nothing, every bad row answered with its line,
    column and reason."""

    permission_classes = [UsesProduct]
    serializer_class = ImportBatchSerializer
    filterset_class = ImportBatchFilter

    def get_queryset(self):
        return visible_batches(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=ImportRequestSerializer, responses={200: dict, 201: dict})
    def post(self, request):
        if not permissions.can_run_imports(request.user):
            self.permission_denied(request, "Only the statistics office can import statistics.")
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


def may_read_batch(user, batch: ImportBatch) -> bool:
    """A department's upload: whoever reads that department; a file or JSON import
    (no department): readers of all data."""
    if batch.department_id is None:
        return permissions.can_read_all_data(user)
    return permissions.can_read_department(user, batch.department_id)


class ImportDetailApi(ApiViewMixin, generics.RetrieveAPIView):
    """One import or upload: its counts, row errors, the figures it wrote, and whether
    you may still undo it."""

    permission_classes = [UsesProduct]
    serializer_class = ImportBatchDetailSerializer
    filter_backends = []
    queryset = ImportBatch.objects.select_related("department", "created_by", "undone_by")

    def check_object_permissions(self, request, obj):
        super().check_object_permissions(request, obj)
        if not may_read_batch(request.user, obj):
            self.permission_denied(request, "You cannot read this import.")


class ImportUndoApi(ApiViewMixin, generics.GenericAPIView):
    """Undo a confirmed upload (reporting.uploads.department_upload_undo, as the upload
    page does): its versions are withdrawn and the ones they replaced are in force again.
    Only the department's own staff, while nothing of it is approved or submitted."""

    permission_classes = [UsesProduct]
    serializer_class = ImportBatchDetailSerializer
    pagination_class = None
    filter_backends = []
    queryset = ImportBatch.objects.select_related("department", "created_by", "undone_by")

    @extend_schema(request=inline_serializer("ImportUndo", fields={}))
    def post(self, request, pk: int):
        batch = get_object_or_404(self.get_queryset(), pk=pk)
        uploads.department_upload_undo(batch=batch, user=request.user)  # refuses who may not
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class FigureSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    department = serializers.CharField(source="department.code")
    value = serializers.DecimalField(max_digits=24, decimal_places=6)
    entered_by = serializers.CharField(source="entered_by.username", default=None, allow_null=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, allow_null=True
    )
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)
    supersedes = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

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


class EntrySerializer(serializers.Serializer):
    item = serializers.CharField(max_length=60)
    value = NumberField(
        allow_null=True,
        help_text='a number as data-exchange §2 writes it ("1,234.5"; no exponent, at most '
        "6 decimals); null: leave as it is",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="the version you saw (0: none yet); someone else's newer save is a 409",
    )


class FigureSaveSerializer(serializers.Serializer):
    department = serializers.CharField(
        max_length=20, required=False, help_text="department code; default: your own"
    )
    period = PeriodField()
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="",
        help_text="required when correcting an approved figure (lock exception)",
    )  # fmt: skip
    entries = EntrySerializer(many=True, min_length=1, max_length=500)


class FigureSavedSerializer(serializers.Serializer):
    saved = FigureSerializer(many=True)


def department_of(request, code: str | None) -> Department:
    """The department named by `code`, or the user's own; 400 for an unknown code."""
    if code:
        found = Department.objects.filter(code=code).first()
        if found is None:
            raise ApplicationError(
                f"没有代码为“{code}”的部门。",
                f"No department has the code '{code}'.",
                code="unknown_department",
            )
        return found
    if request.user.department_id is None:
        raise ApplicationError(
            "请指定部门代码（department）。",
            "Name the department (department code).",
            code="department_required",
        )
    return request.user.department


class FigureListApi(ApiViewMixin, generics.ListAPIView):
    """GET: figures (every version), to trace a result's `input_figure_ids`: who entered,
    who approved, which version. Department staff see their own department's figures only.

    POST: save drafts of a department-period, as the entry form does
    (reporting.workflow.department_period_save): one new version per changed value,
    refused for another department's figures (403), with every hard validation issue (400),
    or with both values when someone else saved first (409, `expected_version`)."""

    permission_classes = [UsesProduct]
    serializer_class = FigureSerializer
    filter_backends = []  # filtered in get_queryset (query parameters below)

    @extend_schema(request=FigureSaveSerializer, responses={200: FigureSavedSerializer})
    def post(self, request):
        payload = FigureSaveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        department = department_of(request, data.get("department"))
        saved = workflow.department_period_save(
            department=department,
            period=data["period"],
            entries=[
                workflow.EntryValue(
                    entry["item"],
                    entry["value"],
                    entry["note"].strip(),
                    entry.get("expected_version"),
                )
                for entry in data["entries"]
            ],
            user=request.user,
            reason=data["reason"].strip(),
        )
        figures = Figure.objects.select_related(
            "item", "department", "entered_by", "submitted_by", "decided_by"
        ).filter(pk__in=[figure.pk for figure in saved])
        return Response({"saved": FigureSerializer(figures, many=True).data})

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
            ids = [
                int(part)
                for part in (p.strip() for p in params["ids"].split(","))
                if part.isascii() and part.isdigit() and len(part) <= 18
            ]
            queryset = queryset.filter(pk__in=ids)
        for name, lookup in [
            ("item", "item__code"),
            ("period", "period"),
            ("scope", "scope"),
            ("state", "state"),
            ("department", "department__code"),
        ]:
            if params.get(name) is not None and name in params:
                value = params[name]
                if name == "period":
                    value = period_param(value) or value
                queryset = queryset.filter(**{lookup: value})
        return queryset
