"""API of the supervision work on enterprises (management.md §6): an enterprise's plan
measures and their progress, its visits and findings (each with its warning), its
certificates; the certificate counters with their targets; the efficiency benchmarks.
Reads for whoever may read the enterprise; writes for its supervising department."""

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError
from enterprises import work_selectors, work_services
from enterprises.api import enterprise_for
from enterprises.models import (
    Benchmark,
    CertificateKind,
    CertificateLevel,
    CertificateStage,
    EnterpriseCertificate,
    Finding,
    Measure,
    MeasureProgress,
    Visit,
)


class MeasureProgressSerializer(serializers.ModelSerializer):
    reported_by = serializers.CharField(source="reported_by.username")

    class Meta:
        model = MeasureProgress
        fields = ["id", "period", "state", "note", "file_name", "file_sha256", "reported_by",
                  "reported_at"]  # fmt: skip


class MeasureSerializer(serializers.ModelSerializer):
    progress = MeasureProgressSerializer(many=True, read_only=True)

    class Meta:
        model = Measure
        fields = ["id", "title", "description", "owner", "start_quarter", "due_quarter",
                  "savings_tce", "savings_tco2", "investment", "state", "progress"]  # fmt: skip


class MeasureWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    owner = serializers.CharField(max_length=100)
    start_quarter = serializers.CharField(max_length=20, help_text="2026Q1")
    due_quarter = serializers.CharField(max_length=20, help_text="2026Q4")
    savings_tce = serializers.CharField(max_length=40, help_text="tce per year, a decimal")
    savings_tco2 = serializers.CharField(max_length=40, help_text="tCO₂ per year, a decimal")
    investment = serializers.CharField(max_length=40, help_text="10k yuan (万元), a decimal")


class ProgressWriteSerializer(serializers.Serializer):
    measure = serializers.IntegerField(min_value=1)
    period = serializers.CharField(max_length=20, help_text="2026Q3")
    state = serializers.ChoiceField(choices=Measure.State.choices)
    note = serializers.CharField(max_length=5000)


class FindingSerializer(serializers.ModelSerializer):
    warning_state = serializers.CharField(source="warning.state", allow_null=True, default=None)

    class Meta:
        model = Finding
        fields = ["id", "description", "requirement", "due_date", "warning", "warning_state"]


class VisitSerializer(serializers.ModelSerializer):
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "visit_date", "inspectors", "summary", "findings"]


class FindingWriteSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=5000)
    requirement = serializers.CharField(max_length=5000)
    due_date = serializers.DateField()


class VisitWriteSerializer(serializers.Serializer):
    visit_date = serializers.DateField()
    inspectors = serializers.CharField(max_length=300)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    findings = FindingWriteSerializer(many=True, required=False)


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseCertificate
        fields = ["id", "kind", "level", "stage", "year", "issuer", "number", "file_name",
                  "file_sha256"]  # fmt: skip


class CertificateWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    level = serializers.ChoiceField(choices=CertificateLevel.choices, required=False, default="")
    stage = serializers.ChoiceField(choices=CertificateStage.choices, required=False, default="")
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=200)
    number = serializers.CharField(required=False, allow_blank=True, max_length=100)


class MeasureNotFound(ApplicationError):
    status_code = 404

    def __init__(self):
        super().__init__(
            "该企业没有这项措施。", "The enterprise has no such measure.", code="not_found"
        )


class _EnterpriseWork(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    filter_backends = []
    pagination_class = None

    def supervised(self, request, credit_code: str):
        """The enterprise (404 unless readable), and 403 unless its supervising
        department (or an administrator) writes."""
        enterprise = enterprise_for(request, credit_code)
        if not permissions.can_manage_enterprise_work(
            request.user, enterprise.supervising_department_id
        ):
            self.permission_denied(
                request, "Only the enterprise's supervising department keeps this."
            )
        return enterprise


class MeasureListApi(_EnterpriseWork):
    """GET: the enterprise's plan (一企一策) with each measure's progress. POST: add a
    measure (its supervising department); numbers are decimals as strings."""

    serializer_class = MeasureSerializer

    @extend_schema(responses={200: MeasureSerializer(many=True)})
    def get(self, request, credit_code: str):
        measures = work_selectors.plan(enterprise_for(request, credit_code))["measures"]
        return Response(MeasureSerializer(measures, many=True).data)

    @extend_schema(request=MeasureWriteSerializer, responses={201: MeasureSerializer})
    def post(self, request, credit_code: str):
        enterprise = self.supervised(request, credit_code)
        payload = MeasureWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        measure = work_services.measure_create(
            user=request.user, enterprise=enterprise, data=payload.validated_data
        )
        return Response(MeasureSerializer(measure).data, status=status.HTTP_201_CREATED)


class MeasureProgressApi(_EnterpriseWork):
    """POST: a quarter's status of one of the enterprise's measures, with a note (evidence
    files are attached on the plan page)."""

    serializer_class = MeasureProgressSerializer

    @extend_schema(request=ProgressWriteSerializer, responses={201: MeasureProgressSerializer})
    def post(self, request, credit_code: str):
        enterprise = self.supervised(request, credit_code)
        payload = ProgressWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        measure = enterprise.measures.filter(pk=data["measure"]).first()
        if measure is None:
            from enterprises.services import foreign_measure_attempt_record

            foreign_measure_attempt_record(
                user=request.user, measure_id=data["measure"], enterprise=enterprise,
                where=f"{request.method} {request.path}",
            )  # fmt: skip
            raise MeasureNotFound()
        progress = work_services.measure_progress_report(
            user=request.user, measure=measure, period=data["period"], state=data["state"],
            note=data["note"],
        )  # fmt: skip
        return Response(MeasureProgressSerializer(progress).data, status=status.HTTP_201_CREATED)


class VisitListApi(_EnterpriseWork):
    """GET: the enterprise's on-site visits with their findings and each finding's warning
    (its rectification in the warning loop). POST: record a visit (its supervising
    department); each finding becomes a warning."""

    serializer_class = VisitSerializer

    @extend_schema(responses={200: VisitSerializer(many=True)})
    def get(self, request, credit_code: str):
        visits = work_selectors.visits(enterprise_for(request, credit_code))
        return Response(VisitSerializer(visits, many=True).data)

    @extend_schema(request=VisitWriteSerializer, responses={201: VisitSerializer})
    def post(self, request, credit_code: str):
        enterprise = self.supervised(request, credit_code)
        payload = VisitWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        visit = work_services.visit_record(
            user=request.user, enterprise=enterprise, visit_date=data["visit_date"],
            inspectors=data["inspectors"], summary=data.get("summary", ""),
            findings=data.get("findings", []),
        )  # fmt: skip
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class CertificateListApi(_EnterpriseWork):
    """GET: the enterprise's certificates and audits. POST: record one (its supervising
    department): a green factory needs its level, a clean-production audit its stage."""

    serializer_class = CertificateSerializer

    @extend_schema(responses={200: CertificateSerializer(many=True)})
    def get(self, request, credit_code: str):
        certificates = work_selectors.certificates(enterprise_for(request, credit_code))
        return Response(CertificateSerializer(certificates, many=True).data)

    @extend_schema(request=CertificateWriteSerializer, responses={201: CertificateSerializer})
    def post(self, request, credit_code: str):
        enterprise = self.supervised(request, credit_code)
        payload = CertificateWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        certificate = work_services.certificate_record(
            user=request.user, enterprise=enterprise, data=payload.validated_data
        )
        return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)


class CounterSerializer(serializers.Serializer):
    counter = serializers.CharField()
    year = serializers.IntegerField()
    count = serializers.IntegerField()
    target = serializers.IntegerField(allow_null=True)
    target_version = serializers.IntegerField(allow_null=True)
    document_no = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_null=True, help_text="achieved, in_progress, missed")


class CounterListApi(ApiViewMixin, generics.GenericAPIView):
    """Certificates and audits counted per year and kind (distinct enterprises), with the
    committee's current target and its status where one is set."""

    permission_classes = [UsesProduct]
    serializer_class = CounterSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(responses={200: CounterSerializer(many=True)})
    def get(self, request):
        counters = work_selectors.certificate_counters(timezone.localdate())
        targets = {(r["target"].counter, r["target"].year): r for r in counters["targets"]}
        keys = sorted(set(counters["counts"]) | set(targets), key=lambda k: (-k[1], k[0]))
        rows = []
        for key in keys:
            target = targets.get(key)
            rows.append(
                {
                    "counter": key[0],
                    "year": key[1],
                    "count": counters["counts"].get(key, 0),
                    "target": target["target"].value if target else None,
                    "target_version": target["target"].version if target else None,
                    "document_no": target["target"].document_no if target else "",
                    "status": target["status"] if target else None,
                }
            )
        return Response(CounterSerializer(rows, many=True).data)


class BenchmarkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benchmark
        fields = ["id", "industry", "product", "metric", "unit", "advanced", "baseline", "year",
                  "source"]  # fmt: skip


class BenchmarkListApi(ApiViewMixin, generics.GenericAPIView):
    """The efficiency benchmarks (标杆 advanced, 基准 baseline) with their sources."""

    permission_classes = [UsesProduct]
    serializer_class = BenchmarkSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(responses={200: BenchmarkSerializer(many=True)})
    def get(self, request):
        return Response(BenchmarkSerializer(work_selectors.benchmarks(), many=True).data)


_CODE = "<str:credit_code>"
api_urlpatterns = [
    path(f"enterprises/{_CODE}/measures/", MeasureListApi.as_view(), name="enterprise-measures"),
    path(
        f"enterprises/{_CODE}/measure-progress/",
        MeasureProgressApi.as_view(),
        name="enterprise-measure-progress",
    ),
    path(f"enterprises/{_CODE}/visits/", VisitListApi.as_view(), name="enterprise-visits"),
    path(
        f"enterprises/{_CODE}/certificates/",
        CertificateListApi.as_view(),
        name="enterprise-certificates",
    ),
    path("certificate-counts/", CounterListApi.as_view(), name="certificate-counts"),
    path("benchmarks/", BenchmarkListApi.as_view(), name="benchmarks"),
]
