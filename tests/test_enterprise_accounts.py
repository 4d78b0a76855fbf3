"""Enterprise accounts (issue 17 #9): an enterprise's energy manager sees only its own
enterprise, enters its own quarter (drafts, submit), and the supervising department's head
approves or returns it (four eyes); every attempt to reach another enterprise is refused
with a zh/en message, nothing written, and audited."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import permissions
from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises.models import Enterprise, EnterprisePeriod
from enterprises.quarters import (
    ENTERPRISE_ITEMS,
    enterprise_quarter_approve,
    enterprise_quarter_return,
    enterprise_quarter_save,
    enterprise_quarter_submit,
)
from indicators.models import Figure, RecomputeRequest
from reporting.models import Notification
from reporting.workflow import EntryValue, department_period_approve, department_period_submit
from tasks.models import Department
from tests.helpers import department_fill

PERIOD = "2024Q1"
OTHER_CODE = "91350100M000100Y43"  # GB 32100's example code


@pytest.fixture
def other_enterprise(park):
    return Enterprise.objects.create(
        code=OTHER_CODE,
        name="德州另一家企业",
        industry="3985",
        supervising_department=Department.objects.get(code="EIT"),
    )


def _entries(**values) -> list[EntryValue]:
    """Every item of the enterprise's quarter (0 unless given)."""
    return [EntryValue(code, Decimal(str(values.get(code, "0")))) for code in ENTERPRISE_ITEMS]


def _attempts() -> int:
    return AuditEvent.objects.filter(action="enterprise_access_refused").count()


def _figures(code: str):
    return Figure.objects.filter(scope=code)


# --- the rules -------------------------------------------------------------------------------


def test_energy_manager_belongs_to_exactly_one_enterprise(park, cell_maker):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="no.enterprise", role=User.Role.ENERGY_MANAGER)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="clerk.with.enterprise", role="committee",
                                 enterprise=cell_maker)  # fmt: skip


def test_rules_of_the_energy_manager(energy_manager, cell_maker, other_enterprise, clerk, head):
    assert permissions.is_energy_manager(energy_manager)
    assert not permissions.can_use_product(energy_manager)
    assert not permissions.can_read_all_data(energy_manager)
    assert permissions.can_read_enterprise(energy_manager, cell_maker)
    assert not permissions.can_read_enterprise(energy_manager, other_enterprise)
    # The rule's first form (a supervising department's id) never opens an enterprise to them.
    assert not permissions.can_read_enterprise(energy_manager, cell_maker.supervising_department_id)
    assert permissions.can_enter_enterprise_figures(energy_manager, cell_maker)
    assert not permissions.can_enter_enterprise_figures(energy_manager, other_enterprise)
    # DRS supervises cell_maker: its staff read it, its clerk does not enter for it.
    assert permissions.can_read_enterprise(clerk, cell_maker)
    assert not permissions.can_read_enterprise(clerk, other_enterprise)
    assert not permissions.can_enter_enterprise_figures(clerk, cell_maker)
    assert permissions.can_review_enterprise_period(head, cell_maker, {energy_manager.pk})
    assert not permissions.can_review_enterprise_period(head, other_enterprise, {energy_manager.pk})
    assert not permissions.can_review_enterprise_period(clerk, cell_maker, {energy_manager.pk})
    energy_manager.is_active = False
    assert not permissions.can_read_enterprise(energy_manager, cell_maker)


# --- the quarter: enter, submit, approve / return ---------------------------------------------


def test_enterprise_quarter_enter_submit_approve(energy_manager, cell_maker, head, clerk):
    saved = enterprise_quarter_save(
        enterprise=cell_maker, period=PERIOD, user=energy_manager,
        entries=_entries(electricity_grid="120.5", iva_current="3400", natural_gas="12"),
    )  # fmt: skip
    assert len(saved) == len(ENTERPRISE_ITEMS)
    assert {f.scope for f in saved} == {cell_maker.code}
    assert {f.state for f in saved} == {"draft"}
    row = enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    assert row.state == "submitted"
    assert row.submitted_by == energy_manager
    assert Notification.objects.filter(user=head, kind="submitted").exists()
    assert not Notification.objects.filter(user=clerk, kind="submitted").exists()
    assert set(_figures(cell_maker.code).values_list("state", flat=True)) == {"submitted"}
    # Submitted: the energy manager cannot change it any more.
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                                entries=_entries(electricity_grid="1"))  # fmt: skip
    assert refused.value.code == "period_submitted"
    row = enterprise_quarter_approve(
        enterprise=cell_maker, period=PERIOD, user=head, comment="同意"
    )
    assert row.state == "approved"
    assert row.decided_by == head
    counting = _figures(cell_maker.code).filter(counts=True)
    assert counting.count() == len(ENTERPRISE_ITEMS)
    assert counting.get(item__code="electricity_grid").value == Decimal("120.5")
    assert RecomputeRequest.objects.filter(scope=cell_maker.code, from_year=2024).exists()
    assert Notification.objects.filter(user=energy_manager, kind="approved").exists()
    events = AuditEvent.objects.filter(object_type="enterprise_period", object_id=str(row.pk))
    assert list(events.order_by("pk").values_list("action", "actor")) == [
        ("submit", energy_manager.pk),
        ("approve", head.pk),
    ]
    # Approved: locked.
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                                entries=_entries(electricity_grid="1"))  # fmt: skip
    assert refused.value.code == "period_locked"


def test_enterprise_quarter_return_then_correct(energy_manager, cell_maker, head):
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=_entries(coal_raw="10"))  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_return(enterprise=cell_maker, period=PERIOD, user=head, comment=" ")
    assert refused.value.code == "comment_required"
    row = enterprise_quarter_return(
        enterprise=cell_maker, period=PERIOD, user=head, comment="原煤偏低，请核对"
    )
    assert row.state == "returned"
    assert Notification.objects.filter(user=energy_manager, kind="returned").exists()
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=[EntryValue("coal_raw", Decimal("12"), "核对后更正")])  # fmt: skip
    coal = _figures(cell_maker.code).get(item__code="coal_raw", is_latest=True)
    assert (coal.value, coal.version, coal.state) == (Decimal("12"), 2, "draft")
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head)
    assert _figures(cell_maker.code).get(item__code="coal_raw", counts=True).value == 12


def test_four_eyes_the_submitter_never_approves(cell_maker, administrator):
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=administrator,
                            entries=_entries())  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=administrator)
    with pytest.raises(PermissionRefused) as refused:
        enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=administrator)
    assert refused.value.code == "four_eyes"
    assert EnterprisePeriod.objects.get(enterprise=cell_maker, period=PERIOD).state == "submitted"


def test_only_the_supervising_head_reviews(energy_manager, cell_maker, clerk, eco_head):
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=_entries())  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    for person in (clerk, eco_head, energy_manager):
        with pytest.raises(PermissionRefused):
            enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=person)
        with pytest.raises(PermissionRefused):
            enterprise_quarter_return(enterprise=cell_maker, period=PERIOD, user=person,
                                      comment="x")  # fmt: skip
    assert EnterprisePeriod.objects.get(enterprise=cell_maker, period=PERIOD).state == "submitted"


def test_submission_needs_every_item(energy_manager, cell_maker):
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=[EntryValue("coal_raw", Decimal("1"))])  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    assert refused.value.code == "validation_failed"
    assert "未填写" in str(refused.value.details)
    assert not EnterprisePeriod.objects.filter(state="submitted").exists()


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        (_entries(coal_raw="-1"), "invalid"),  # negative
        (_entries(electricity_grid="10", electricity_green="11"), "invalid"),  # part > whole
        ([EntryValue("ghg_total", Decimal("1"))], "unknown_item"),  # not an enterprise item
    ],
)
def test_bad_values_are_refused_nothing_written(energy_manager, cell_maker, entries, code):
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                                entries=entries)  # fmt: skip
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not _figures(cell_maker.code).exists()


@pytest.mark.parametrize("period", ["2024", "2099Q1", "2024Q5"])
def test_periods_that_take_no_enterprise_figures(energy_manager, cell_maker, period):
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=period, user=energy_manager,
                                entries=_entries())  # fmt: skip
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not _figures(cell_maker.code).exists()


def test_a_department_approval_never_decides_an_enterprise_quarter(
    energy_manager, cell_maker, clerk, head
):
    """DRS owns the energy items; its own period's approval leaves the enterprise's
    submitted quarter to its own review, and the enterprise's entry never locks DRS's."""
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=_entries(coal_raw="7"))  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    department_fill("DRS", PERIOD, user=clerk)
    drs = Department.objects.get(code="DRS")
    department_period_submit(department=drs, period=PERIOD, user=clerk)
    department_period_approve(department=drs, period=PERIOD, user=head)
    assert set(_figures(cell_maker.code).values_list("state", flat=True)) == {"submitted"}
    assert not _figures(cell_maker.code).filter(counts=True).exists()


# --- the wall ---------------------------------------------------------------------------------


def test_another_enterprise_is_refused_and_audited_in_the_service(energy_manager, other_enterprise):
    before = _attempts()
    with pytest.raises(PermissionRefused) as refused:
        enterprise_quarter_save(enterprise=other_enterprise, period=PERIOD, user=energy_manager,
                                entries=_entries())  # fmt: skip
    assert refused.value.message_en
    with pytest.raises(PermissionRefused):
        enterprise_quarter_submit(enterprise=other_enterprise, period=PERIOD, user=energy_manager)
    assert _attempts() == before + 2
    assert not _figures(OTHER_CODE).exists()
    assert not EnterprisePeriod.objects.exists()


def test_pages_by_code_and_by_query_are_refused_and_audited(
    client, energy_manager, cell_maker, other_enterprise
):
    client.force_login(energy_manager)
    before = _attempts()
    for url in (
        reverse("enterprises:profile", args=[OTHER_CODE]),
        reverse("enterprises:profile", args=[OTHER_CODE.lower()]),
        reverse("enterprises:quarter", args=[OTHER_CODE, PERIOD]),
        reverse("api:enterprise-detail", args=[OTHER_CODE]),
        reverse("api:enterprise-list") + f"?code={OTHER_CODE}",
        reverse("api:figure-list") + f"?scope={OTHER_CODE}",
        reverse("enterprises:profile", args=[cell_maker.code]) + f"?scope={OTHER_CODE}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        text = response.content.decode()
        assert "本企业" in text or "your own enterprise" in text
    assert _attempts() == before + 7
    event = AuditEvent.objects.filter(action="enterprise_access_refused").latest("pk")
    assert event.object_id == OTHER_CODE
    assert event.actor == energy_manager
    # A write naming the other enterprise: refused, audited, nothing written.
    response = client.post(
        reverse("enterprises:quarter", args=[OTHER_CODE, PERIOD]),
        {"action": "save", "value_coal_raw": "5"},
    )
    assert response.status_code == 403
    assert not _figures(OTHER_CODE).exists()
    assert not EnterprisePeriod.objects.exists()
    assert _attempts() == before + 8


def test_api_by_code_answers_404_and_audits(energy_manager, cell_maker, other_enterprise):
    """A token's request (DRF authentication, which the middleware cannot see): the same
    wall in the API (dezhou_carbon.api.ApiViewMixin), 403 `enterprise_wall`, audited."""
    client = APIClient()
    client.force_authenticate(energy_manager)
    before = _attempts()
    response = client.get(reverse("api:enterprise-detail", args=[OTHER_CODE]))
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_wall"
    assert response.json()["message_en"]
    assert _attempts() == before + 1
    assert client.get(reverse("api:enterprise-detail", args=[cell_maker.code])).status_code == 200
    listed = client.get(reverse("api:enterprise-list") + "?department=EIT").json()["results"]
    assert listed == []
    listed = client.get(reverse("api:enterprise-list")).json()["results"]
    assert [row["code"] for row in listed] == [cell_maker.code]


def test_park_pages_and_figures_are_closed(client, energy_manager, cell_maker):
    client.force_login(energy_manager)
    for name in ("dashboards:overview", "plan", "enterprises:ledger", "enterprises:register",
                 "reports:index", "reporting:index", "api:figure-list", "api:indicator-list"):  # fmt: skip
        assert client.get(reverse(name)).status_code == 403, name
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("enterprises:profile", args=[cell_maker.code])


def test_own_pages_show_own_enterprise_only(client, energy_manager, cell_maker, other_enterprise):
    client.force_login(energy_manager)
    page = client.get(reverse("enterprises:profile", args=[cell_maker.code]))
    assert page.status_code == 200
    text = page.content.decode()
    assert cell_maker.name in text
    assert other_enterprise.name not in text
    assert reverse("enterprises:ledger") not in text  # no link into the park's pages
    assert 'id="enter-quarter"' in text


def test_quarter_page_enter_submit_and_review(client, energy_manager, cell_maker, head, clerk):
    url = reverse("enterprises:quarter", args=[cell_maker.code, PERIOD])
    client.force_login(energy_manager)
    body = {f"value_{code}": "0" for code in ENTERPRISE_ITEMS}
    body |= {"value_electricity_grid": "88.5", "action": "save"}
    assert client.post(url, body).status_code == 302
    bad = client.post(url, body | {"value_coal_raw": "abc"})
    assert bad.status_code == 400
    assert _figures(cell_maker.code).get(item__code="coal_raw").value == 0
    assert client.post(url, {"action": "submit"}).status_code == 302
    assert EnterprisePeriod.objects.get(enterprise=cell_maker).state == "submitted"
    # The energy manager cannot approve their own; the DRS clerk cannot either.
    assert client.post(url, {"action": "approve"}).status_code == 403
    client.force_login(clerk)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="approve-button"' not in page.content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 403
    client.force_login(head)
    page = client.get(url)
    assert 'id="approve-button"' in page.content.decode()
    assert client.post(url, {"action": "approve", "comment": "同意"}).status_code == 302
    assert EnterprisePeriod.objects.get(enterprise=cell_maker).state == "approved"
    assert _figures(cell_maker.code).get(item__code="electricity_grid", counts=True).value == (
        Decimal("88.5")
    )


# --- footprints: an enterprise prepares its own products' studies ------------------------------


def test_energy_manager_prepares_own_footprints_only(
    client, energy_manager, cell_maker, other_enterprise, study, other_clerk
):
    """`study` is the ECO clerk's study of cell_maker (the energy manager's enterprise)."""
    from footprints import services
    from footprints.models import Study

    assert permissions.can_prepare_footprint(energy_manager, cell_maker)
    assert not permissions.can_prepare_footprint(energy_manager, other_enterprise)
    assert not permissions.can_record_footprint_reference(energy_manager)
    own = services.study_create(
        user=energy_manager, enterprise=cell_maker, product_key="cell-ncm-50",
        product_zh="三元电芯", declared_unit="1 kWh", reference_year=2024,
    )  # fmt: skip
    assert own.prepared_by == energy_manager
    with pytest.raises(PermissionRefused):
        services.study_create(
            user=energy_manager, enterprise=other_enterprise, product_key="x",
            product_zh="别家产品", declared_unit="1 个", reference_year=2024,
        )  # fmt: skip
    theirs = Study.objects.create(
        enterprise=other_enterprise, product_key="p", product_zh="别家产品", declared_unit="1 个",
        reference_year=2024, prepared_by=other_clerk,
    )  # fmt: skip
    with pytest.raises(PermissionRefused):
        services.study_submit(study=theirs, user=energy_manager)
    client.force_login(energy_manager)
    index = client.get(reverse("footprints:index")).content.decode()
    assert "三元电芯" in index
    assert "别家产品" not in index
    assert 'id="counters"' not in index  # the park's counters are not theirs
    before = _attempts()
    assert client.get(reverse("footprints:study", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("footprints:study", args=[study.pk])).status_code == 200
    # A new study naming another enterprise's id: refused, audited, nothing written.
    count = Study.objects.count()
    response = client.post(
        reverse("footprints:study_new"),
        {"enterprise": other_enterprise.pk, "product_key": "y", "product_zh": "越权",
         "declared_unit": "1 个", "reference_year": "2024"},
    )  # fmt: skip
    assert response.status_code == 403
    assert Study.objects.count() == count
    assert _attempts() == before + 2
    api = APIClient()
    api.force_authenticate(energy_manager)
    listed = api.get(reverse("api:footprint-list")).json()["results"]
    assert {row["enterprise"] for row in listed} == {cell_maker.code}
    assert api.get(reverse("api:footprint-detail", args=[theirs.pk])).status_code == 404


def test_a_quarter_imported_as_approved_starts_locked(energy_manager, cell_maker, administrator):
    """History the statistics office loaded as approved is not overwritten by a draft."""
    from indicators.exchange import item_specs
    from indicators.importing import parse_import_records
    from indicators.services import statistics_import

    rows = [{"period": PERIOD, "item": code, "value": "1", "scope": cell_maker.code}
            for code in ENTERPRISE_ITEMS]  # fmt: skip
    statistics_import(parsed=parse_import_records(rows, item_specs()), user=administrator,
                      source="test", approve=True)  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                                entries=_entries(coal_raw="5"))  # fmt: skip
    assert refused.value.code == "period_locked"
    assert _figures(cell_maker.code).filter(item__code="coal_raw").count() == 1


# --- its plan (一企一策): read, and report progress; measures stay the department's ---------


def test_energy_manager_reads_its_plan_and_reports_progress(
    client, energy_manager, cell_maker, other_enterprise, clerk
):
    from enterprises import work_services
    from enterprises.models import Measure, MeasureProgress

    data = {"title": "余热回收", "owner": "设备部", "start_quarter": "2026Q1",
            "due_quarter": "2026Q4", "savings_tce": "120", "savings_tco2": "300",
            "investment": "85"}  # fmt: skip
    measure = work_services.measure_create(user=clerk, enterprise=cell_maker, data=data)
    client.force_login(energy_manager)
    for name in ("enterprises:plan", "enterprises:visits", "enterprises:certificates"):
        assert client.get(reverse(name, args=[cell_maker.code])).status_code == 200, name
        assert client.get(reverse(name, args=[OTHER_CODE])).status_code == 403, name
    plan = client.get(reverse("enterprises:plan", args=[cell_maker.code])).content.decode()
    assert 'id="progress-new"' in plan
    assert 'id="measure-new"' not in plan
    url = reverse("enterprises:plan", args=[cell_maker.code])
    response = client.post(url, {"action": "progress", "measure": measure.pk,
                                 "period": "2026Q3", "state": "in_progress", "note": "设备已到货"})  # fmt: skip
    assert response.status_code == 302
    progress = MeasureProgress.objects.get(measure=measure)
    assert (progress.reported_by, progress.note) == (energy_manager, "设备已到货")
    # Measures themselves are the supervising department's.
    assert client.post(url, {"action": "measure", **data}).status_code == 403
    assert Measure.objects.count() == 1
