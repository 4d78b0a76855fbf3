"""A key project in Debian's Chromium, from registration to operation: DRS's clerk
registers it, records its energy review with the opinion's 文号 and its stages up to 开工,
finds it in the admission calculator by a search and prints the check, reports its quarter
— 投产 on 2026-11-01 — with an evidence file; DRS's head approves the quarter, which moves
the project to 投产. No console error on the way."""

import pytest

from reporting.services import round_open
from tasks.models import Department
from tests.test_footprints_browser import _database_closed_after_the_browser, _sign_in  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_drs_walks_a_project_from_registration_to_operation_in_the_browser(
    browser_page, live_server, tmp_path, clerk, head, statistics_office, cell_maker
):
    from playwright.sync_api import expect

    from projects.models import EnergyReview, Project, ProjectUpdate

    round_open(period="2026Q4", user=statistics_office)
    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url
    _sign_in(page, base, clerk)

    page.goto(f"{base}/projects/")
    page.click("#project-new-link")
    page.fill("input[name=code]", "DZ-2026-901")
    page.fill("input[name=name]", "年产 5GWh 储能电池项目")
    page.select_option("select[name=enterprise]", str(cell_maker.pk))
    page.select_option("select[name=kind]", "new")
    page.select_option("select[name=department]", str(Department.objects.get(code="DRS").pk))
    page.fill("input[name=planned_self_raised]", "80000")
    page.fill("input[name=value_added]", "30000")
    page.get_by_role("button", name="登记项目").click()
    expect(page.locator("h1")).to_contain_text("年产 5GWh 储能电池项目")
    project = Project.objects.get(code="DZ-2026-901")

    page.get_by_role("link", name="记录节能审查").click()
    page.fill("input[name=year]", "2022")
    page.locator("select[name=carrier]").nth(0).select_option("electricity")
    page.locator("input[name=quantity]").nth(0).fill("3000")
    page.fill("input[name=opinion_authority]", "德州市发展和改革委员会")
    page.fill("input[name=opinion_date]", "2026-03-01")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("须填写文号")  # refused, nothing written
    assert not EnergyReview.objects.exists()
    page.fill("input[name=document_no]", "德发改审〔2026〕31号")
    page.locator("select[name=carrier]").nth(0).select_option("electricity")
    page.locator("input[name=quantity]").nth(0).fill("3000")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#review")).to_contain_text("德发改审〔2026〕31号")
    expect(page.locator("#review")).to_contain_text("3687.00 tce")  # 3000 万kWh × 1.229

    for stage, day in (("approved", "2026-02-01"), ("energy_review", "2026-03-01"),
                       ("construction", "2026-04-01")):  # fmt: skip
        page.goto(f"{base}/projects/{project.pk}/stage/")
        page.select_option("select[name=stage]", stage)
        page.fill("input[name=actual_date]", day)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".messages")).to_contain_text("阶段已记录")
    expect(page.locator("#stage")).to_have_text("开工")

    # The admission check: found by a search among the reviewed projects, then printed.
    _park_2025()
    page.goto(f"{base}/projects/admission/")
    page.fill("input[name=q]", "5GWh")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("[data-candidate]")).to_have_count(1)
    page.locator("[data-candidate=DZ-2026-901] input").check()
    page.get_by_role("button", name="测算").click()
    expect(page.locator("#verdict")).to_have_attribute("data-verdict", "helps")  # 0.1229 ≤ 0.35
    page.get_by_role("link", name="打印版").click()
    expect(page.locator("#admission-result")).to_contain_text("0.1229")  # 3687 tce ÷ 30000 万元
    expect(page.locator("#admission-form")).to_have_count(0)

    page.goto(f"{base}/projects/{project.pk}/")
    page.get_by_role("link", name="报送季度进展").click()
    page.select_option("select[name=stage]", "operation")
    page.fill("input[name=completed_self_raised]", "20000")
    page.fill("textarea[name=milestone]", "主体设备安装完成并投产")
    evidence = tmp_path / "投产公告.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("input[name=files]", str(evidence))
    page.get_by_role("button", name="报送").click()
    expect(page.locator(".messages")).to_contain_text("请填写到达该阶段的日期")  # nothing written
    assert not ProjectUpdate.objects.exists()
    expect(page.locator("select[name=stage]")).to_have_value("operation")  # kept as chosen
    page.fill("input[name=stage_date]", "2026-11-01")
    page.fill("input[name=completed_self_raised]", "20000")
    page.fill("textarea[name=milestone]", "主体设备安装完成并投产")
    page.set_input_files("input[name=files]", str(evidence))
    page.get_by_role("button", name="报送").click()
    expect(page.locator("#updates")).to_contain_text("主体设备安装完成并投产")
    expect(page.locator("#stage")).to_have_text("开工")  # until its head approves

    _sign_in(page, base, head)
    page.goto(f"{base}/projects/{project.pk}/")
    page.locator("#updates").get_by_role("button", name="审核通过").click()
    expect(page.locator("#updates .state").first).to_contain_text("已审核")
    assert ProjectUpdate.objects.get(project=project).state == "approved"
    expect(page.locator("#stage")).to_have_text("投产")
    project.refresh_from_db()
    assert project.stage_events.get(stage="operation").actual_date.isoformat() == "2026-11-01"
    assert errors == [], errors


def _park_2025():
    from decimal import Decimal as D

    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (("energy_total_calorific", "400000", None),
                                ("energy_intensity_iva", "0.4", "0.35")):  # fmt: skip
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip
