"""API of the reports app: ask for a round's target-attainment report, poll its
progress, download it. Same rules and services as the pages."""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.input_fields import PeriodField
from reporting.models import ReportingRound
from reports import selectors, services
from reports.models import ReportRequest
from reports.views import attachment


class Exports(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_export(request.user)


class ReportRequestSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="reporting_round.period", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    snapshot_taken_at = serializers.DateTimeField(source="snapshot.taken_at", default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRequest
        fields = [
            "id",
            "period",
            "format",
            "language",
            "status",
            "percent",
            "requested_by",
            "requested_at",
            "finished_at",
            "snapshot_taken_at",
            "sha256",
            "size",
            "filename",
            "error",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, report) -> str | None:
        if report.status != ReportRequest.Status.DONE:
            return None
        return f"/api/v1/reports/{report.pk}/download/"


class ReportCreateSerializer(serializers.Serializer):
    period = PeriodField()
    format = serializers.ChoiceField(choices=ReportRequest.Format.values)
    language = serializers.ChoiceField(
        choices=ReportRequest.Language.values, default=ReportRequest.Language.CHINESE
    )


class ReportListApi(ApiViewMixin, generics.ListAPIView):
    """GET the report requests, newest first (paginated); POST {period, format, language}
    to ask for one (202: a job generates it; poll the returned request)."""

    permission_classes = [Exports]
    serializer_class = ReportRequestSerializer

    def get_queryset(self):
        return selectors.report_requests_newest_first()

    @extend_schema(request=ReportCreateSerializer, responses={202: ReportRequestSerializer})
    def post(self, request):
        payload = ReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reporting_round = get_object_or_404(ReportingRound, period=payload.validated_data["period"])
        report = services.report_request(
            reporting_round=reporting_round,
            fmt=payload.validated_data["format"],
            language=payload.validated_data["language"],
            user=request.user,
        )
        report = selectors.report_request(report.pk)
        return Response(ReportRequestSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(ApiViewMixin, APIView):
    """GET a request's status and percent (poll until status is done or failed)."""

    permission_classes = [Exports]

    @extend_schema(responses={200: ReportRequestSerializer})
    def get(self, request, export_id: int):
        return Response(ReportRequestSerializer(selectors.report_request(export_id)).data)


class ReportDownloadApi(ApiViewMixin, APIView):
    """GET the finished file (409 while it is being generated). Each download is audited."""

    permission_classes = [Exports]

    @extend_schema(
        responses={
            (200, content_type.split(";")[0]): OpenApiTypes.BINARY
            for content_type in (
                ReportRequest(format=fmt).content_type for fmt in ReportRequest.Format.values
            )
        }
    )
    def get(self, request, export_id: int):
        report = get_object_or_404(
            ReportRequest.objects.select_related("reporting_round"), pk=export_id
        )
        report = services.report_download(report=report, user=request.user)
        return attachment(
            bytes(report.content), filename=report.filename, content_type=report.content_type
        )


api_urlpatterns = [
    path("reports/", ReportListApi.as_view(), name="report-list"),
    path("reports/<int:export_id>/", ReportDetailApi.as_view(), name="report-detail"),
    path(
        "reports/<int:export_id>/download/",
        ReportDownloadApi.as_view(),
        name="report-download",
    ),
]
