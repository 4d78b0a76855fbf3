"""Enterprise figures exceeding the park total (issue 17, Bad input): approving an
enterprise's quarter that would make Σ enterprises exceed the park's approved figure beyond
the tolerance is refused with the items in zh/en, nothing written; without a park figure it
is approved (the reconciliation's warning covers later changes)."""

from decimal import Decimal

import pytest

from dezhou_carbon.exceptions import ApplicationError
from enterprises.excess import excess_items
from enterprises.models import EnterprisePeriod
from enterprises.quarters import (
    ENTERPRISE_ITEMS,
    enterprise_quarter_approve,
    enterprise_quarter_save,
    enterprise_quarter_submit,
)
from indicators.models import Figure, StatisticalItem
from reporting.workflow import EntryValue
from tasks.models import Department

D = Decimal
PERIOD = "2024Q1"


@pytest.mark.parametrize(
    ("values", "others", "park", "found"),
    [
        ({"coal_raw": D("10")}, {"coal_raw": D("90")}, {"coal_raw": D("100")}, []),
        # 100.5 is within 0.5 % of 100; 100.51 is not.
        ({"coal_raw": D("10.5")}, {"coal_raw": D("90")}, {"coal_raw": D("100")}, []),
        ({"coal_raw": D("10.51")}, {"coal_raw": D("90")}, {"coal_raw": D("100")},
         [("coal_raw", D("100.51"), D("100"))]),
        ({"coal_raw": D("500")}, {}, {}, []),  # no park figure: not judged
        ({"coal_raw": D("1"), "coke": D("3")}, {}, {"coal_raw": D("2"), "coke": D("2")},
         [("coke", D("3"), D("2"))]),
    ],
)  # fmt: skip
def test_excess_items(values, others, park, found):
    assert excess_items(values=values, others=others, park=park, tolerance=D("0.005")) == found


def _park_figure(item: str, value: str, clerk):
    Figure.objects.create(
        item=StatisticalItem.objects.get(code=item), department=Department.objects.get(code="DRS"),
        period=PERIOD, year=2024, quarter=1, scope="", value=D(value), entered_by=clerk,
        state="approved", counts=True, is_latest=True,
    )  # fmt: skip


def _submit(energy_manager, cell_maker, **values):
    enterprise_quarter_save(
        enterprise=cell_maker, period=PERIOD, user=energy_manager,
        entries=[EntryValue(c, D(str(values.get(c, "0")))) for c in ENTERPRISE_ITEMS],
    )  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)


def test_an_approval_beyond_the_park_is_refused_nothing_written(
    energy_manager, cell_maker, head, clerk
):
    _park_figure("natural_gas", "100", clerk)
    _submit(energy_manager, cell_maker, natural_gas="150", iva_current="10")
    with pytest.raises(ApplicationError) as refused:
        enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head, comment="同意")
    assert refused.value.code == "exceeds_park"
    assert "园区" in refused.value.message_zh
    assert "park" in refused.value.message_en
    [detail] = refused.value.details
    assert (detail["item"], detail["enterprises"], detail["park"]) == ("natural_gas", "150", "100")
    assert detail["message_zh"]
    assert detail["message_en"]
    assert EnterprisePeriod.objects.get(enterprise=cell_maker).state == "submitted"
    assert not Figure.objects.filter(scope=cell_maker.code, counts=True).exists()


def test_within_the_park_it_is_approved(energy_manager, cell_maker, head, clerk):
    _park_figure("natural_gas", "200", clerk)
    _submit(energy_manager, cell_maker, natural_gas="150", iva_current="10")
    row = enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head)
    assert row.state == "approved"
