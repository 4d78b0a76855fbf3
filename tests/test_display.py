"""What people read (issue 15 #5, #6, #10): one formatter for numbers, times and people
(dezhou_carbon/display.py, table-tested), audit actions and actors in words, and pages and
exports that use them: no code where a word belongs, Beijing time to the minute."""

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts.services import system_user
from audit.labels import ACTION_LABELS, action_label
from dezhou_carbon import display

D = Decimal
UTC = dt.UTC
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "places", "signed", "expected"),
    [
        (D("1234567.891"), 2, False, "1,234,567.89"),
        (D("-12345.678"), 2, False, "−12,345.68"),
        (D("-0.004"), 2, False, "0.00"),  # minus zero is zero
        (D("0.5"), 0, False, "1"),  # half up, not to even
        (D("2.5"), 0, False, "3"),
        (D("0.36461"), 4, False, "0.3646"),
        (D("75000.000000"), None, False, "75,000"),
        (D("6.800000"), None, False, "6.8"),
        (D("1.25"), 1, True, "+1.3"),
        (D("-1.25"), 1, True, "−1.3"),
        (D("0"), 1, True, "0.0"),
        ("12.5", 1, False, "12.5"),
        (None, 2, False, "—"),
        ("", 2, False, "—"),
        ("n/a", 2, False, "—"),
        (D("NaN"), 2, False, "—"),
    ],
)
def test_a_number_is_written_one_way(value, places, signed, expected):
    assert display.number(value, places, signed=signed) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (D("88.7"), {"places": 2}, "88.70%"),  # no space before the sign
        (D("0.887"), {"places": 1, "fraction": True}, "88.7%"),
        (D("-0.2349"), {"places": 1, "fraction": True, "signed": True}, "−23.5%"),
        (D("0.0512"), {"places": 1, "fraction": True, "signed": True}, "+5.1%"),
        (None, {}, "—"),
    ],
)
def test_a_percentage_has_no_stray_space_and_one_minus_sign(value, kwargs, expected):
    assert display.percent(value, **kwargs) == expected


def test_percentage_points_are_named_in_the_page_language():
    with translation.override("zh-hans"):
        assert display.points(D("1.24")) == "+1.2 个百分点"
    with translation.override("en"):
        assert display.points(D("-0.55")) == "−0.6 percentage points"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2026, 12, 3, 7, 37, 59, 123456, tzinfo=UTC), "2026-12-03 15:37"),
        ("2026-12-03T07:37:59.123456+00:00", "2026-12-03 15:37"),  # lineage's stored text
        ("2026-12-03T15:37:59+08:00", "2026-12-03 15:37"),  # snapshots' local text
        (dt.datetime(2026, 12, 31, 17, 5, tzinfo=UTC), "2027-01-01 01:05"),  # the date turns
        (None, ""),
        ("", ""),
        ("not a time", ""),
    ],
)
def test_every_moment_is_beijing_time_to_the_minute(value, expected):
    assert display.moment(value) == expected


def test_a_spreadsheet_moment_is_naive_beijing_time_to_the_minute():
    stored = dt.datetime(2026, 12, 3, 7, 37, 59, 999999, tzinfo=UTC)
    assert display.local_moment(stored) == dt.datetime(2026, 12, 3, 15, 37)  # noqa: DTZ001


@pytest.mark.django_db
def test_people_are_named_and_the_system_is_said_in_words(clerk):
    clerk.first_name, clerk.last_name = "丽", "李"
    assert display.person(clerk) == clerk.get_full_name()
    assert display.person(clerk.username) == clerk.username
    with translation.override("zh-hans"):
        assert display.person(system_user()) == "系统（命令行）"
        assert display.person("system-cli") == "系统（命令行）"
        assert display.person("system") == "系统（后台任务）"
        assert display.person(None) == "—"
    with translation.override("en"):
        assert display.person("system-cli") == "System (command line)"
        assert display.person("system") == "System (background job)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("部门(DRS):已提交", "部门（DRS）：已提交"),
        ("煤炭,焦炭;天然气", "煤炭，焦炭；天然气"),
        ("截至 10:30,共 1,234 条", "截至 10:30，共 1,234 条"),  # times and numbers stay
        ("T1(a) ok: fine", "T1(a) ok: fine"),  # English stays English
        ("", ""),
    ],
)
def test_chinese_text_gets_full_width_punctuation(text, expected):
    assert display.chinese_punctuation(text) == expected


# --- audit actions in words --------------------------------------------------------------------


def _actions_written_by_the_code() -> set[str]:
    """Every literal action= the product's services pass to audit_record."""
    actions = set()
    for path in ROOT.glob("*/*.py"):
        if path.parts[-2] in {"tests", "bench", ".venv", "scripts"} or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "audit_record" not in text:
            continue
        # action="a", and action="a" if … else "b" (over lines too)
        for first, second in re.findall(
            r'\baction=\s*"([a-z_]+)"(?:\s+if\s[^"]{0,80}?\selse\s+"([a-z_]+)")?', text
        ):
            actions.update(code for code in (first, second) if code)
    return actions


def test_every_audit_action_the_services_write_has_a_label_in_both_languages():
    written = _actions_written_by_the_code()
    assert "figure_enter" in written  # the scan finds them
    assert sorted(written - set(ACTION_LABELS)) == []
    with translation.override("en"):
        english = {code: action_label(code) for code in ACTION_LABELS}
    untranslated = [code for code, text in english.items() if re.search(r"[\u4e00-\u9fff]", text)]
    assert untranslated == []
    with translation.override("zh-hans"):
        assert action_label("figure_enter") == "录入数据"
        assert action_label("no_such_action") == "no_such_action"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_audit_export_page_offers_actions_in_words(auditor, clerk):
    from audit.services import audit_record

    audit_record(actor=clerk, action="figure_correct", department_code="DRS", period="2025Q4")
    audit_record(actor=system_user(), action="import", period="2025Q4")
    page = _client(auditor).get(reverse("reports:audit_export")).content.decode()
    assert '<option value="figure_correct">更正数据</option>' in page
    assert '<option value="import">导入</option>' in page


@pytest.mark.django_db
def test_the_audit_export_names_actor_and_action_and_keeps_their_codes_last(auditor):
    from audit.services import audit_record

    event = audit_record(actor=system_user(), action="import", period="2025Q4")
    beijing = timezone.localtime(event.at, dt.timezone(dt.timedelta(hours=8)))
    minute = beijing.replace(second=0, microsecond=0, tzinfo=None)
    client = _client(auditor)
    response = client.get(reverse("reports:audit_export"), {"action": "import", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["操作人"] == "系统（命令行）"
    assert row["操作"] == "导入"
    assert (row["操作人账号"], row["操作代码"]) == ("system-cli", "import")
    assert row["时间"] == minute  # Beijing time, to the minute
    assert sheet.cell(row=2, column=2).number_format == display.XLSX_MOMENT_FORMAT
    csv_text = client.get(
        reverse("reports:audit_export"), {"action": "import", "format": "csv"}
    ).content.decode("utf-8-sig")
    assert f",{minute:%Y-%m-%d %H:%M},系统（命令行）,导入," in csv_text


@pytest.mark.django_db
def test_the_history_page_names_the_command_line_and_shows_minutes(administrator, clerk):
    from tests.helpers import import_rows

    import_rows([{"period": "2024Q1", "item": "coal_raw", "value": "1"}], user=system_user())
    from audit.services import audit_record

    audit_record(actor=system_user(), action="approve", department_code="DRS", period="2024Q1")
    url = reverse("reporting:history", kwargs={"period": "2024Q1", "department_code": "DRS"})
    page = _client(clerk).get(url).content.decode()
    assert "系统（命令行）" in page
    assert "system-cli" not in page
    assert not re.search(r"\d{2}:\d{2}:\d{2}", page)  # to the minute


def test_the_colon_after_a_label_is_the_page_language_s():
    from django.template import engines
    from django.utils import translation

    template = engines["django"].from_string('{% load i18n %}{% translate "状态" %}{% colon %}x')
    with translation.override("zh-hans"):
        assert template.render({}) == "状态：x"
    with translation.override("en"):
        assert template.render({}) == "Status: x"
