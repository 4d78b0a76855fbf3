"""Hold targets (T12–T14: keep a ceiling or a floor every period) show their margin to the
threshold, never a completion percentage (issue 15 #7): the pure rule, the cards, and the
official PDF and xlsx."""

import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from dashboards import selectors
from indicators.cache import results_generation_bump
from indicators.calculations import hold_margin
from indicators.demo import demo_rows
from indicators.recompute import results_recompute
from reporting.services import round_open
from reports.rendering import pdf_html, render_xlsx
from reports.selectors import snapshot_document
from tests.helpers import import_rows

D = Decimal
HOLDS = ("T12", "T13", "T14")


@pytest.mark.parametrize(
    ("value", "threshold", "direction", "margin"),
    [
        (D("0.16"), D("0.78"), -1, D("0.62")),  # a ceiling, well kept
        (D("0.80"), D("0.78"), -1, D("-0.02")),  # a ceiling, crossed
        (D("96.5"), D("95"), 1, D("1.5")),  # a floor (a share: points), kept
        (D("90"), D("90"), 1, D("0")),  # exactly at the floor: held, no room left
        (D("89.25"), D("90"), 1, D("-0.75")),  # below the floor
        (None, D("90"), 1, None),
        (D("90"), None, 1, None),
    ],
)
def test_the_hold_margin_is_the_room_to_the_threshold_on_the_held_side(
    value, threshold, direction, margin
):
    assert hold_margin(value, threshold, direction) == margin


@pytest.mark.parametrize(
    ("margin", "unit", "places", "text"),
    [
        (D("1.5"), "%", 2, "+1.50 个百分点"),
        (D("-0.75"), "%", 2, "−0.75 个百分点"),
        (D("0.62"), "吨/万元", 4, "+0.6200 吨/万元"),
        (D("0"), "%", 2, "0.00 个百分点"),
        (None, "%", 2, "—"),
    ],
)
def test_a_margin_reads_in_points_for_shares_and_in_the_unit_otherwise(margin, unit, places, text):
    # A page test served in English may leave English active in this thread.
    with translation.override("zh-hans"):
        assert selectors.margin_text(margin, unit=unit, places=places) == text


@pytest.fixture
def demo(administrator):
    import_rows(demo_rows(), user=administrator)
    results_recompute()
    results_generation_bump()


def _card(html: str, code: str) -> str:
    found = re.search(rf'<article [^>]*id="target-{code}".*?</article>', html, flags=re.S)
    assert found, code
    return found[0]


@pytest.mark.django_db
def test_hold_cards_show_the_margin_and_no_completion(demo, committee_member):
    client = Client()
    client.force_login(committee_member)
    html = client.get("/dashboards/").content.decode()
    shown = 'data-period-shown="'
    period = html[html.index(shown) + len(shown) :].split('"', 1)[0]
    judged = {card.code: card.result for card in selectors.target_cards(period=period)}
    for code in HOLDS:
        card = _card(html, code)
        assert "距保持线" in card, code
        assert "完成进度" not in card, code
        result = judged[code]
        assert result is not None, code
        margin = hold_margin(result.value, result.target_value, result.indicator.direction)
        unit = result.indicator.unit
        expected = selectors.margin_text(margin, unit=unit, places=result.indicator.decimal_places)
        assert expected in unescape(card), (code, expected)
    assert "完成进度" in _card(html, "T2")  # other targets keep their completion


def _pdf_cells(html: str, code: str) -> list[str]:
    row = re.search(rf"<tr>\s*<td>{code}</td>.*?</tr>", html, flags=re.S)[0]
    return [unescape(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


@pytest.mark.django_db
def test_the_official_pdf_and_xlsx_show_the_margin_of_hold_targets(demo, statistics_office):
    reporting_round = round_open(period="2025", user=statistics_office)
    document = snapshot_document(reporting_round)
    taken_at = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
    held = {t["code"]: t["assessments"][""] for t in document["targets"] if t["code"] in HOLDS}
    assert all(a["hold_margin"] is not None for a in held.values()), held

    html = pdf_html(document, language="zh-hans", taken_at=taken_at)
    for code in HOLDS:
        completion = _pdf_cells(html, code)[7]
        assert completion.startswith("距保持线 "), (code, completion)
        assert "%" not in completion
    english = pdf_html(document, language="en", taken_at=taken_at)
    assert _pdf_cells(english, "T13")[7].endswith(" percentage points")
    assert _pdf_cells(html, "T2")[7].endswith("%")

    content = render_xlsx(document, language="zh-hans", taken_at=taken_at, progress=lambda _: None)
    sheet = load_workbook(io.BytesIO(content))["目标完成情况"]
    headings = [cell.value for cell in sheet[4]]
    completion, margin = headings.index("完成进度"), headings.index("距保持线余量")
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    for code in HOLDS:
        assert rows[code][completion].value is None, code
        assert Decimal(str(rows[code][margin].value)).quantize(D("0.0001")) == D(
            held[code]["hold_margin"]
        ).quantize(D("0.0001"))
    assert rows["T2"][completion].value is not None
    assert rows["T2"][margin].value is None
