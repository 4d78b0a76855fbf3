"""API of the pilot (issue 20): the annual report's workspaces and sections (read; a
section saved, submitted, approved or returned through the same services as the page),
the frozen report's exports (ask, poll, download), the case library, what the committee
published, and the public page's data — anonymous, and nothing the committee has not
published. Same rules as the pages (accounts.permissions); errors in Chinese and English
(dezhou_carbon.api)."""

from django.db.models import Max, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from dezhou_carbon.api import ApiViewMixin
from pilot import selectors, services
from pilot.models import (
    AnnualReport,
    Case,
    Publication,
    ReportExport,
    ReportSection,
    SectionVersion,
)
from reports.views import attachment

# --- who gets past the door (each service decides again on the object) -------------------


class ReadsPilot(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_read_pilot_report(request.user)


class WritesSections(BasePermission):
    """Department staff (a section's own unit is checked by the service) and administrators."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return permissions.is_department_staff(user) or permissions.can_write_pilot_section(
            user, None
        )


class ManagesPilot(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_manage_pilot_report(request.user)


class Exports(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_export(request.user)


class Publishes(BasePermission):
    def has_permission(self, request, view) -> bool:
        return permissions.can_publish(request.user)


# --- workspaces and sections ----------------------------------------------------------------


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class PilotSectionSerializer(serializers.ModelSerializer):
    title_zh = serializers.SerializerMethodField()
    title_en = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.code", read_only=True)
    version = serializers.IntegerField(source="latest_version", default=0, read_only=True)
    submitted_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = ReportSection
        fields = ["id", "key", "title_zh", "title_en", "owner", "state", "narrative", "version",
                  "submitted_by", "submitted_at", "approved_by", "approved_at",
                  "return_comment"]  # fmt: skip
        read_only_fields = fields

    def get_title_zh(self, section) -> str:
        from django.utils import translation

        with translation.override("zh-hans"):
            return str(ReportSection.Key(section.key).label)

    def get_title_en(self, section) -> str:
        return selectors.SECTION_TITLES_EN[section.key]

    def get_submitted_by(self, section) -> str | None:
        return _username(section.submitted_by)

    def get_approved_by(self, section) -> str | None:
        return _username(section.approved_by)


def _sections():
    return (
        ReportSection.objects.select_related("owner", "submitted_by", "approved_by")
        .annotate(latest_version=Max("versions__number"))
        .order_by("order")
    )


class PilotReportSummarySerializer(serializers.ModelSerializer):
    frozen_by = serializers.SerializerMethodField()
    sections_approved = serializers.IntegerField(read_only=True)
    sections_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = AnnualReport
        fields = ["year", "frozen_at", "frozen_by", "content_sha256", "submitted_on",
                  "receiving_authority", "document_no", "sections_approved",
                  "sections_total"]  # fmt: skip
        read_only_fields = fields

    def get_frozen_by(self, report) -> str | None:
        return _username(report.frozen_by)


class PilotFeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    department = serializers.CharField(source="department.code")
    warning = serializers.IntegerField(source="warning_id", allow_null=True)
    warning_state = serializers.CharField(source="warning.state", default=None, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class PilotReportDetailSerializer(PilotReportSummarySerializer):
    sections = PilotSectionSerializer(many=True, source="section_list")
    feedback = PilotFeedbackSerializer(many=True, source="feedback_list")
    workspace_built_at = serializers.DateTimeField(allow_null=True)
    document = serializers.SerializerMethodField()

    class Meta(PilotReportSummarySerializer.Meta):
        fields = [*PilotReportSummarySerializer.Meta.fields, "workspace_built_at", "sections",
                  "feedback", "document"]  # fmt: skip
        read_only_fields = fields

    def get_document(self, report) -> dict | None:
        """The frozen document, or (not frozen yet) the workspace's precomputed one."""
        return report.content if report.is_frozen else report.workspace_content


def _reports():
    from django.db.models import Count, Q

    return (
        AnnualReport.objects.select_related("frozen_by")
        .defer("content", "workspace_content")
        .annotate(
            sections_total=Count("sections"),
            sections_approved=Count(
                "sections", filter=Q(sections__state=ReportSection.State.APPROVED)
            ),
        )
        .order_by("-year")
    )


class PilotReportListApi(ApiViewMixin, generics.ListAPIView):
    """GET the annual report workspaces, newest year first: frozen or not (with the
    content's SHA-256), the submission (date, authority, 文号) and how many sections the
    committee approved."""

    permission_classes = [ReadsPilot]
    serializer_class = PilotReportSummarySerializer

    def get_queryset(self):
        return _reports()


class PilotReportDetailApi(ApiViewMixin, APIView):
    """GET a year's workspace: its sections (owner, state, narrative, latest version), the
    evaluators' feedback with its rectification items, and the document (the frozen one
    once frozen, else the precomputed workspace document and when it was built)."""

    permission_classes = [ReadsPilot]

    @extend_schema(responses={200: PilotReportDetailSerializer})
    def get(self, request, year: int):
        return Response(_report_answer(get_object_or_404(AnnualReport, year=year)))


class PilotSubmissionSerializer(serializers.Serializer):
    submitted_on = serializers.DateField()
    authority = serializers.CharField(max_length=200)
    document_no = serializers.CharField(max_length=100)


class PilotFeedbackCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    department = serializers.CharField(max_length=20, help_text="The rectifying unit's code.")


def _report_answer(report: AnnualReport) -> dict:
    report = AnnualReport.objects.select_related("frozen_by").get(pk=report.pk)
    report.section_list = list(_sections().filter(report=report))
    report.sections_total = len(report.section_list)
    report.sections_approved = sum(
        1 for s in report.section_list if s.state == ReportSection.State.APPROVED
    )
    report.feedback_list = selectors.feedback(report)
    return PilotReportDetailSerializer(report).data


class PilotSubmissionApi(ApiViewMixin, APIView):
    """POST {submitted_on, authority, document_no}: record that the frozen report was
    submitted (the committee; once, never overwritten)."""

    permission_classes = [ManagesPilot]

    @extend_schema(request=PilotSubmissionSerializer, responses={200: PilotReportDetailSerializer})
    def post(self, request, year: int):
        report = get_object_or_404(AnnualReport, year=year)
        payload = PilotSubmissionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.submission_record(
            report=report,
            submitted_on=payload.validated_data["submitted_on"],
            authority=payload.validated_data["authority"],
            document_no=payload.validated_data["document_no"],
            user=request.user,
        )
        return Response(_report_answer(report))


class PilotFeedbackApi(ApiViewMixin, APIView):
    """POST {text, department}: record one point of the evaluators' feedback; it becomes
    a rectification warning of that unit (the committee, after the submission)."""

    permission_classes = [ManagesPilot]

    @extend_schema(
        request=PilotFeedbackCreateSerializer, responses={201: PilotReportDetailSerializer}
    )
    def post(self, request, year: int):
        from tasks.models import Department

        report = get_object_or_404(AnnualReport, year=year)
        payload = PilotFeedbackCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        department = Department.objects.filter(code=payload.validated_data["department"]).first()
        services.feedback_record(
            report=report,
            text=payload.validated_data["text"],
            department=department,
            user=request.user,
        )
        return Response(_report_answer(report), status=status.HTTP_201_CREATED)


class PilotVersionSerializer(serializers.ModelSerializer):
    saved_by = serializers.CharField(source="saved_by.username", read_only=True)

    class Meta:
        model = SectionVersion
        fields = ["number", "narrative", "saved_by", "saved_at"]
        read_only_fields = fields


class SectionVersionListApi(ApiViewMixin, generics.ListAPIView):
    """GET every saved text of a section's narrative, newest first (none is overwritten)."""

    permission_classes = [ReadsPilot]
    serializer_class = PilotVersionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation
            return SectionVersion.objects.none()
        section = get_object_or_404(ReportSection, pk=self.kwargs["pk"])
        return (
            SectionVersion.objects.filter(section=section)
            .select_related("saved_by")
            .order_by("-number")
        )


class PilotSectionSaveSerializer(serializers.Serializer):
    narrative = serializers.CharField(allow_blank=True, max_length=services.MAX_NARRATIVE)
    version = serializers.IntegerField(
        min_value=0,
        required=False,
        help_text="The version the text was written on (409 if someone saved a newer one).",
    )


class PilotSectionCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, max_length=500)


def _section(pk: int) -> ReportSection:
    return get_object_or_404(ReportSection.objects.select_related("report", "owner"), pk=pk)


def _section_answer(section: ReportSection) -> Response:
    return Response(PilotSectionSerializer(_sections().get(pk=section.pk)).data)


class SectionSaveApi(ApiViewMixin, APIView):
    """POST {narrative, version}: save a draft section's narrative as a new version (its
    unit's staff). Refused once submitted, after freezing, or over a newer version."""

    permission_classes = [WritesSections]

    @extend_schema(request=PilotSectionSaveSerializer, responses={200: PilotSectionSerializer})
    def post(self, request, pk: int):
        section = _section(pk)
        payload = PilotSectionSaveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        section = services.section_save(
            section=section,
            narrative=payload.validated_data["narrative"],
            base_version=payload.validated_data.get("version"),
            user=request.user,
        )
        return _section_answer(section)


class SectionSubmitApi(ApiViewMixin, APIView):
    """POST: submit a draft section to the committee (its unit's staff)."""

    permission_classes = [WritesSections]

    @extend_schema(request=None, responses={200: PilotSectionSerializer})
    def post(self, request, pk: int):
        section = services.section_submit(section=_section(pk), user=request.user)
        return _section_answer(section)


class SectionApproveApi(ApiViewMixin, APIView):
    """POST: approve a submitted section (the committee, never its submitter)."""

    permission_classes = [ManagesPilot]

    @extend_schema(request=PilotSectionCommentSerializer, responses={200: PilotSectionSerializer})
    def post(self, request, pk: int):
        payload = PilotSectionCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        section = services.section_decide(
            section=_section(pk),
            approve=True,
            comment=payload.validated_data.get("comment", ""),
            user=request.user,
        )
        return _section_answer(section)


class SectionReturnApi(ApiViewMixin, APIView):
    """POST {comment}: return a submitted section to its unit (the committee; a comment is
    required)."""

    permission_classes = [ManagesPilot]

    @extend_schema(request=PilotSectionCommentSerializer, responses={200: PilotSectionSerializer})
    def post(self, request, pk: int):
        payload = PilotSectionCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        section = services.section_decide(
            section=_section(pk),
            approve=False,
            comment=payload.validated_data.get("comment", ""),
            user=request.user,
        )
        return _section_answer(section)


class PilotSectionReassignSerializer(serializers.Serializer):
    owner = serializers.CharField(max_length=20, help_text="The new responsible unit's code.")
    reason = serializers.CharField(max_length=1000)


class SectionReassignApi(ApiViewMixin, APIView):
    """POST {owner, reason}: move a draft section to another responsible unit (the
    committee; the reason is kept and audited)."""

    permission_classes = [ManagesPilot]

    @extend_schema(request=PilotSectionReassignSerializer, responses={200: PilotSectionSerializer})
    def post(self, request, pk: int):
        from tasks.models import Department

        section = _section(pk)
        payload = PilotSectionReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        owner = Department.objects.filter(code=payload.validated_data["owner"]).first()
        section = services.section_reassign(
            section=section, owner=owner, reason=payload.validated_data["reason"], user=request.user
        )
        return _section_answer(section)


# --- the frozen report's exports -----------------------------------------------------------


class PilotExportSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="report.year", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    content_sha256 = serializers.CharField(source="report.content_sha256", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportExport
        fields = ["id", "year", "format", "language", "status", "requested_by", "requested_at",
                  "finished_at", "content_sha256", "sha256", "size", "filename", "error",
                  "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, export) -> str | None:
        if export.status != ReportExport.Status.DONE:
            return None
        return f"/api/v1/pilot/exports/{export.pk}/download/"


class PilotExportCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2020, max_value=2035)
    format = serializers.ChoiceField(choices=ReportExport.Format.choices)
    language = serializers.ChoiceField(
        choices=ReportExport.Language.choices, default=ReportExport.Language.CHINESE
    )


def _exports():
    return (
        ReportExport.objects.select_related("report", "requested_by")
        .defer("content", "report__content", "report__workspace_content")
        .order_by("-pk")
    )


class PilotExportListApi(ApiViewMixin, generics.ListAPIView):
    """GET the frozen reports' exports, newest first; POST {year, format, language} to ask
    for one (.docx, PDF or the xlsx annex; 202: a job renders it from the frozen document,
    byte-stable; poll the returned export)."""

    permission_classes = [Exports]
    serializer_class = PilotExportSerializer

    def get_queryset(self):
        return _exports()

    @extend_schema(request=PilotExportCreateSerializer, responses={202: PilotExportSerializer})
    def post(self, request):
        payload = PilotExportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = get_object_or_404(AnnualReport, year=payload.validated_data["year"])
        export = services.export_request(
            report=report,
            fmt=payload.validated_data["format"],
            language=payload.validated_data["language"],
            user=request.user,
        )
        return Response(
            PilotExportSerializer(_exports().get(pk=export.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )


class PilotExportDetailApi(ApiViewMixin, APIView):
    """GET an export's status (poll until done or failed) and its SHA-256."""

    permission_classes = [Exports]

    @extend_schema(responses={200: PilotExportSerializer})
    def get(self, request, export_id: int):
        return Response(PilotExportSerializer(get_object_or_404(_exports(), pk=export_id)).data)


class PilotExportDownloadApi(ApiViewMixin, APIView):
    """GET the finished file (409 while it is being generated). Each download is audited."""

    permission_classes = [Exports]

    @extend_schema(
        responses={
            (200, ReportExport(format=fmt).content_type): OpenApiTypes.BINARY
            for fmt in ReportExport.Format.values
        }
    )
    def get(self, request, export_id: int):
        export = get_object_or_404(ReportExport.objects.select_related("report"), pk=export_id)
        export = services.export_download(export=export, user=request.user)
        return attachment(
            bytes(export.content), filename=export.filename, content_type=export.content_type
        )


# --- the case library ------------------------------------------------------------------------


class PilotCaseSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    tasks = serializers.SerializerMethodField()
    projects = serializers.SerializerMethodField()
    enterprises = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "year", "title_zh", "title_en", "summary_zh", "summary_en",
                  "department", "status", "document_no", "tasks", "projects", "enterprises",
                  "evidence", "published", "created_at", "decided_at"]  # fmt: skip
        read_only_fields = fields

    def get_tasks(self, case) -> list[str]:
        return sorted(t.code for t in case.tasks.all())

    def get_projects(self, case) -> list[str]:
        return sorted(p.code for p in case.projects.all())

    def get_enterprises(self, case) -> list[str]:
        return sorted(e.code for e in case.enterprises.all())

    def get_evidence(self, case) -> list[dict]:
        return [
            {"name": e.name, "kind": e.kind, "size": e.size, "sha256": e.sha256}
            for e in case.evidence.all()
        ]

    def get_published(self, case) -> bool:
        return case.pk in self.context.get("published", ())


def _cases():
    from pilot.models import CaseEvidence

    return (
        Case.objects.select_related("department")
        .prefetch_related(
            "tasks",
            "projects",
            "enterprises",
            Prefetch("evidence", queryset=CaseEvidence.objects.order_by("pk")),
        )
        .order_by("-year", "pk")
    )


def _published_cases() -> set[int]:
    return set(
        Publication.objects.filter(kind=Publication.Kind.CASE).values_list("object_id", flat=True)
    )


class CaseListApi(ApiViewMixin, generics.ListAPIView):
    """GET the case library (典型经验做法), newest year first: each case's links to tasks,
    projects and enterprises, evidence (name, SHA-256), status (candidate → submitted →
    selected by the province or nation, with 文号) and whether it is published.
    Filters: `year`, `status`."""

    permission_classes = [ReadsPilot]
    serializer_class = PilotCaseSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, required=False),
            OpenApiParameter("status", str, required=False, enum=Case.Status.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        cases = _cases()
        year = self.request.query_params.get("year", "")
        if year.isdigit():
            cases = cases.filter(year=int(year))
        wanted = self.request.query_params.get("status", "")
        if wanted in Case.Status.values:
            cases = cases.filter(status=wanted)
        return cases

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "published": _published_cases()}


class CaseDetailApi(ApiViewMixin, APIView):
    """GET one case of the library."""

    permission_classes = [ReadsPilot]

    @extend_schema(responses={200: PilotCaseSerializer})
    def get(self, request, pk: int):
        case = get_object_or_404(_cases(), pk=pk)
        return Response(PilotCaseSerializer(case, context={"published": _published_cases()}).data)


# --- publications and the public data ----------------------------------------------------


class PilotPublicationSerializer(serializers.ModelSerializer):
    published_by = serializers.CharField(source="published_by.username", read_only=True)

    class Meta:
        model = Publication
        fields = ["kind", "object_id", "published_by", "published_at"]
        read_only_fields = fields


class PublicationListApi(ApiViewMixin, generics.ListAPIView):
    """GET what the committee published on the public page (宣传推广): the committee."""

    permission_classes = [Publishes]
    serializer_class = PilotPublicationSerializer

    def get_queryset(self):
        return Publication.objects.select_related("published_by").order_by("kind", "object_id")


_PUBLIC = {
    "targets": serializers.ListField(child=serializers.DictField()),
    "milestones": serializers.ListField(child=serializers.DictField()),
    "cases": serializers.ListField(child=serializers.DictField()),
    "snapshot_period": serializers.CharField(allow_null=True),
}


class PublicApi(ApiViewMixin, APIView):
    """GET the public page's data, anonymously: only the targets, verified milestones and
    cases the committee published; `q` searches within them and never reaches anything
    else. The same for everyone, signed in or not."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False)],
        responses={200: inline_serializer("PilotPublic", _PUBLIC)},
    )
    def get(self, request):
        from dezhou_carbon.i18n import is_english

        content = selectors.public_content(request.query_params.get("q", ""))
        rows = selectors.public_rows(content, is_english())
        return Response({**rows, "snapshot_period": content["snapshot_period"]})


api_urlpatterns = [
    path("pilot/reports/", PilotReportListApi.as_view(), name="pilot-report-list"),
    path("pilot/reports/<int:year>/", PilotReportDetailApi.as_view(), name="pilot-report-detail"),
    path(
        "pilot/reports/<int:year>/submission/",
        PilotSubmissionApi.as_view(),
        name="pilot-report-submission",
    ),
    path(
        "pilot/reports/<int:year>/feedback/",
        PilotFeedbackApi.as_view(),
        name="pilot-report-feedback",
    ),
    path(
        "pilot/sections/<int:pk>/versions/",
        SectionVersionListApi.as_view(),
        name="pilot-section-versions",
    ),
    path("pilot/sections/<int:pk>/save/", SectionSaveApi.as_view(), name="pilot-section-save"),
    path(
        "pilot/sections/<int:pk>/submit/", SectionSubmitApi.as_view(), name="pilot-section-submit"
    ),
    path(
        "pilot/sections/<int:pk>/approve/",
        SectionApproveApi.as_view(),
        name="pilot-section-approve",
    ),
    path(
        "pilot/sections/<int:pk>/return/", SectionReturnApi.as_view(), name="pilot-section-return"
    ),
    path(
        "pilot/sections/<int:pk>/reassign/",
        SectionReassignApi.as_view(),
        name="pilot-section-reassign",
    ),
    path("pilot/exports/", PilotExportListApi.as_view(), name="pilot-export-list"),
    path(
        "pilot/exports/<int:export_id>/",
        PilotExportDetailApi.as_view(),
        name="pilot-export-detail",
    ),
    path(
        "pilot/exports/<int:export_id>/download/",
        PilotExportDownloadApi.as_view(),
        name="pilot-export-download",
    ),
    path("pilot/cases/", CaseListApi.as_view(), name="pilot-case-list"),
    path("pilot/cases/<int:pk>/", CaseDetailApi.as_view(), name="pilot-case-detail"),
    path("pilot/publications/", PublicationListApi.as_view(), name="pilot-publication-list"),
    path("pilot/public/", PublicApi.as_view(), name="pilot-public"),
]
