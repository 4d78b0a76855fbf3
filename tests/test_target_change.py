"""Governed target changes (issue 16 §5, issue 13 defect 4): a target's value, year,
tolerance, qualifier, strictness or owner changes only through
indicators.targets.target_change — reason, 文号, a committee approver, an audit event, a
history row and a recompute request in one transaction — and the admin uses it."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from dashboards import charts
from dashboards.selectors import indicator_page
from dashboards.services import target_owners
from indicators.models import RecomputeRequest, Target, TargetRevision
from indicators.targets import target_change

pytestmark = pytest.mark.django_db


def _written():
    return (
        TargetRevision.objects.count(),
        AuditEvent.objects.filter(action="target_change").count(),
        RecomputeRequest.objects.count(),
    )


def test_the_committee_assigns_t3_and_everything_is_recorded(statistics_office, committee_member):
    t3 = Target.objects.get(code="T3")
    assert t3.awaits_value
    assert t3.original is None

    revision = target_change(
        t3,
        {"value": "13.5"},
        "省发展改革委下达“十四五”能耗强度降低目标",
        "鲁发改环资〔2022〕123号",
        committee_member,
        statistics_office,
    )

    t3.refresh_from_db()
    assert t3.value == Decimal("13.5")
    assert t3.original["value"] is None
    assert t3.original["target_year"] == "2025"
    assert revision.number == 1
    assert revision.changes == {"value": {"old": None, "new": "13.5"}}
    assert (revision.approved_by, revision.recorded_by) == (committee_member, statistics_office)
    event = AuditEvent.objects.get(action="target_change")
    assert event.actor == statistics_office
    assert event.old_value == {"value": None}
    assert event.new_value == {"value": "13.5"}
    assert event.details["document_no"] == "鲁发改环资〔2022〕123号"
    assert event.details["approved_by"] == committee_member.username
    request = RecomputeRequest.objects.get(status=RecomputeRequest.Status.PENDING)
    assert request.scope == RecomputeRequest.ALL_SCOPES
    assert request.from_year == t3.plan.base_year


def test_a_second_change_keeps_the_plans_original_promise(statistics_office, committee_member):
    t1 = Target.objects.get(code="T1")
    target_change(
        t1, {"value": "15"}, "上调", "德经开发〔2026〕1号", committee_member, statistics_office
    )
    target_change(
        t1,
        {"value": "16", "target_year": 2026},
        "再次上调",
        "德经开发〔2026〕2号",
        committee_member,
        statistics_office,
    )
    t1.refresh_from_db()
    assert (t1.value, t1.target_year) == (Decimal("16"), 2026)
    assert (t1.original["value"], t1.original["target_year"]) == ("14", "2025")
    history = list(t1.revisions.values_list("number", "changes"))
    assert history == [
        (1, {"value": {"old": "14", "new": "15"}}),
        (
            2,
            {
                "value": {"old": "15", "new": "16"},
                "target_year": {"old": "2025", "new": "2026"},
            },
        ),
    ]


BAD_CHANGES = [
    ("no reason", {"value": "10"}, "  ", "文号1", "committee_member", "statistics_office", "reason_required"),
    ("no 文号", {"value": "10"}, "原因", "", "committee_member", "statistics_office", "document_required"),
    ("approver not the committee", {"value": "10"}, "原因", "文号1", "head", "statistics_office", "approver_not_committee"),
    ("no approver", {"value": "10"}, "原因", "文号1", None, "statistics_office", "approver_not_committee"),
    ("a clerk records it", {"value": "10"}, "原因", "文号1", "committee_member", "clerk", "permission_denied"),
    ("an unknown field", {"title_zh": "x"}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("not a number", {"value": "十"}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("a reduction of 120 %", {"value": "120"}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("an empty value", {"value": ""}, "原因", "文号1", "committee_member", "statistics_office", "required"),
    ("a year before the base", {"target_year": 2019}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("a negative tolerance", {"tolerance": "-1"}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("a bad qualifier", {"qualifier": "maybe"}, "原因", "文号1", "committee_member", "statistics_office", "invalid"),
    ("an unknown owner", {"owner": "XYZ"}, "原因", "文号1", "committee_member", "statistics_office", "not_found"),
    ("nothing changes", {"qualifier": "about"}, "原因", "文号1", "committee_member", "statistics_office", "no_change"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("_case", "changes", "reason", "document_no", "approver", "actor", "code"),
    BAD_CHANGES,
    ids=[case[0] for case in BAD_CHANGES],
)
def test_a_bad_change_is_refused_in_both_languages_and_nothing_is_written(
    request, park, _case, changes, reason, document_no, approver, actor, code
):
    from dezhou_carbon.exceptions import ApplicationError

    request.getfixturevalue("committee_member")
    approver = request.getfixturevalue(approver) if approver else None
    actor = request.getfixturevalue(actor)
    t2 = Target.objects.get(code="T2")
    before = (t2.value, t2.target_year, t2.tolerance, t2.qualifier, t2.owner_id, t2.original)
    written = _written()

    with pytest.raises(ApplicationError) as refused:
        target_change(t2, changes, reason, document_no, approver, actor)

    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert refused.value.message_zh != refused.value.message_en
    t2.refresh_from_db()
    assert (t2.value, t2.target_year, t2.tolerance, t2.qualifier, t2.owner_id, t2.original) == (
        before
    )
    assert _written() == written


def test_the_recorder_cannot_approve_their_own_change(administrator):
    from accounts.models import User
    from dezhou_carbon.exceptions import ApplicationError

    administrator.role = User.Role.COMMITTEE
    administrator.save()
    with pytest.raises(ApplicationError) as refused:
        target_change(
            Target.objects.get(code="T1"),
            {"value": "15"},
            "原因",
            "文号",
            administrator,
            administrator,
        )
    assert refused.value.code == "four_eyes"
    assert _written()[0] == 0


def test_a_milestone_has_no_value_to_change(statistics_office, committee_member):
    from dezhou_carbon.exceptions import ApplicationError

    with pytest.raises(ApplicationError):
        target_change(
            Target.objects.get(code="T16"),
            {"value": "1"},
            "原因",
            "文号",
            committee_member,
            statistics_office,
        )


def test_owners_can_differ_from_the_tasks_lead_and_change_by_decision(
    statistics_office, committee_member
):
    owners = {Target.objects.get(pk=pk).code: d.code for pk, d in target_owners().items()}
    # Task 8 is led by 城管分局, but industrial solid waste is 生态环境分局's to report.
    assert owners["T11"] == owners["T12"] == "ECO"
    assert owners["T10"] == "CON"

    target_change(
        Target.objects.get(code="T10"), {"owner": "DRS"}, "分工调整", "德经开发〔2026〕3号",
        committee_member, statistics_office,
    )  # fmt: skip

    owners = {Target.objects.get(pk=pk).code: d.code for pk, d in target_owners().items()}
    assert owners["T10"] == "DRS"


def test_t3_and_t4_are_assigned_per_five_year_period(park):
    for code in ("T3", "T4"):
        first = Target.objects.get(code=code)
        second = Target.objects.get(code=f"{code}b")
        assert (first.kind, first.base_year, first.target_year) == ("reduction_vs_base", 2020, 2025)
        assert (second.kind, second.base_year, second.target_year) == (
            "reduction_vs_target",
            2025,
            2030,
        )
        assert second.base_target == first
        assert first.awaits_value
        assert second.awaits_value
    assert Target.objects.get(code="T5").strict
    assert Target.objects.get(code="T5b").strict


def test_the_chart_draws_the_original_and_the_revised_path(statistics_office, committee_member):
    t1 = Target.objects.get(code="T1")
    target_change(
        t1, {"value": "16"}, "上调", "德经开发〔2026〕4号", committee_member, statistics_office
    )
    page = indicator_page("non_fossil_share")
    series = page.series
    # The chart needs a base value to draw paths from.
    series["points"] = [(2020, None, "2020", Decimal("8")), (2021, None, "2021", Decimal("9"))]

    figure = charts.indicator_figure(series)

    names = [trace.get("name") for trace in figure["data"]]
    assert "T1 目标路径" in names
    assert "T1 原目标路径（调整前）" in names
    revised = next(t for t in figure["data"] if t.get("name") == "T1 目标路径")
    original = next(t for t in figure["data"] if t.get("name") == "T1 原目标路径（调整前）")
    assert revised["y"][-1] == pytest.approx(16)
    assert original["y"][-1] == pytest.approx(14)
    assert "T1b 原目标路径（调整前）" not in names  # unchanged targets draw one line


def test_the_admin_changes_a_target_only_with_reason_document_and_approver(
    client, administrator, committee_member
):
    t3 = Target.objects.get(code="T3")
    url = f"/admin/indicators/target/{t3.pk}/change/"
    client.force_login(administrator)
    form = {
        "value": "14",
        "target_year": "2025",
        "tolerance": "",
        "qualifier": "binding",
        "owner": "",
    }

    refused = client.post(url, form)  # no reason, 文号 or approver: the form says so
    assert refused.status_code == 200
    t3.refresh_from_db()
    assert t3.value is None
    assert not TargetRevision.objects.exists()

    done = client.post(
        url,
        {
            **form,
            "reason": "上级下达",
            "document_no": "鲁政字〔2022〕5号",
            "approver": committee_member.pk,
        },
    )
    assert done.status_code == 302
    t3.refresh_from_db()
    assert t3.value == Decimal("14")
    revision = TargetRevision.objects.get(target=t3)
    assert revision.recorded_by == administrator
    assert revision.approved_by == committee_member
    assert AuditEvent.objects.filter(action="target_change", object_id=str(t3.pk)).exists()
    assert RecomputeRequest.objects.filter(status="pending").exists()


def test_the_admin_cannot_add_or_delete_targets(client, administrator):
    client.force_login(administrator)
    assert client.get("/admin/indicators/target/add/").status_code == 403
    t1 = Target.objects.get(code="T1")
    assert client.get(f"/admin/indicators/target/{t1.pk}/delete/").status_code == 403
