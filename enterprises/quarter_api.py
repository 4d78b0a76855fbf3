"""API of an enterprise's own quarter and ledger (issue 17 #9, management.md §6): its energy
manager reads its enterprise's ledger and quarters, saves draft quarterly figures and
submits them; a head of the supervising department approves or returns a submitted quarter
(never their own submission); the department's staff, the statistics office and the other
readers of all data read. Every write is one call of `enterprises.quarters`, the services
the quarter page uses; refusals are 4xx JSON in Chinese and English.

The enterprise wall: a code the user may not read answers 404 like one that does not exist
(`enterprise_for`, audited); an energy manager naming another enterprise anywhere in the
request is refused at the door (403, audited: enterprises/middleware.py)."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response

from accounts import permissions
from accounts.permissions import UsesProductOrEnterprise
from dezhou_carbon.api import ApiViewMixin
from dezhou_carbon.input_fields import QUARTER_URL, NumberField
from enterprises import quarters
from enterprises.api import _decimal_text, enterprise_for
from enterprises.ledger import enterprise_series
from enterprises.models import Enterprise, EnterprisePeriod
from enterprises.selectors import enterprise_quarters
from indicators import validation
from reporting.workflow import EntryValue

PeriodState = EnterprisePeriod.State


class EnterprisePeriodSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.code")
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, allow_null=True
    )
    decided_by = serializers.CharField(source="decided_by.username", default=None, allow_null=True)

    class Meta:
        model = EnterprisePeriod
        fields = ["enterprise", "period", "state", "version", "submitted_by", "submitted_at",
                  "decided_by", "decided_at", "comment", "updated_at"]  # fmt: skip


class QuarterRowSerializer(serializers.Serializer):
    item = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    unit = serializers.CharField()
    figure_id = serializers.IntegerField(allow_null=True)
    value = serializers.CharField(allow_null=True, help_text="a decimal string")
    version = serializers.IntegerField(help_text="send it back as expected_version")
    state = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class QuarterIssueSerializer(serializers.Serializer):
    item = serializers.CharField()
    severity = serializers.CharField()
    code = serializers.CharField()
    message_zh = serializers.CharField()
    message_en = serializers.CharField()
    explained = serializers.BooleanField()
    blocks = serializers.BooleanField()


class QuarterValidationSerializer(serializers.Serializer):
    ready_to_submit = serializers.BooleanField()
    issues = QuarterIssueSerializer(many=True)


class EnterpriseQuarterSerializer(serializers.Serializer):
    enterprise = serializers.CharField()
    period = serializers.CharField()
    state = serializers.ChoiceField(choices=PeriodState.choices)
    version = serializers.IntegerField()
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    may_enter = serializers.BooleanField(help_text="may save drafts and submit (open/returned)")
    may_approve = serializers.BooleanField(
        help_text="may approve or return: a head of the supervising department who did not "
        "submit it (four eyes)"
    )
    rows = QuarterRowSerializer(many=True)
    validation = QuarterValidationSerializer()


def quarter_body(enterprise: Enterprise, period: str, user) -> dict:
    """An enterprise's quarter as its page shows it: state, each item's newest figure (with
    its version for `expected_version`) and the validation a submission would run."""
    row = EnterprisePeriod.objects.filter(enterprise=enterprise, period=period).first()
    state = quarters.quarter_state(enterprise, period, row)
    current = quarters.enterprise_figures(enterprise, period)
    rows = []
    for item in quarters.enterprise_items():
        figure = current.get(item.code)
        rows.append(
            {
                "item": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en or item.code,
                "unit": item.unit,
                "figure_id": figure.pk if figure else None,
                "value": _decimal_text(figure.value) if figure else None,
                "version": figure.version if figure else 0,
                "state": figure.state if figure else None,
                "note": figure.note if figure else "",
            }
        )
    issues = quarters.validate_quarter(
        {code: f.value for code, f in current.items()},
        {code: f.note for code, f in current.items()},
        for_submission=True,
    )
    submitted_by = row.submitted_by_id if row else None
    return {
        "enterprise": enterprise.code,
        "period": period,
        "state": state,
        "version": row.version if row else 0,
        "submitted_by": row.submitted_by.get_username() if row and row.submitted_by else None,
        "submitted_at": row.submitted_at if row else None,
        "decided_by": row.decided_by.get_username() if row and row.decided_by else None,
        "decided_at": row.decided_at if row else None,
        "comment": row.comment if row else "",
        "may_enter": permissions.can_enter_enterprise_figures(user, enterprise)
        and state in (PeriodState.OPEN, PeriodState.RETURNED),
        "may_approve": state == PeriodState.SUBMITTED
        and permissions.can_review_enterprise_period(user, enterprise, {submitted_by}),
        "rows": rows,
        "validation": {
            "ready_to_submit": not validation.blocking(issues),
            "issues": [issue.as_dict() for issue in issues],
        },
    }


class QuarterEntrySerializer(serializers.Serializer):
    item = serializers.CharField(max_length=60)
    value = NumberField(
        allow_null=True,
        help_text='a number as data-exchange §2 writes it ("1,234.5"); null: leave as it is',
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="the version you saw (0: none yet); someone else's newer save is a 409",
    )


class QuarterSaveSerializer(serializers.Serializer):
    entries = QuarterEntrySerializer(many=True, min_length=1, max_length=100)


class QuarterCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EnterpriseQuarterListApi(ApiViewMixin, generics.GenericAPIView):
    """The enterprise's own quarters that have started (newest first, at most 12)."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = EnterprisePeriodSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(operation_id="v1_enterprises_quarters_list")
    def get(self, request, credit_code: str):
        enterprise = enterprise_for(request, credit_code)
        rows = enterprise_quarters(enterprise)
        return Response(self.get_serializer(rows, many=True).data)


class _QuarterApi(ApiViewMixin, generics.GenericAPIView):
    permission_classes = [UsesProductOrEnterprise]
    serializer_class = EnterpriseQuarterSerializer
    filter_backends = []
    pagination_class = None

    def answer(self, enterprise: Enterprise, period: str):
        return Response(
            self.get_serializer(quarter_body(enterprise, period, self.request.user)).data
        )


class EnterpriseQuarterApi(_QuarterApi):
    """GET: one quarter of the enterprise (state, figures, validation). POST: save drafts
    of its figures, as the quarter page does (its energy manager): one new version per
    changed value; an item enterprises do not report, a failing hard rule (400), a
    submitted or approved quarter (400) or someone else's newer save (409) writes nothing."""

    def get(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        return self.answer(enterprise, quarters.quarter_checked(period))

    @extend_schema(request=QuarterSaveSerializer)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        if not permissions.can_enter_enterprise_figures(request.user, enterprise):
            # Asked before reading the body, so a refusal is a 403 whatever was sent.
            raise quarters._entry_refused(request.user, enterprise, request.path)
        payload = QuarterSaveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quarters.enterprise_quarter_save(
            enterprise=enterprise,
            period=period,
            entries=[
                EntryValue(
                    entry["item"], entry["value"], entry["note"].strip(),
                    entry.get("expected_version"),
                )
                for entry in payload.validated_data["entries"]
            ],
            user=request.user,
            where=request.path,
        )  # fmt: skip
        return self.answer(enterprise, period)


_EMPTY = inline_serializer("EnterpriseQuarterEmpty", fields={})


class EnterpriseQuarterSubmitApi(_QuarterApi):
    """Submit the quarter for the supervising department's review: every item filled, no
    hard issue and every soft issue explained in its note, else 400 with each issue."""

    @extend_schema(request=_EMPTY)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        quarters.enterprise_quarter_submit(
            enterprise=enterprise, period=period, user=request.user, where=request.path
        )
        return self.answer(enterprise, period)


class EnterpriseQuarterApproveApi(_QuarterApi):
    """Approve the submitted quarter (a head of the supervising department who submitted
    none of it): its figures count, the quarter locks, the results are recomputed."""

    @extend_schema(request=QuarterCommentSerializer)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        payload = QuarterCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quarters.enterprise_quarter_approve(
            enterprise=enterprise, period=period, user=request.user,
            comment=payload.validated_data["comment"].strip(),
        )  # fmt: skip
        return self.answer(enterprise, period)


class EnterpriseQuarterReturnApi(_QuarterApi):
    """Return the submitted quarter to the enterprise with a comment (required)."""

    @extend_schema(request=QuarterCommentSerializer)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        payload = QuarterCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quarters.enterprise_quarter_return(
            enterprise=enterprise, period=period, user=request.user,
            comment=payload.validated_data["comment"].strip(),
        )  # fmt: skip
        return self.answer(enterprise, period)


class QuarterReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EnterpriseQuarterCorrectionApi(_QuarterApi):
    """Ask for a correction of the approved quarter, with a reason (its energy manager);
    a head of the supervising department decides whether to reopen it."""

    @extend_schema(request=QuarterReasonSerializer)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        if not permissions.can_enter_enterprise_figures(request.user, enterprise):
            raise quarters._entry_refused(request.user, enterprise, request.path)
        payload = QuarterReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quarters.enterprise_quarter_correction_request(
            enterprise=enterprise, period=period, user=request.user,
            reason=payload.validated_data["reason"], where=request.path,
        )  # fmt: skip
        return self.answer(enterprise, period)


class EnterpriseQuarterReopenApi(_QuarterApi):
    """Reopen the approved quarter for a correction, with a reason (a head of the
    supervising department): the revised figures are new versions, the approved ones
    count until the quarter is approved again."""

    @extend_schema(request=QuarterReasonSerializer)
    def post(self, request, credit_code: str, period: str):
        enterprise = enterprise_for(request, credit_code)
        period = quarters.quarter_checked(period)
        payload = QuarterReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quarters.enterprise_quarter_reopen(
            enterprise=enterprise, period=period, user=request.user,
            reason=payload.validated_data["reason"],
        )  # fmt: skip
        return self.answer(enterprise, period)


class LedgerYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    energy_calorific = serializers.CharField(allow_null=True, help_text="E当量, tce")
    energy_equal_value = serializers.CharField(allow_null=True, help_text="E等价, tce")
    co2 = serializers.CharField(allow_null=True, help_text="t CO₂")


class LedgerCarrierSerializer(serializers.Serializer):
    item = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.CharField(help_text="the latest year's sum, a decimal string")


class EnterpriseLedgerSerializer(serializers.Serializer):
    enterprise = serializers.CharField()
    name = serializers.CharField()
    key_unit = serializers.BooleanField()
    years = LedgerYearSerializer(many=True)
    latest_year = serializers.IntegerField(allow_null=True)
    carriers = LedgerCarrierSerializer(many=True)
    quarters = EnterprisePeriodSerializer(many=True)


class EnterpriseLedgerApi(ApiViewMixin, generics.GenericAPIView):
    """The enterprise's ledger: its annual energy (当量, 等价) and CO₂ from the base year
    (approved figures, the engine's results), the latest year's energy by carrier, and its
    own quarters. Numbers are decimal strings. Nothing of the park or of other enterprises."""

    permission_classes = [UsesProductOrEnterprise]
    serializer_class = EnterpriseLedgerSerializer
    filter_backends = []
    pagination_class = None

    def get(self, request, credit_code: str):
        enterprise = enterprise_for(request, credit_code)
        data = enterprise_series(enterprise.code)
        series = data["series"]
        years = [
            {
                "year": year,
                "energy_calorific": _decimal_text(
                    series.get("energy_total_calorific", {}).get(year)
                ),
                "energy_equal_value": _decimal_text(
                    series.get("energy_total_equal_value", {}).get(year)
                ),
                "co2": _decimal_text(series.get("co2_emissions", {}).get(year)),
            }
            for year in data["years"]
        ]
        carriers = [
            {
                "item": row["item__code"],
                "name_zh": row["item__name_zh"],
                "name_en": row["item__name_en"] or row["item__code"],
                "unit": row["item__unit"],
                "value": _decimal_text(row["total"]),
            }
            for row in data["carriers"]
        ]
        body = {
            "enterprise": enterprise.code,
            "name": enterprise.name,
            "key_unit": enterprise.is_key_unit,
            "years": years,
            "latest_year": data["latest"],
            "carriers": carriers,
            "quarters": enterprise_quarters(enterprise),
        }
        return Response(self.get_serializer(body).data)


_CODE = "<str:credit_code>"
_RE_CODE = r"(?P<credit_code>[^/]+)"
_QUARTER = rf"^enterprises/{_RE_CODE}/quarters/{QUARTER_URL}/"
api_urlpatterns = [
    path(f"enterprises/{_CODE}/ledger/", EnterpriseLedgerApi.as_view(), name="enterprise-ledger"),
    path(
        f"enterprises/{_CODE}/quarters/",
        EnterpriseQuarterListApi.as_view(),
        name="enterprise-quarter-list",
    ),
    re_path(rf"{_QUARTER}$", EnterpriseQuarterApi.as_view(), name="enterprise-quarter"),
    re_path(
        rf"{_QUARTER}submit/$",
        EnterpriseQuarterSubmitApi.as_view(),
        name="enterprise-quarter-submit",
    ),
    re_path(
        rf"{_QUARTER}approve/$",
        EnterpriseQuarterApproveApi.as_view(),
        name="enterprise-quarter-approve",
    ),
    re_path(
        rf"{_QUARTER}return/$",
        EnterpriseQuarterReturnApi.as_view(),
        name="enterprise-quarter-return",
    ),
    re_path(
        rf"{_QUARTER}correction/$",
        EnterpriseQuarterCorrectionApi.as_view(),
        name="enterprise-quarter-correction",
    ),
    re_path(
        rf"{_QUARTER}reopen/$",
        EnterpriseQuarterReopenApi.as_view(),
        name="enterprise-quarter-reopen",
    ),
]
