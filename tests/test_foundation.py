"""The plan as data: what setup_park loads equals ../shared/spec/plan.md, reruns change
nothing, administrators' edits survive, and the read API and plan page serve it."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from indicators.models import Target
from tasks.models import Department, Plan, Task

PLAN_MD = Path(__file__).resolve().parents[2] / "shared" / "spec" / "plan.md"
pytestmark = pytest.mark.django_db


def _table(title_marker: str) -> list[list[str]]:
    """Rows of the first markdown table after the line containing `title_marker`."""
    lines = PLAN_MD.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if title_marker in line)
    if not lines[start].startswith("|"):
        start += 1  # a heading: the table follows it
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append(cells)
    return rows[1:]  # without the header


@pytest.fixture(scope="module")
def plan_md_available():
    if not PLAN_MD.exists():
        pytest.skip("shared/spec/plan.md is not beside the checkout")


def test_departments_equal_plan_md(park, plan_md_available):
    # plan.md adds a remark in brackets after the Management Committee's English name.
    expected = [(code, zh, en.split(" (")[0]) for code, zh, en in _table("## Departments")]
    loaded = list(Department.objects.order_by("order").values_list("code", "name_zh", "name_en"))
    assert loaded == expected


def test_tasks_and_their_units_equal_plan_md(park, plan_md_available):
    name_to_code = dict(Department.objects.values_list("name_zh", "code"))
    rows = [(number, title, units) for number, _section, title, units in _table("| # | section")]
    rows += [(number, title, units) for number, title, units in _table("| # | item |")]
    assert len(rows) == 21
    for number, title, units in rows:
        task = Task.objects.get(code=number)
        assert task.title_zh == title, number
        expected_units = [name_to_code[name] for name in units.split("、")]
        loaded = list(
            task.responsibilities.order_by("order").values_list("department__code", "role")
        )
        assert [code for code, _role in loaded] == expected_units, number
        assert [role for _code, role in loaded] == ["lead"] + ["support"] * (len(loaded) - 1)
        assert task.text_zh, f"task {number} has its full text"
        assert task.work_items.exists(), f"task {number} has work items"


def _expected_target(target_text: str, year_text: str, kind_text: str):
    numbers = re.findall(r"\d+(?:\.\d+)?", target_text)
    value = Decimal(numbers[0]) if numbers and "administrator" not in kind_text else None
    if "milestone" in kind_text:
        value = None
    if "not given" in year_text:
        year = 2030
    elif year_text.strip() in {"—", "-"}:
        year = None
    else:
        year = int(year_text)
    if "milestone" in kind_text:
        kind = "milestone"
    elif "vs 2025" in target_text or "reduction vs 2025" in kind_text:
        kind = "reduction_vs_target"
    elif "reduction" in kind_text:
        kind = "reduction_vs_base"
    elif "hold" in kind_text and "reach by the year" not in kind_text:
        kind = "hold"
    else:
        kind = "level"
    return value, year, kind


# Upper-level assignments come per five-year period (issue 16 §5): T3/T4 are the 2025
# targets vs 2020, T3b/T4b the chained 2030 targets vs 2025; plan.md lists them once, 2030.
FIVE_YEAR_SPLIT = {"T3": ("T3b",), "T4": ("T4b",)}


def test_targets_equal_plan_md(park, plan_md_available):
    rows = _table("## Quantitative targets")
    expected = []
    for row in rows:
        expected += [row[0], *FIVE_YEAR_SPLIT.get(row[0], ())]
    assert (
        expected
        == list(Target.objects.order_by("order").values_list("code", flat=True))[: len(expected)]
    )
    for code, _indicator, target_text, year_text, kind_text, tasks_text in rows:
        target = Target.objects.get(code=code)
        value, year, kind = _expected_target(target_text, year_text, kind_text)
        if code in FIVE_YEAR_SPLIT:
            year = 2025
        assert (target.value, target.target_year, target.kind) == (value, year, kind), code
        assert sorted(target.tasks.values_list("code", flat=True)) == sorted(
            t.strip() for t in tasks_text.split(",")
        ), code
        assert target.source_sentence_zh, f"{code} keeps the sentence it comes from"


@pytest.mark.parametrize(
    ("_case", "code", "qualifier"),
    [
        ("约 about", "T1", "about"),
        ("力争 strive", "T15", "strive"),
        ("保持 hold", "T13", "hold"),
        ("binding", "T5", "binding"),
    ],
)
def test_target_qualifiers(park, _case, code, qualifier):
    assert Target.objects.get(code=code).qualifier == qualifier


def test_chained_and_unset_targets(park):
    assert Target.objects.get(code="T2b").base_target.code == "T2"
    assert Target.objects.get(code="T3").awaits_value
    assert Target.objects.get(code="T4").awaits_value


def _row_counts():
    from django.apps import apps

    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_setup_park_twice_changes_nothing(db, capsys):
    call_command("setup_park")
    counts = _row_counts()
    capsys.readouterr()
    call_command("setup_park")
    assert "created 0, updated 0" in capsys.readouterr().out
    assert _row_counts() == counts
    assert Task.objects.count() == 21


def test_an_administrators_edit_survives_a_rerun(db, capsys):
    call_command("setup_park")
    task = Task.objects.get(code="1")
    task.title_en = "Clean energy, as the administrator words it"
    task.save()
    target = Target.objects.get(code="T3")
    target.value = Decimal("13.5")
    target.save()

    call_command("setup_park")

    assert Task.objects.get(code="1").title_en == "Clean energy, as the administrator words it"
    assert Target.objects.get(code="T3").value == Decimal("13.5")
    assert "kept administrator edit: task 1" in capsys.readouterr().out


def test_an_unedited_row_follows_a_changed_fixture(db, tmp_path):
    import json

    from dezhou_carbon.seeding import SeedReport
    from tasks.services import PLAN_FIXTURE, plan_seed

    plan_seed()
    data = json.loads(PLAN_FIXTURE.read_text(encoding="utf-8"))
    data["tasks"][1]["title_en"] = "Strengthen energy management in the park (revised)"
    changed = tmp_path / "plan.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    report = plan_seed(path=changed, report=SeedReport())

    assert report.updated == ["task 2"]
    assert Task.objects.get(code="2").title_en.endswith("(revised)")


# --- Read API ------------------------------------------------------------------------------

API_LISTS = [
    "api:department-list",
    "api:task-list",
    "api:target-list",
    "api:indicator-list",
    "api:item-list",
    "api:indicator-value-list",
]


@pytest.mark.parametrize("name", API_LISTS)
def test_anonymous_users_are_refused(park, name):
    response = APIClient().get(reverse(name))
    assert response.status_code in (401, 403)
    assert response.json()["message_zh"]
    assert response.json()["message_en"]


@pytest.mark.parametrize("name", API_LISTS)
def test_a_signed_in_outsider_without_a_role_is_refused(outsider, name):
    client = APIClient()
    client.force_authenticate(outsider)
    assert client.get(reverse(name)).status_code == 403


def test_tasks_api_lists_responsibilities_lead_first(committee_member):
    client = APIClient()
    client.force_authenticate(committee_member)
    body = client.get(reverse("api:task-list"), {"limit": 50}).json()
    assert body["count"] == 21
    task_one = next(t for t in body["results"] if t["code"] == "1")
    assert [r["department"] for r in task_one["responsibilities"]] == ["DRS", "EIT", "NRB", "GRID"]
    assert task_one["responsibilities"][0]["role"] == "lead"
    assert task_one["targets"] == ["T1", "T1b", "T20"]


def test_targets_api_serves_indicator_kind_values_and_years(committee_member):
    client = APIClient()
    client.force_authenticate(committee_member)
    rows = {t["code"]: t for t in client.get(reverse("api:target-list")).json()["results"]}
    assert rows["T2"]["indicator"] == "energy_intensity_iva"
    assert rows["T2"]["kind"] == "reduction_vs_base"
    assert Decimal(rows["T2"]["value"]) == Decimal(18)
    assert (rows["T2"]["base_year"], rows["T2"]["target_year"]) == (2020, 2025)
    assert rows["T2b"]["base_target"] == "T2"
    assert rows["T3"]["awaits_value"] is True


def test_departments_api(committee_member):
    client = APIClient()
    client.force_authenticate(committee_member)
    codes = [d["code"] for d in client.get(reverse("api:department-list")).json()["results"]]
    assert codes[0] == "DRS"
    assert codes[-1] == "MC"
    assert len(codes) == 13


def test_openapi_schema_and_docs_are_served_offline(committee_member, client):
    client.force_login(committee_member)
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200
    assert b"/api/v1/indicator-values/" in schema.content
    docs = client.get(reverse("api-docs")).content.decode()
    assert "cdn" not in docs.lower()
    assert "drf_spectacular_sidecar" in docs


# --- Pages ---------------------------------------------------------------------------------


def test_login_page_is_chinese_first(client):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert 'data-language="en"' in page


def test_plan_page_shows_sections_tasks_units_and_targets(committee_member, client):
    client.force_login(committee_member)
    page = client.get(reverse("plan")).content.decode()
    assert "德州经济技术开发区国家碳达峰试点园区建设方案" in page
    assert "（一）" in page  # full-width, as the plan is printed
    assert "提高能源清洁高效利用水平" in page
    assert "大力发展清洁能源" in page
    assert 'data-role="lead">发改统计部' in page
    assert "目标值待管理员设定" in page  # T3/T4
    assert "政策创新" in page


def test_plan_page_needs_a_role(outsider, client):
    client.force_login(outsider)
    assert client.get(reverse("plan")).status_code == 403


def test_plan_page_redirects_anonymous_users_to_login(park, client):
    response = client.get(reverse("plan"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_plan_page_query_count_does_not_grow_with_the_plan(committee_member, client):
    client.force_login(committee_member)
    client.get(reverse("plan"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("plan"))
    plan = Plan.objects.get()
    section = plan.sections.first()
    for number in range(30):
        task = Task.objects.create(
            plan=plan,
            section=section,
            code=f"X{number}",
            title_zh=f"新增任务{number}",
            order=100 + number,
        )
        task.responsibilities.create(department=Department.objects.first(), role="lead")
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("plan"))
    assert len(after) == len(before)


def test_english_is_complete_beside_chinese(committee_member, client):
    client.force_login(committee_member)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("plan")).content.decode()
    assert '<html lang="en">' in page
    for english in [
        "Quantitative targets",
        "Sign out",
        "Lead",
        "Support",
        "Target value to be set by an administrator",
        "Vigorously develop clean energy",
    ]:
        assert english in page, english
    for chinese_label in ["量化目标", "退出", "目标值待管理员设定"]:
        assert chinese_label not in page, chinese_label


def test_the_english_catalogue_translates_every_message():
    po = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert _untranslated(po) == []
    import gettext

    with po.with_suffix(".mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    entries = re.findall(
        r'^msgid "(.+)"\nmsgstr "(.+)"$', po.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    stale = [
        msgid
        for msgid, msgstr in entries
        if catalogue.gettext(msgid.replace('\\"', '"')) != msgstr.replace('\\"', '"')
    ]
    assert stale == [], "run compilemessages: the .mo is older than the .po"


def _untranslated(po_path: Path) -> list[str]:
    entries = re.findall(
        r'^msgid "(.*)"\nmsgstr "(.*)"$', po_path.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    return [msgid for msgid, msgstr in entries if msgid and not msgstr]
