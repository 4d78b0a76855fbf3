"""A quarter reported end to end in Chinese, in Debian's Chromium: the DRS clerk signs in,
fills 2024Q1, hits a validation error, fixes it and submits; the head returns it with a
comment; the clerk corrects and resubmits; the head approves; a real Celery worker then
recomputes energy per unit of industrial value added, which the committee reads on the API.

Every step leaves a screenshot in test-artifacts/<test>/."""

from decimal import Decimal

import pytest
from django.db import connections

from indicators.calculations import chain_constant_price
from indicators.models import Figure
from indicators.selectors import coefficient_book
from reporting.services import round_open
from tests.helpers import GROWTH, WORKED_EXAMPLE_ANNUAL, import_rows
from tests.services import wait_for

D = Decimal
PASSWORD = "correct horse battery staple"
PERIOD = "2024Q1"
WAIT_MS = 15_000

# What DRS and GRID reported in 2023, quarter by quarter (approved history).
DRS_2023 = {
    "coal_raw": ["66000", "62000", "60500", "68000"],
    "natural_gas": ["1320", "1180", "1150", "1400"],
    "diesel": ["460", "480", "470", "455"],
    "heat_purchased": ["362000", "341000", "330000", "380000"],
    "iva_current": ["296000", "305000", "318000", "331000"],
}
GRID_2023 = {"electricity_grid": ["32000", "33500", "35800", "34200"]}
# GRID's 2024Q1, already approved: energy needs the grid's electricity.
GRID_2024Q1 = {
    "electricity_grid": "33500",
    "electricity_green": "2100",
    "electricity_pv": "950",
    "pv_capacity": "48",
}
# What the DRS clerk types for 2024Q1 (t, 万m³, GJ, tce, 万元, %); 0 where nothing.
DRS_2024Q1 = {
    "coal_raw": "64800",
    "coal_washed": "0",
    "coke": "1150",
    "fuel_oil": "0",
    "gasoline": "300",
    "diesel": "450",
    "lpg": "32",
    "natural_gas": "1365",
    "heat_purchased": "368000",
    "energy_feedstock": "1800",
    "iva_current": "312000",
    "iva_growth_ytd": "6.8",
    "gdp_current": "905000",
    "gdp_growth_ytd": "6.1",
}
CORRECTED_GAS = "1352"
RETURN_COMMENT = "天然气用量与燃气公司抄表数不符，请核实后重新提交。"


def _history_rows() -> list[dict]:
    """2020 (the base year) from the methodology's worked example, the published growth
    of 2021–2023, DRS and GRID's 2023, and GRID's 2024Q1; nothing of DRS's 2024Q1."""
    rows = []
    for item, annual in WORKED_EXAMPLE_ANNUAL[2020].items():
        for quarter in range(1, 5):
            rows.append({"period": f"2020Q{quarter}", "item": item, "value": str(D(annual) / 4)})
    for year in (2021, 2022, 2023):
        for quarter in range(1, 5):
            rows.append(
                {"period": f"{year}Q{quarter}", "item": "iva_growth_ytd", "value": GROWTH[year]}
            )
    for item, values in {**DRS_2023, **GRID_2023}.items():
        for quarter, value in enumerate(values, start=1):
            rows.append({"period": f"2023Q{quarter}", "item": item, "value": value})
    rows += [{"period": PERIOD, "item": item, "value": v} for item, v in GRID_2024Q1.items()]
    return rows


def _expected_intensity(drs: dict[str, str]) -> Decimal:
    """E当量 ÷ industrial value added at 2020 prices, computed here from the coefficients."""
    book = coefficient_book()
    fuels = ["coal_raw", "coal_washed", "coke", "fuel_oil", "gasoline", "diesel", "lpg",
             "natural_gas"]  # fmt: skip
    energy = sum((D(drs[f]) * book.lookup(f"tce.{f}").value for f in fuels), D(0))
    electricity = D(GRID_2024Q1["electricity_grid"]) + D(GRID_2024Q1["electricity_pv"])
    energy += electricity * book.lookup("tce.electricity_calorific").value
    energy += D(drs["heat_purchased"]) * book.lookup("tce.heat").value
    base = D(WORKED_EXAMPLE_ANNUAL[2020]["iva_current"]) / 4
    growth = [D(GROWTH[y]) for y in (2021, 2022, 2023)] + [D(drs["iva_growth_ytd"])]
    return energy / chain_constant_price(base, growth)


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    """While Playwright's sync API runs, the test body's queries use a connection of their
    own that pytest-django does not know about; close it, or the test database cannot be
    dropped at the end of the run ("being accessed by other users")."""
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_a_quarter_reported_returned_corrected_and_approved_in_the_browser(
    celery_worker_process,
    browser_page,
    live_server,
    artifacts_dir,
    administrator,
    statistics_office,
    clerk,
    head,
    committee_member,
):
    from playwright.sync_api import expect

    import_rows(_history_rows(), user=administrator)
    round_open(period=PERIOD, user=statistics_office)
    page = browser_page
    page.set_default_timeout(WAIT_MS)
    url = live_server.url
    shots = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=artifacts_dir / f"{next(shots):02d}-{name}.png", full_page=True)

    def sign_in(user, next_path: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{url}/accounts/login/?next={next_path}")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{url}{next_path}")

    def row(code: str):
        return page.locator(f'tr[data-item="{code}"]')

    # 1. The clerk signs in and opens 2024Q1 from the reporting home.
    page.goto(f"{url}/accounts/login/?next=/reporting/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    shot("login")
    sign_in(clerk, "/reporting/")
    expect(page.locator("#department-rounds")).to_contain_text("发改统计部的填报轮次")
    expect(page.locator(f'tr[data-period="{PERIOD}"]')).to_contain_text("未开始")
    shot("clerk-reporting-home")
    page.locator(f'tr[data-period="{PERIOD}"] a', has_text="2024年一季度").click()
    page.wait_for_url(f"{url}/reporting/{PERIOD}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "发改统计部 · 2024年一季度 数据填报"
    )

    # 2. Fills every DRS item; the year-on-year change follows the typing.
    for code, value in {**DRS_2024Q1, "iva_growth_ytd": "500"}.items():
        page.locator(f"#value-{code}").fill(value)
    expect(row("coal_raw").locator("[data-change]")).to_have_text(
        "\u22121.8%"
    )  # 64800 vs 66000, with the one minus sign (display.py)
    expect(row("iva_growth_ytd").locator("[data-change]")).to_have_text("+493.8 个百分点")
    shot("entry-filled")

    # 3. 500 % growth is refused next to its item; nothing is saved.
    page.get_by_role("button", name="保存草稿").click()
    expect(row("iva_growth_ytd").locator(".issue.hard")).to_contain_text("超出合理范围")
    expect(page.locator("#form-errors")).to_contain_text("有数据未通过校验，未保存")
    assert not Figure.objects.filter(department__code="DRS", period=PERIOD).exists()
    shot("entry-validation-error")

    # 4. Fixed, then submitted.
    page.locator("#value-iva_growth_ytd").fill(DRS_2024Q1["iva_growth_ytd"])
    expect(row("iva_growth_ytd").locator("[data-change]")).to_have_text("+0.6 个百分点")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#period-state")).to_have_text("已提交")
    expect(page.locator("#value-coal_raw")).to_be_disabled()
    shot("entry-submitted")

    # 5. The head is told, opens the review from the notification and returns it.
    sign_in(head, "/reporting/notifications/")
    notification = page.locator(".notification.unread").first
    expect(notification).to_contain_text("发改统计部 2024年一季度 数据已提交，请审核。")
    shot("head-notifications")
    notification.get_by_role("link", name="查看").click()
    page.wait_for_url(f"{url}/reporting/{PERIOD}/review/DRS/")
    expect(row("natural_gas")).to_contain_text("1365")
    shot("head-review")
    page.locator("form.decision.return textarea").fill(RETURN_COMMENT)
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator("#period-state")).to_have_text("已退回")
    shot("head-returned")

    # 6. The clerk sees the comment (on a tablet this time), corrects and resubmits.
    sign_in(clerk, f"/reporting/{PERIOD}/")
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.locator("#returned-comment")).to_contain_text(RETURN_COMMENT)
    page.locator("#value-natural_gas").fill(CORRECTED_GAS)
    page.locator("#value-natural_gas").press("Tab")
    expect(row("natural_gas").locator("[data-change]")).to_have_text("+2.4%")  # vs 1320
    shot("clerk-correcting-tablet")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#period-state")).to_have_text("已提交")
    shot("entry-resubmitted")

    # 7. The head approves.
    sign_in(head, f"/reporting/{PERIOD}/review/DRS/")
    expect(row("natural_gas")).to_contain_text(CORRECTED_GAS)
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#period-state")).to_have_text("已审核锁定")
    shot("head-approved")

    # 8. The committee sees the board, and the indicator a real worker recomputed.
    sign_in(committee_member, f"/reporting/{PERIOD}/board/")
    expect(page.locator('tr[data-department="DRS"]')).to_contain_text("已审核锁定")
    expect(page.locator('tr[data-department="DRS"]')).to_contain_text("zhang.head")
    shot("committee-board")
    page.locator('tr[data-department="DRS"]').get_by_role("link", name="历史").click()
    page.wait_for_url(f"{url}/reporting/{PERIOD}/history/DRS/")
    expect(page.locator('tr[data-item="natural_gas"][data-version="2"]')).to_contain_text("1352")
    expect(page.locator('tr[data-action="return"]')).to_contain_text(RETURN_COMMENT)
    shot("committee-history")
    page.locator('button[data-language="en"]').click()  # English beside Chinese
    expect(page.get_by_role("heading", level=1)).to_contain_text("Q1 2024 history")
    shot("committee-history-en")

    expected = _expected_intensity({**DRS_2024Q1, "natural_gas": CORRECTED_GAS})
    api = f"{url}/api/v1/indicator-values/?indicator=energy_intensity_iva&period={PERIOD}"

    def result():
        response = page.request.get(api, headers={"Accept": "application/json"})
        assert response.status == 200, response.text()
        rows = response.json()["results"]
        if rows and rows[0]["value"] is not None:
            value = D(rows[0]["value"])
            if abs(value - expected) <= expected * D("1e-9"):
                return rows[0]
        return None

    found = wait_for(result, timeout=30, interval=0.5)
    assert found, (
        f"energy_intensity_iva {PERIOD} did not become {expected} within 30 s:\n"
        f"{celery_worker_process.log()}"
    )
    gas = Figure.objects.get(item__code="natural_gas", period=PERIOD, counts=True)
    assert (gas.value, gas.version) == (D(CORRECTED_GAS), 2)
    assert gas.pk in found["input_figure_ids"]
    assert found["provisional"] is False
    page.goto(api + "&format=json")
    expect(page.locator("body")).to_contain_text('"energy_intensity_iva"')
    pretty = page.get_by_label("Pretty-print")  # Chromium's own JSON viewer
    if pretty.count():
        pretty.check()
    shot("api-energy-intensity")
