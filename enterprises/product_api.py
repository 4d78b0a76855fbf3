"""API of product output (issue 17 #3): an enterprise's outputs with their unit energy
consumption against the product benchmarks (read as the enterprise), one output entered
(its supervising department, the statistics office, its energy manager), and an import of
rows as JSON (all or nothing, every row's line/column/reason; `dry_run` checks only)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts.permissions import UsesProduct, UsesProductOrEnterprise
from dezhou_carbon.api import ApiViewMixin
from enterprises import product_output, products
from enterprises.api import _decimal_text, enterprise_for


class ProductComparisonSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    product = serializers.CharField()
    quantity = serializers.CharField(help_text="a decimal string")
    unit = serializers.CharField()
    energy_tce = serializers.CharField(
        allow_null=True, help_text="the product's energy (tce); the enterprise's E当量 when it is "
        "its only product and none is given"
    )  # fmt: skip
    unit_consumption = serializers.CharField(allow_null=True, help_text="in benchmark_unit")
    benchmark_unit = serializers.CharField(allow_null=True)
    advanced = serializers.CharField(allow_null=True, help_text="标杆水平")
    baseline = serializers.CharField(allow_null=True, help_text="基准水平")
    benchmark_year = serializers.IntegerField(allow_null=True)
    benchmark_source = serializers.CharField(allow_null=True)
    position = serializers.CharField(
        allow_null=True, help_text="advanced, baseline or below_baseline; null: not compared"
    )
    not_compared = serializers.CharField(
        allow_blank=True, help_text=f"why not: {', '.join(products.NOT_COMPARED)}"
    )


def comparison_body(row: dict) -> dict:
    output, benchmark = row["output"], row["benchmark"]
    return {
        "year": output.year,
        "product": output.product,
        "quantity": _decimal_text(output.quantity),
        "unit": output.unit,
        "energy_tce": _decimal_text(row["energy_tce"]),
        "unit_consumption": _decimal_text(row["value"]),
        "benchmark_unit": benchmark.unit if benchmark else None,
        "advanced": _decimal_text(benchmark.advanced) if benchmark else None,
        "baseline": _decimal_text(benchmark.baseline) if benchmark else None,
        "benchmark_year": benchmark.year if benchmark else None,
        "benchmark_source": benchmark.source if benchmark else None,
        "position": row["position"],
        "not_compared": row["reason"],
    }


class ProductOutputWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    product = serializers.CharField(max_length=100)
    quantity = serializers.CharField(max_length=40, help_text="a decimal above 0")
    unit = serializers.CharField(max_length=20, help_text="t, 万只, MWh …")
    energy_tce = serializers.CharField(
        max_length=40, required=False, allow_blank=True, allow_null=True,
        help_text="the product's energy use (tce, 当量值); empty: the enterprise's, if it is "
        "its only product that year",
    )  # fmt: skip


class EnterpriseProductsApi(ApiViewMixin, generics.GenericAPIView):
    """GET: the enterprise's product outputs (newest year first), each with its unit energy
    consumption and where it stands against the product's 标杆/基准. POST: enter or correct
    one output (its supervising department, the statistics office, its energy manager)."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = ProductComparisonSerializer
    filter_backends = []
    pagination_class = None

    def get(self, request, credit_code: str):
        enterprise = enterprise_for(request, credit_code)
        rows = product_output.product_comparisons(enterprise)
        return Response(self.get_serializer([comparison_body(r) for r in rows], many=True).data)

    @extend_schema(
        request=ProductOutputWriteSerializer, responses={201: ProductComparisonSerializer}
    )
    def post(self, request, credit_code: str):
        enterprise = enterprise_for(request, credit_code)
        if not product_output.can_record_output(request.user, enterprise):
            raise product_output._refused()
        payload = ProductOutputWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        output = product_output.product_output_record(
            user=request.user, enterprise=enterprise, data=payload.validated_data
        )
        rows = [r for r in product_output.product_comparisons(enterprise) if r["output"] == output]
        return Response(comparison_body(rows[0]), status=status.HTTP_201_CREATED)


class ProductImportRowSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    year = serializers.CharField(max_length=10)
    product = serializers.CharField(max_length=200)
    quantity = serializers.CharField(max_length=40)
    unit = serializers.CharField(max_length=40)
    energy_tce = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class ProductImportSerializer(serializers.Serializer):
    rows = ProductImportRowSerializer(many=True, min_length=1, max_length=products.MAX_ROWS)
    dry_run = serializers.BooleanField(required=False, default=False)


class ProductImportedSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.ListField(child=serializers.DictField())


class ProductOutputImportApi(ApiViewMixin, generics.GenericAPIView):
    """Import product outputs, all or nothing (the statistics office; a department for the
    enterprises it supervises): every error with its line (the first row is line 2, as in
    the file), column and reason, and nothing written."""

    permission_classes = [UsesProduct]
    serializer_class = ProductImportedSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(request=ProductImportSerializer, responses={200: ProductImportedSerializer})
    def post(self, request):
        if not product_output.can_import_output(request.user):
            self.permission_denied(request, "Only the statistics office or a department imports.")
        payload = ProductImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        names = list(products.COLUMNS)
        table = [names] + [
            [str(row.get(name) or "") for name in names] for row in payload.validated_data["rows"]
        ]
        dry_run = payload.validated_data["dry_run"]
        written = product_output.product_output_import(
            user=request.user, table=table, dry_run=dry_run
        )
        return Response({"dry_run": dry_run, "rows": written})


api_urlpatterns = [
    path(
        "enterprises/<str:credit_code>/products/",
        EnterpriseProductsApi.as_view(),
        name="enterprise-products",
    ),
    path("product-outputs/", ProductOutputImportApi.as_view(), name="product-output-import"),
]
