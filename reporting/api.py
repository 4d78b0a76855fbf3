"""API of a department's quarter: department-periods (state, figures and the validation
of what is stored), the workflow's actions (submit, approve, return with a comment, lock
exceptions), reporting rounds and the person's notifications.

Thin, like the pages (reporting/views.py): the rules of `accounts.permissions` decide who
reads what; every write is one call of `reporting.workflow`, `reporting.services` or
`reporting.notifications`, whose refusals become 4xx JSON in Chinese and English."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProduct
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.input_fields import PERIOD_URL, PeriodField, PeriodFilter, period_param
from indicators import validation
from indicators.models import DepartmentPeriod
from reporting import selectors, workflow
from reporting.models import Notification, ReportingRound
from reporting.notifications import notifications_mark_read
from reporting.services import round_open
from tasks.models import Department

PERIOD_PATTERN = PERIOD_URL
DEPARTMENT_PATTERN = r"(?P<department>[A-Za-z0-9_-]{1,20})"


# --- department-periods -------------------------------------------------------------------


class DepartmentPeriodSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, allow_null=True
    )
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = DepartmentPeriod
        fields = [
            "department",
            "period",
            "state",
            "version",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "comment",
            "updated_at",
        ]


class IssueSerializer(serializers.Serializer):
    item = serializers.CharField()
    severity = serializers.CharField()
    code = serializers.CharField()
    message_zh = serializers.CharField()
    message_en = serializers.CharField()
    explained = serializers.BooleanField()
    blocks = serializers.BooleanField()


class ValidationSerializer(serializers.Serializer):
    ready_to_submit = serializers.BooleanField(
        help_text="every item filled, no hard issue, every soft issue explained in its note"
    )
    issues = IssueSerializer(many=True)


class LockExceptionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    valid_until = serializers.DateTimeField()
    granted_by = serializers.CharField(source="granted_by.username")


class EntryRowSerializer(serializers.Serializer):
    item = serializers.CharField(source="item.code")
    name_zh = serializers.CharField(source="item.name_zh")
    name_en = serializers.CharField(source="item.name_en")
    unit = serializers.CharField(source="item.unit")
    figure_id = serializers.IntegerField(source="figure.pk", default=None, allow_null=True)
    value = serializers.DecimalField(
        source="figure.value", max_digits=24, decimal_places=6, default=None, allow_null=True
    )
    version = serializers.IntegerField(help_text="send it back as expected_version")
    state = serializers.CharField(source="figure.state", default=None, allow_null=True)
    note = serializers.CharField()
    previous = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)
    last_year = serializers.DecimalField(max_digits=24, decimal_places=6, allow_null=True)


class DepartmentPeriodDetailSerializer(serializers.Serializer):
    department = serializers.CharField()
    period = serializers.CharField()
    state = serializers.CharField(
        help_text=f"{selectors.NOT_STARTED} or {', '.join(DepartmentPeriod.State.values)}"
    )
    version = serializers.IntegerField()
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()
    deadline = serializers.DateField(allow_null=True)
    late = serializers.BooleanField()
    writable = serializers.BooleanField()
    correcting = serializers.BooleanField(help_text="approved and unlocked: changes need a reason")
    lock_exception = LockExceptionSerializer(allow_null=True)
    may_enter = serializers.BooleanField()
    may_decide = serializers.BooleanField(help_text="may approve or return (submitted)")
    may_approve = serializers.BooleanField(
        help_text="may approve: a head who submitted none of it (four eyes)"
    )
    rows = EntryRowSerializer(many=True)
    validation = ValidationSerializer()


def department_period_body(department: Department, period: str, user) -> dict:
    """A department-period as the entry and review pages show it: state, deadline, lock
    exception, each item's newest figure, and the validation a submission would run."""
    status_ = selectors.period_status(department, period)
    row = status_.row
    rows = selectors.entry_rows(department, period)
    issues = workflow.validate_department_period(
        department=department,
        period=period,
        values={r.code: r.figure.value for r in rows if r.figure is not None},
        notes={r.code: r.figure.note for r in rows if r.figure is not None},
        for_submission=True,
    )
    return {
        "department": department.code,
        "period": period,
        "state": status_.state,
        "version": row.version if row else 0,
        "submitted_by": row.submitted_by.get_username() if row and row.submitted_by else None,
        "submitted_at": row.submitted_at if row else None,
        "decided_by": row.decided_by.get_username() if row and row.decided_by else None,
        "decided_at": row.decided_at if row else None,
        "comment": row.comment if row else "",
        "deadline": status_.deadline,
        "late": status_.late,
        "writable": status_.writable,
        "correcting": status_.correcting,
        "lock_exception": status_.exception,
        "may_enter": permissions.can_enter_figures(user, department.pk),
        "may_decide": permissions.can_approve(user, department.pk)
        and status_.state == DepartmentPeriod.State.SUBMITTED,
        "may_approve": permissions.can_approve_submission(
            user, department.pk, {row.submitted_by_id if row else None}
        )
        and status_.state == DepartmentPeriod.State.SUBMITTED,
        "rows": rows,
        "validation": {
            "ready_to_submit": not validation.blocking(issues),
            "issues": [issue.as_dict() for issue in issues],
        },
    }


class DepartmentPeriodFilter(django_filters.FilterSet):
    department = django_filters.CharFilter(field_name="department__code")
    period = PeriodFilter()
    state = django_filters.ChoiceFilter(choices=DepartmentPeriod.State.choices)

    class Meta:
        model = DepartmentPeriod
        fields = ["department", "period", "state"]


class DepartmentPeriodListApi(ApiViewMixin, generics.ListAPIView):
    """Department-periods that have started (a department-period with nothing saved yet
    is `not_started` in its detail). Department staff see their own department's."""

    permission_classes = [UsesProduct]
    serializer_class = DepartmentPeriodSerializer
    filterset_class = DepartmentPeriodFilter

    def get_queryset(self):
        user = self.request.user
        rows = DepartmentPeriod.objects.select_related(
            "department", "submitted_by", "decided_by"
        ).order_by("-period", "department__order", "pk")
        if permissions.can_read_all_data(user):
            return rows
        if permissions.is_department_staff(user):
            return rows.filter(department_id=user.department_id)
        return rows.none()


class _DepartmentPeriodApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProduct]
    serializer_class = DepartmentPeriodDetailSerializer
    pagination_class = None
    filter_backends = []

    def target(self, request, department: str, period: str) -> tuple[Department, str]:
        """The department-period named in the URL, once the user may read it."""
        found = get_object_or_404(Department, code=department)
        if not permissions.can_read_department(request.user, found.pk):
            self.permission_denied(request, "You cannot read this department's figures.")
        workflow.parse_period(period)  # 400 with both messages when it is no period
        return found, period

    def answer(self, department: Department, period: str, *, status_code=status.HTTP_200_OK):
        body = department_period_body(department, period, self.request.user)
        return Response(self.get_serializer(body).data, status=status_code)


class DepartmentPeriodDetailApi(_DepartmentPeriodApi):
    """One department-period: state, deadline, lock exception, each item's newest figure
    (with its version for `expected_version`) and the validation of what is stored."""

    def get(self, request, department: str, period: str):
        found, period = self.target(request, department, period)
        return self.answer(found, period)


_EMPTY = inline_serializer("Empty", fields={})


class DepartmentPeriodSubmitApi(_DepartmentPeriodApi):
    """Submit for the head's approval (reporting.workflow.department_period_submit): every
    item filled, no hard issue and every soft issue explained, else 400 with each issue."""

    @extend_schema(request=_EMPTY)
    def post(self, request, department: str, period: str):
        found, period = self.target(request, department, period)
        workflow.department_period_submit(department=found, period=period, user=request.user)
        return self.answer(found, period)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class DepartmentPeriodApproveApi(_DepartmentPeriodApi):
    """The department's head approves the submitted period: it locks, its figures count
    and results are recomputed (reporting.workflow.department_period_approve)."""

    @extend_schema(request=CommentSerializer)
    def post(self, request, department: str, period: str):
        found, period = self.target(request, department, period)
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        workflow.department_period_approve(
            department=found,
            period=period,
            user=request.user,
            comment=payload.validated_data["comment"].strip(),
        )
        return self.answer(found, period)


class DepartmentPeriodReturnApi(_DepartmentPeriodApi):
    """The department's head returns the submitted period with a comment (required)."""

    @extend_schema(request=CommentSerializer)
    def post(self, request, department: str, period: str):
        found, period = self.target(request, department, period)
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        workflow.department_period_return(
            department=found,
            period=period,
            user=request.user,
            comment=payload.validated_data["comment"].strip(),
        )
        return self.answer(found, period)


class LockExceptionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    hours = serializers.IntegerField(min_value=1, max_value=168)


class DepartmentPeriodUnlockApi(_DepartmentPeriodApi):
    """The statistics office lets the department correct an approved period for 1 to 168
    hours, with a reason (reporting.workflow.lock_exception_grant)."""

    @extend_schema(
        request=LockExceptionRequestSerializer, responses={201: DepartmentPeriodDetailSerializer}
    )
    def post(self, request, department: str, period: str):
        found, period = self.target(request, department, period)
        payload = LockExceptionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        workflow.lock_exception_grant(
            department=found,
            period=period,
            reason=payload.validated_data["reason"].strip(),
            hours=payload.validated_data["hours"],
            user=request.user,
        )
        return self.answer(found, period, status_code=status.HTTP_201_CREATED)


# --- rounds -------------------------------------------------------------------------------


class RoundSerializer(serializers.Serializer):
    period = serializers.CharField()
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(allow_null=True)
    frequency = serializers.CharField()
    deadline = serializers.DateField()
    state = serializers.CharField()
    departments = serializers.IntegerField(allow_null=True, help_text="readers of all data")
    submitted = serializers.IntegerField(allow_null=True)
    approved = serializers.IntegerField(allow_null=True)
    returned = serializers.IntegerField(allow_null=True)
    outstanding = serializers.IntegerField(allow_null=True)
    department_state = serializers.CharField(allow_null=True, help_text="department staff")
    late = serializers.BooleanField(allow_null=True)


class RoundOpenSerializer(serializers.Serializer):
    period = PeriodField()
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


def _round_body(reporting_round: ReportingRound, **extra) -> dict:
    body = {
        "period": reporting_round.period,
        "year": reporting_round.year,
        "quarter": reporting_round.quarter,
        "frequency": reporting_round.frequency,
        "deadline": reporting_round.deadline,
        "state": reporting_round.state,
        "departments": None,
        "submitted": None,
        "approved": None,
        "returned": None,
        "outstanding": None,
        "department_state": None,
        "late": None,
    }
    body.update(extra)
    return body


def visible_rounds(user) -> list[dict]:
    """As the reporting home shows them: every round with its counts for readers of all
    data; the rounds of their department with its state for department staff."""
    if permissions.can_read_all_data(user):
        return [
            _round_body(
                s.reporting_round,
                departments=s.departments,
                submitted=s.submitted,
                approved=s.approved,
                returned=s.returned,
                outstanding=s.outstanding,
            )
            for s in selectors.round_summaries()
        ]
    if permissions.is_department_staff(user):
        return [
            _round_body(r.reporting_round, department_state=r.state, late=r.late)
            for r in selectors.department_rounds(user.department)
        ]
    return []


class RoundListApi(ApiViewMixin, generics.ListAPIView):
    """GET: reporting rounds, newest first. POST: the statistics office opens the round of
    a period (reporting.services.round_open; opening it again returns the same round)."""

    permission_classes = [UsesProduct]
    serializer_class = RoundSerializer
    filter_backends = []  # filtered below (query parameters)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str),
            OpenApiParameter("year", int),
            OpenApiParameter("state", str, enum=ReportingRound.State.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        rows = visible_rounds(self.request.user)
        if params.get("period"):
            wanted = period_param(params["period"])
            rows = [r for r in rows if r["period"] == wanted]
        if params.get("year"):
            rows = [r for r in rows if str(r["year"]) == params["year"].strip()]
        if params.get("state"):
            rows = [r for r in rows if r["state"] == params["state"]]
        return rows

    @extend_schema(request=RoundOpenSerializer, responses={201: RoundSerializer})
    def post(self, request):
        if not permissions.can_manage_reference_data(request.user):
            self.permission_denied(request, "Only the statistics office can open a round.")
        payload = RoundOpenSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        opened = round_open(
            period=payload.validated_data["period"],
            deadline=payload.validated_data["deadline"],
            user=request.user,
        )
        body = next(r for r in visible_rounds(request.user) if r["period"] == opened.period)
        return Response(RoundSerializer(body).data, status=status.HTTP_201_CREATED)


# --- notifications ------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "message_zh", "message_en", "link", "created_at", "read_at", "read"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationListApi(ApiViewMixin, generics.ListAPIView):
    """Your notifications, newest first (`unread=true` for the unread ones)."""

    permission_classes = [UsesProduct]
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    queryset = Notification.objects.none()  # the schema's model; each request: its own

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user).order_by("-created_at", "-id")


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationMarkReadApi(ApiViewMixin, generics.GenericAPIView):
    """Mark all your unread notifications read (as the notifications page does)."""

    permission_classes = [UsesProduct]
    serializer_class = NotificationsMarkedSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(request=_EMPTY)
    def post(self, request):
        return Response({"marked": notifications_mark_read(request.user)})
