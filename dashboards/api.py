"""API of the committee's side: early warnings (list with the page's filters, one warning
with its history) and their response loop — acknowledge, resolve, close — and the lead
departments' progress reports on their tasks.

Who sees and who acts is decided exactly as on the warning pages (the same reads of
`dashboards.warning_selectors`, over the rules of `accounts.permissions`), and every write
is one call of `dashboards.services`."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from audit.models import AuditEvent
from dashboards import services, warning_selectors
from dashboards.models import EarlyWarning, ProgressReport
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.input_fields import PeriodField, PeriodFilter
from tasks.models import Department, Task

State = EarlyWarning.State
Level = EarlyWarning.Level


# --- warnings -----------------------------------------------------------------------------


class WarningSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    target = serializers.CharField(source="target.code", default=None, allow_null=True)
    overdue = serializers.SerializerMethodField()
    escalated = serializers.SerializerMethodField()

    class Meta:
        model = EarlyWarning
        fields = [
            "id",
            "kind",
            "level",
            "state",
            "department",
            "target",
            "period",
            "title_zh",
            "title_en",
            "message_zh",
            "message_en",
            "due_date",
            "overdue",
            "escalated",
            "escalated_at",
            "created_at",
            "updated_at",
        ]

    def get_overdue(self, warning) -> bool:
        return warning.is_overdue(self.context["now"])

    def get_escalated(self, warning) -> bool:
        return warning.escalated_at is not None


class WarningEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    old_value = serializers.JSONField()
    new_value = serializers.JSONField()
    reason = serializers.CharField()
    details = serializers.JSONField()


class WarningFileSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    sha256 = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class WarningDetailSerializer(WarningSerializer):
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username", default=None, allow_null=True
    )
    closed_by = serializers.CharField(source="closed_by.username", default=None, allow_null=True)
    signed_off_by = serializers.CharField(
        source="signed_off_by.username", default=None, allow_null=True
    )
    files = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(WarningSerializer.Meta):
        fields = [
            *WarningSerializer.Meta.fields,
            "response",
            "rectification_plan",
            "acknowledged_by",
            "acknowledged_at",
            "signed_off_by",
            "signed_off_at",
            "signoff_comment",
            "files",
            "evidence",
            "resolved_by",
            "resolved_at",
            "closing_comment",
            "closed_by",
            "closed_at",
            "next_action",
            "history",
        ]

    def get_next_action(self, warning) -> str | None:
        """The action you may take now (acknowledge, sign_off, resolve or close), as the
        page's form."""
        return warning_selectors.next_action(self.context["request"].user, warning) or None

    @extend_schema_field(WarningFileSerializer(many=True))
    def get_files(self, warning) -> list[dict]:
        return WarningFileSerializer(warning.files.all(), many=True).data

    @extend_schema_field(WarningEventSerializer(many=True))
    def get_history(self, warning) -> list[dict]:
        events = AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
        return WarningEventSerializer(events.order_by("at", "id"), many=True).data


def _warning_parameters():
    return [
        OpenApiParameter(
            "state",
            str,
            enum=[warning_selectors.LIVE, warning_selectors.ALL, *State.values],
            description="default live: every warning not yet closed",
        ),
        OpenApiParameter("level", str, enum=Level.values),
        OpenApiParameter(
            "department",
            str,
            description=f"department code; '{warning_selectors.NO_DEPARTMENT}': data anomalies",
        ),
        OpenApiParameter("flag", str, enum=["overdue", "escalated"]),
        OpenApiParameter("kind", str, enum=EarlyWarning.Kind.values),
    ]


class WarningListApi(ApiViewMixin, generics.ListAPIView):
    """Warnings you may see (readers of all data: all; department staff: their own
    department's), live first, red before yellow, newest first; the page's filters."""

    permission_classes = [UsesProduct]
    serializer_class = WarningSerializer
    filter_backends = []  # the page's filters (warning_selectors.Filters), below

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(parameters=_warning_parameters())
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        departments = list(Department.objects.order_by("order", "code"))
        filters = warning_selectors.Filters.from_query(
            self.request.query_params, departments=departments
        )
        warnings = warning_selectors.warning_list(user, filters, timezone.now())
        kind = self.request.query_params.get("kind", "")
        if kind in EarlyWarning.Kind.values:
            warnings = warnings.filter(kind=kind)
        return warnings


class _WarningApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    serializer_class = WarningDetailSerializer
    pagination_class = None
    filter_backends = []

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def warning(self, request, pk: int, action: str | None = None) -> EarlyWarning:
        """The warning, once the user may see it (and, for `action`, may take it at all)."""
        warning = get_object_or_404(
            EarlyWarning.objects.select_related(
                "department",
                "target",
                "acknowledged_by",
                "resolved_by",
                "closed_by",
                "signed_off_by",
            ),
            pk=pk,
        )
        if not warning_selectors.may_see(request.user, warning):
            self.permission_denied(request, "You cannot see this warning.")
        if action and not warning_selectors.may_take(request.user, warning, action):
            self.permission_denied(request, f"You cannot {action} this warning.")
        return warning

    def answer(self, pk: int):
        warning = self.warning(self.request, pk)
        return Response(self.get_serializer(warning).data)


class WarningDetailApi(_WarningApi):
    """One warning with its response, plan, evidence, the action you may take now and
    its history (every audit event)."""

    def get(self, request, pk: int):
        return self.answer(pk)


class AcknowledgeSerializer(serializers.Serializer):
    response = serializers.CharField(max_length=4000, allow_blank=True)
    rectification_plan = serializers.CharField(max_length=4000, allow_blank=True)
    due_date = serializers.DateField()


class WarningAcknowledgeApi(_WarningApi):
    """The owning department (the statistics office for a data anomaly) responds: the
    situation, a rectification plan and a due date (dashboards.services.warning_acknowledge)."""

    @extend_schema(request=AcknowledgeSerializer)
    def post(self, request, pk: int):
        warning = self.warning(request, pk, "acknowledge")
        payload = AcknowledgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.warning_acknowledge(
            warning=warning,
            user=request.user,
            response=payload.validated_data["response"],
            plan=payload.validated_data["rectification_plan"],
            due_date=payload.validated_data["due_date"],
        )
        return self.answer(pk)


class SignOffSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["sign_off", "return"])
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class WarningSignOffApi(_WarningApi):
    """The owning department's head signs the submitted response off (it then reaches the
    committee) or returns it with a reason; not the person who wrote it (four eyes)."""

    @extend_schema(request=SignOffSerializer)
    def post(self, request, pk: int):
        warning = self.warning(request, pk, "sign_off")
        payload = SignOffSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = payload.validated_data["comment"].strip()
        if payload.validated_data["decision"] == "return":
            services.warning_response_return(warning=warning, user=request.user, comment=comment)
        else:
            services.warning_sign_off(warning=warning, user=request.user, comment=comment)
        return self.answer(pk)


class ResolveSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=4000, allow_blank=True)


class WarningResolveApi(_WarningApi):
    """The owning department reports the rectification done, with its evidence."""

    @extend_schema(request=ResolveSerializer)
    def post(self, request, pk: int):
        warning = self.warning(request, pk, "resolve")
        payload = ResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.warning_resolve(
            warning=warning, user=request.user, evidence=payload.validated_data["evidence"]
        )
        return self.answer(pk)


class CloseSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class WarningCloseApi(_WarningApi):
    """The committee closes (销号) a resolved warning, with a comment."""

    @extend_schema(request=CloseSerializer)
    def post(self, request, pk: int):
        warning = self.warning(request, pk, "close")
        payload = CloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.warning_close(
            warning=warning, user=request.user, comment=payload.validated_data["comment"].strip()
        )
        return self.answer(pk)


# --- progress reports ---------------------------------------------------------------------


class ProgressReportSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code")
    department = serializers.CharField(source="department.code")
    submitted_by = serializers.CharField(source="submitted_by.username")
    attachment_name = serializers.CharField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "task",
            "department",
            "period",
            "text",
            "attachment_name",
            "attachment_kind",
            "attachment_sha256",
            "submitted_by",
            "submitted_at",
        ]


class ProgressReportCreateSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=10, help_text="task code")
    period = PeriodField(quarter_only=True)
    text = serializers.CharField(max_length=20000)
    attachment = serializers.FileField(
        required=False,
        help_text=(
            "optional evidence file, at most 10 MB (multipart/form-data): a document, "
            "image, spreadsheet or archive, checked by content; programs and macro-enabled "
            "files are refused"
        ),
    )


class ProgressReportFilter(django_filters.FilterSet):
    period = PeriodFilter()  # what people type (２０２６Q3) is read as its code
    task__code = django_filters.CharFilter()
    department__code = django_filters.CharFilter()

    class Meta:
        model = ProgressReport
        fields = ["period", "task__code", "department__code"]


class ProgressReportListApi(ApiViewMixin, generics.ListAPIView):
    """GET: the lead departments' quarterly progress reports. POST: the lead department's
    staff report on their task (dashboards.services.progress_report_submit), with an optional
    attachment when sent as multipart/form-data."""

    permission_classes = [UsesProduct]
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilter

    def get_queryset(self):
        return ProgressReport.objects.select_related("task", "department", "submitted_by").order_by(
            "-submitted_at", "-pk"
        )

    @extend_schema(
        request=ProgressReportCreateSerializer, responses={201: ProgressReportSerializer}
    )
    def post(self, request):
        payload = ProgressReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = Task.objects.filter(code=payload.validated_data["task"]).order_by("plan").first()
        if task is None:
            raise ApplicationError(
                f"没有编号为“{payload.validated_data['task']}”的任务。",
                f"No task has the code '{payload.validated_data['task']}'.",
                code="unknown_task",
            )
        lead = task.lead
        if lead is None or not permissions.can_enter_figures(request.user, lead.department_id):
            self.permission_denied(request, "Only the lead department can report progress.")
        report = services.progress_report_submit(
            task=task,
            period=payload.validated_data["period"],
            text=payload.validated_data["text"].strip(),
            user=request.user,
            attachment=payload.validated_data.get("attachment"),
        )
        return Response(ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED)
