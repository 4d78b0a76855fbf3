"""Issue 17 #9: the supervising department's review of enterprises' own quarters — the
review queue (list page and the head's to-do) and the correction of an approved quarter
only as a new version (asked for by the energy manager, reopened with a reason by the
head, approved again), nothing overwritten, audited."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises.models import Enterprise, EnterprisePeriod
from enterprises.quarters import (
    ENTERPRISE_ITEMS,
    enterprise_quarter_approve,
    enterprise_quarter_correction_request,
    enterprise_quarter_reopen,
    enterprise_quarter_return,
    enterprise_quarter_save,
    enterprise_quarter_submit,
)
from indicators.cache import page_generation_bump
from indicators.models import Figure
from reporting.models import Notification
from reporting.workflow import EntryValue
from tasks.models import Department

PERIOD = "2024Q1"


def _entries(**values) -> list[EntryValue]:
    return [EntryValue(code, Decimal(str(values.get(code, "0")))) for code in ENTERPRISE_ITEMS]


def _submitted(manager, enterprise, period=PERIOD, **values):
    enterprise_quarter_save(
        enterprise=enterprise, period=period, user=manager, entries=_entries(**values)
    )
    return enterprise_quarter_submit(enterprise=enterprise, period=period, user=manager)


def _approved(manager, head, enterprise, **values):
    _submitted(manager, enterprise, **values)
    return enterprise_quarter_approve(enterprise=enterprise, period=PERIOD, user=head)


def _counting(enterprise, item="electricity_grid"):
    return Figure.objects.get(scope=enterprise.code, item__code=item, counts=True)


# --- the review queue --------------------------------------------------------------------


def test_the_queue_lists_the_supervised_enterprises_submitted_quarters(
    client, energy_manager, cell_maker, head, clerk, eco_head
):
    _submitted(energy_manager, cell_maker, electricity_grid="120")
    client.force_login(head)
    page = client.get(reverse("enterprises:quarters")).content.decode()
    assert f'data-quarter="{cell_maker.code}-{PERIOD}"' in page
    link = reverse("enterprises:quarter", args=[cell_maker.code, PERIOD])
    assert link in page
    # The head's to-do shows it too, with a link to decide it.
    todo = client.get(reverse("tasks:todo")).content.decode()
    assert 'id="todo-enterprise-quarters"' in todo
    assert link in todo
    # Not the clerk's to-do (it does not decide); not another department's head's queue.
    client.force_login(clerk)
    assert 'id="todo-enterprise-quarters"' not in client.get(reverse("tasks:todo")).content.decode()
    client.force_login(eco_head)
    page = client.get(reverse("enterprises:quarters")).content.decode()
    assert cell_maker.code not in page
    # Decided: it leaves the queue, and is listed under its decision.
    enterprise_quarter_return(enterprise=cell_maker, period=PERIOD, user=head, comment="补充说明")
    client.force_login(head)
    assert cell_maker.code not in client.get(reverse("enterprises:quarters")).content.decode()
    returned = client.get(reverse("enterprises:quarters") + "?view=returned").content.decode()
    assert f'data-quarter="{cell_maker.code}-{PERIOD}"' in returned
    assert "补充说明" in returned


def test_the_energy_manager_has_no_queue(client, energy_manager, cell_maker):
    client.force_login(energy_manager)
    assert client.get(reverse("enterprises:quarters")).status_code == 403


def _many_enterprises(n, drs):
    from indicators.importing import credit_code_check_char

    enterprises = []
    for k in range(n):
        first17 = f"91371400MA3D{k:05d}"
        enterprises.append(
            Enterprise(
                code=first17 + credit_code_check_char(first17), name=f"企业{k}", industry="3841",
                supervising_department=drs,
            )
        )  # fmt: skip
    Enterprise.objects.bulk_create(enterprises)
    EnterprisePeriod.objects.bulk_create(
        EnterprisePeriod(enterprise=e, period=PERIOD, state="submitted")
        for e in Enterprise.objects.filter(name__startswith="企业")
    )


@pytest.mark.parametrize("url", ["enterprises:quarters", "tasks:todo"])
def test_the_queue_reads_a_fixed_number_of_queries(client, park, head, url):
    drs = Department.objects.get(code="DRS")
    client.force_login(head)
    _many_enterprises(10, drs)
    client.get(reverse(url))
    page_generation_bump()
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url)).status_code == 200
    EnterprisePeriod.objects.all().delete()
    Enterprise.objects.filter(name__startswith="企业").delete()
    _many_enterprises(300, drs)
    page_generation_bump()
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse(url))
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    if url == "enterprises:quarters":
        assert page.content.decode().count("data-quarter=") == 50  # the oldest 50 listed


# --- correction after approval -----------------------------------------------------------


def test_an_approved_quarter_is_corrected_only_as_a_new_version(
    energy_manager, cell_maker, head, clerk
):
    row = _approved(energy_manager, head, cell_maker, electricity_grid="120")
    first = _counting(cell_maker)
    # Locked: the energy manager cannot change it.
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                                entries=[EntryValue("electricity_grid", Decimal("125"))])  # fmt: skip
    assert refused.value.code == "period_locked"
    # It asks for a correction, with a reason; once.
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_correction_request(
            enterprise=cell_maker, period=PERIOD, user=energy_manager, reason=" "
        )
    assert refused.value.code == "reason_required"
    enterprise_quarter_correction_request(
        enterprise=cell_maker, period=PERIOD, user=energy_manager, reason="三月电费单据漏计"
    )
    assert Notification.objects.filter(user=head, kind="correction_requested").exists()
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_correction_request(
            enterprise=cell_maker, period=PERIOD, user=energy_manager, reason="再次"
        )
    assert refused.value.code == "already_requested"
    # Only the supervising head reopens, with a reason.
    for person in (energy_manager, clerk):
        with pytest.raises(PermissionRefused):
            enterprise_quarter_reopen(enterprise=cell_maker, period=PERIOD, user=person, reason="x")
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_reopen(enterprise=cell_maker, period=PERIOD, user=head, reason="")
    assert refused.value.code == "reason_required"
    row = enterprise_quarter_reopen(
        enterprise=cell_maker, period=PERIOD, user=head, reason="三月电费单据漏计，准予更正"
    )
    assert row.state == "open"
    assert row.correction_requested_at is None
    assert Notification.objects.filter(user=energy_manager, kind="reopened").exists()
    # The corrected value is a new version with the reason; the approved one still counts.
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=[EntryValue("electricity_grid", Decimal("125"))])  # fmt: skip
    draft = Figure.objects.get(scope=cell_maker.code, item__code="electricity_grid", is_latest=True)
    assert draft.state == "draft"
    assert draft.version == first.version + 1
    assert draft.reason == "三月电费单据漏计，准予更正"
    assert _counting(cell_maker).pk == first.pk
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    assert _counting(cell_maker).pk == first.pk  # until the head approves again
    row = enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head)
    assert row.state == "approved"
    assert _counting(cell_maker).value == Decimal("125")
    first.refresh_from_db()
    assert first.value == Decimal("120")  # nothing overwritten
    assert first.state == "approved"
    assert not first.counts
    # The other items' approved versions are untouched and still count.
    assert _counting(cell_maker, "iva_current").version == 1
    events = AuditEvent.objects.filter(object_type="enterprise_period", object_id=str(row.pk))
    assert list(events.order_by("pk").values_list("action", "actor")) == [
        ("submit", energy_manager.pk),
        ("approve", head.pk),
        ("enterprise_quarter_correction_request", energy_manager.pk),
        ("enterprise_quarter_reopen", head.pk),
        ("submit", energy_manager.pk),
        ("approve", head.pk),
    ]
    enter = AuditEvent.objects.filter(action="figure_enter", object_id=str(draft.pk)).get()
    assert enter.reason == "三月电费单据漏计，准予更正"


def test_the_head_reopens_without_a_request_and_only_approved_quarters(
    energy_manager, cell_maker, head
):
    _submitted(energy_manager, cell_maker)
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_reopen(enterprise=cell_maker, period=PERIOD, user=head, reason="x")
    assert refused.value.code == "invalid_state"
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_correction_request(
            enterprise=cell_maker, period=PERIOD, user=energy_manager, reason="x"
        )
    assert refused.value.code == "invalid_state"
    enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head)
    row = enterprise_quarter_reopen(
        enterprise=cell_maker, period=PERIOD, user=head, reason="核查发现天然气用量有误"
    )
    assert row.reopened_by == head


def test_the_quarter_page_walks_the_correction(client, energy_manager, cell_maker, head):
    _approved(energy_manager, head, cell_maker, electricity_grid="120")
    url = reverse("enterprises:quarter", args=[cell_maker.code, PERIOD])
    client.force_login(energy_manager)
    page = client.get(url).content.decode()
    assert 'id="correction-form"' in page
    assert 'id="reopen-form"' not in page
    assert client.post(url, {"action": "reopen", "reason": "x"}).status_code == 403
    client.post(url, {"action": "request_correction", "reason": "电费单据漏计"})
    client.force_login(head)
    page = client.get(url).content.decode()
    assert 'id="correction-request"' in page
    assert 'value="电费单据漏计"' in page  # the reopen form starts from the request
    correction = client.get(reverse("enterprises:quarters") + "?view=correction").content.decode()
    assert f'data-quarter="{cell_maker.code}-{PERIOD}"' in correction
    client.post(url, {"action": "reopen", "reason": "准予更正"})
    client.force_login(energy_manager)
    page = client.get(url).content.decode()
    assert 'id="reopen-reason"' in page
    assert 'data-state="open"' in page
    assert 'id="submit-button"' in page


def test_the_api_asks_for_and_reopens_a_correction(energy_manager, cell_maker, head, clerk):
    from rest_framework.test import APIClient

    _approved(energy_manager, head, cell_maker, electricity_grid="120")
    base = f"/api/v1/enterprises/{cell_maker.code}/quarters/{PERIOD}/"
    manager, reviewer = APIClient(), APIClient()
    manager.force_authenticate(energy_manager)
    reviewer.force_authenticate(head)
    refused = manager.post(base + "correction/", {"reason": ""}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_required"
    assert manager.post(base + "reopen/", {"reason": "x"}, format="json").status_code == 403
    answer = manager.post(base + "correction/", {"reason": "电费单据漏计"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["state"] == "approved"
    answer = reviewer.post(base + "reopen/", {"reason": "准予更正"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["state"] == "open"
    assert EnterprisePeriod.objects.get(enterprise=cell_maker).reopen_reason == "准予更正"
