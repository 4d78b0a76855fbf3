"""Working days on China's official calendar (issue 20: 调休): the pure module
(reporting/workdays.py) on the shipped notices (fixtures/work_calendar.json), the
assessment's warning window counted on it, and an administrator recording a new year
(checked, audited; anyone else refused, nothing written)."""

import datetime as dt

import pytest

from assessment import calculations as calc
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from reporting import workdays
from reporting.models import WorkCalendarYear
from reporting.services import work_calendar_rows, work_calendar_year_record

CALENDAR = workdays.WorkCalendar.of_years(
    (row["year"], row["holidays"], row["workdays"]) for row in work_calendar_rows()
)
D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-10-11", True),  # Saturday, make-up working day of the National Day holiday
        ("2025-09-28", True),  # Sunday, make-up working day
        ("2025-10-01", False),
        ("2025-10-06", False),  # Monday inside the holiday (中秋)
        ("2025-10-08", False),  # Wednesday, last day of the holiday
        ("2025-10-09", True),  # Thursday after it
        ("2025-10-12", False),  # an ordinary Sunday
        ("2025-01-28", False),  # 除夕, a holiday since the 2025 rules
        ("2025-02-08", True),  # Saturday, make-up working day of the Spring Festival
        ("2025-04-27", True),  # Sunday before Labour Day
        ("2025-05-05", False),  # Monday, Labour Day holiday
        ("2025-06-02", False),  # Monday, Dragon Boat Festival
        ("2024-02-18", True),  # Sunday, make-up day
        ("2024-02-16", False),  # Friday inside the Spring Festival
        ("2022-12-31", False),  # Saturday, the 2023 notice's New Year holiday
        ("2023-01-02", False),  # Monday, New Year holiday
        ("2020-02-01", False),  # Saturday: the make-up day the extension cancelled
        ("2020-01-19", True),  # Sunday, make-up day kept
        ("2026-01-04", True),  # Sunday, make-up day
        ("2026-02-23", False),  # Monday, last day of the 9-day Spring Festival
        ("2026-02-28", True),  # Saturday, make-up day
        ("2026-10-10", True),  # Saturday, make-up day
        ("2027-03-03", True),  # a year without a notice on record: Monday to Friday
        ("2027-03-06", False),
    ],
)
def test_a_day_is_a_working_day_as_the_state_council_notice_says(day, working):
    assert CALENDAR.is_workday(D(day)) is working


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2025-03-03", "2025-03-10", 5),  # an ordinary week
        ("2025-03-07", "2025-03-10", 1),  # Friday → Monday
        ("2025-03-08", "2025-03-09", 0),  # a weekend
        ("2025-03-03", "2025-03-03", 0),
        ("2025-03-05", "2025-03-03", 0),  # backwards
        # Raised Friday 26 September 2025: Sun 28 (make-up), Mon 29, Tue 30, then the
        # holiday to 8 October, Thu 9, Fri 10, Sat 11 (make-up).
        ("2025-09-26", "2025-09-30", 3),
        ("2025-09-26", "2025-10-08", 3),
        ("2025-09-26", "2025-10-09", 4),
        ("2025-09-26", "2025-10-11", 6),
        ("2025-09-26", "2025-10-12", 6),
        # Spring Festival 2026: Fri 13 February → Tue 24 February: Sat 14 (make-up), 24.
        ("2026-02-13", "2026-02-24", 2),
        # Whole years: 2025 has 261 weekdays − 18 weekday holidays + 5 make-up days;
        # 2026 261 − 19 + 6.
        ("2024-12-31", "2025-12-31", 248),
        ("2025-12-31", "2026-12-31", 248),
    ],
)
def test_working_days_between_counts_holidays_out_and_make_up_days_in(start, end, days):
    assert CALENDAR.working_days_between(D(start), D(end)) == days
    # the same count one day at a time
    step = sum(
        CALENDAR.is_workday(D(start) + dt.timedelta(days=n))
        for n in range(1, max((D(end) - D(start)).days, 0) + 1)
    )
    assert step == days


def test_without_a_calendar_monday_to_friday_count():
    assert workdays.WEEKDAYS_ONLY.working_days_between(D("2025-09-26"), D("2025-10-11")) == 10
    assert workdays.WEEKDAYS_ONLY.is_workday(D("2025-10-01"))


@pytest.mark.parametrize(
    ("start", "days", "day"),
    [
        ("2025-09-26", 5, "2025-10-10"),
        ("2025-09-26", 6, "2025-10-11"),
        ("2025-03-03", 5, "2025-03-10"),
        ("2025-03-03", 0, "2025-03-03"),
    ],
)
def test_add_working_days(start, days, day):
    assert CALENDAR.add_working_days(D(start), days) == D(day)


def test_the_calendar_survives_a_snapshot_for_the_years_it_keeps():
    kept = CALENDAR.as_dict(years=[2025, 2026, 2031])
    assert kept["years"] == [2025, 2026]
    assert "2025-10-11" in kept["workdays"]
    assert "2024-02-18" not in kept["workdays"]
    again = workdays.WorkCalendar.from_dict(kept)
    assert again.working_days_between(D("2025-09-26"), D("2025-10-11")) == 6
    assert workdays.WorkCalendar.from_dict(None) == workdays.WEEKDAYS_ONLY


def test_every_shipped_year_from_2020_has_its_notice_as_source():
    rows = work_calendar_rows()
    assert [row["year"] for row in rows] == list(range(2020, 2027))
    for row in rows:
        assert "国务院办公厅关于" in row["source"]
        assert "节假日安排的通知" in row["source"]
        # make-up working days are weekends; no day both
        assert all(D(d).weekday() >= 5 for d in row["workdays"])
        assert not set(row["holidays"]) & set(row["workdays"])


@pytest.mark.parametrize(
    ("holidays", "workdays_", "code_word"),
    [
        (["2027-13-01"], [], "不是日期"),
        (["2027-02-10..2027-02-01"], [], "起止日期"),
        ([], [], "不能为空"),
        (["2027-01-01"], ["2027-01-01"], "既放假又上班"),
        (["2027-01-01"], ["2027-01-05"], "不是周六或周日"),  # a Tuesday
        (["2026-06-01"], [], "不属于2027年"),
    ],
)
def test_a_wrong_notice_is_refused_in_both_languages(holidays, workdays_, code_word):
    with pytest.raises(ApplicationError) as refused:
        workdays.year_checked(
            2027,
            workdays.days_parsed(holidays, "放假日期", "Holidays"),
            workdays.days_parsed(workdays_, "调休上班日期", "Make-up working days"),
        )
    assert code_word in refused.value.message_zh
    assert refused.value.message_en


@pytest.mark.django_db
def test_the_shipped_years_are_stored_and_an_administrator_adds_a_year(park, administrator):
    assert set(WorkCalendarYear.objects.values_list("year", flat=True)) >= set(range(2020, 2027))
    row = work_calendar_year_record(
        year=2031,
        holidays=["2031-01-01", "2031-01-22..2031-01-28"],
        workdays=["2031-01-18"],  # a Saturday
        source="国务院办公厅关于2031年部分节假日安排的通知（测试）",
        user=administrator,
    )
    assert row.holidays[:2] == ["2031-01-01", "2031-01-22"]
    assert row.workdays == ["2031-01-18"]
    event = AuditEvent.objects.get(action="work_calendar_record")
    assert event.object_id == "2031"
    assert event.old_value is None
    from reporting.selectors import work_calendar

    calendar = work_calendar()
    assert calendar.covers(2031)
    assert calendar.is_workday(D("2031-01-18"))
    assert not calendar.is_workday(D("2031-01-22"))


@pytest.mark.django_db
def test_anyone_but_an_administrator_or_a_bad_notice_writes_nothing(
    park, administrator, statistics_office, committee_member
):
    before = (WorkCalendarYear.objects.count(), AuditEvent.objects.count())
    for user in (statistics_office, committee_member):
        with pytest.raises(PermissionRefused):
            work_calendar_year_record(
                year=2031, holidays=["2031-01-01"], workdays=[], source="通知", user=user
            )
    with pytest.raises(ApplicationError) as refused:
        work_calendar_year_record(
            year=2031, holidays=["2031-01-01"], workdays=[], source="  ", user=administrator
        )
    assert refused.value.code == "source_required"
    with pytest.raises(ApplicationError):
        work_calendar_year_record(
            year=2031, holidays=["2031-01-01"], workdays=["2031-01-02"], source="通知",
            user=administrator,
        )  # fmt: skip
    assert (WorkCalendarYear.objects.count(), AuditEvent.objects.count()) == before


def test_the_assessment_counts_a_warnings_window_on_the_calendar():
    """Raised Friday 26 September 2025 and signed off Friday 10 October: 5 working days on
    the notice (Sunday 28, 29, 30 September, 9 and 10 October; the holiday runs to the
    8th), in time; counted Monday to Friday it would be 10, late."""
    rules = calc.rules_checked(calc.DEFAULT_RULES)
    warning = {
        "id": 1, "raised_on": "2025-09-26", "acknowledged_on": "2025-10-10",
        "due_date": None, "resolved_on": None,
    }  # fmt: skip
    snapshot = {
        "as_of": "2025-12-31",
        "units": {"DRS": {calc.WARNINGS: [warning]}},
        "calendar": CALENDAR.as_dict(years=[2025, 2026]),
    }
    (on_calendar,) = calc.year_scores(snapshot, rules, {})
    assert on_calendar.components[calc.WARNINGS].score == 100
    old = {key: value for key, value in snapshot.items() if key != "calendar"}
    (weekdays_only,) = calc.year_scores(old, rules, {})
    assert weekdays_only.components[calc.WARNINGS].score == 0


@pytest.mark.django_db
def test_the_admin_page_records_a_year_through_the_service_and_shows_a_wrong_line(
    park, administrator, statistics_office
):
    from django.test import Client
    from django.urls import reverse

    url = reverse("admin:reporting_workcalendaryear_add")
    browser = Client()
    browser.force_login(administrator)
    wrong = browser.post(
        url,
        {"year": "2031", "holiday_lines": "2031-01-01\n2031-02-30", "workday_lines": "",
         "source": "通知"},
    )  # fmt: skip
    assert wrong.status_code == 200
    assert "第2行" in wrong.content.decode()
    assert not WorkCalendarYear.objects.filter(year=2031).exists()
    saved = browser.post(
        url,
        {"year": "2031", "holiday_lines": "2031-01-01\n2031-01-22..2031-01-28",
         "workday_lines": "2031-01-18", "source": "国务院办公厅关于2031年部分节假日安排的通知"},
    )  # fmt: skip
    assert saved.status_code == 302
    row = WorkCalendarYear.objects.get(year=2031)
    assert len(row.holidays) == 8
    assert row.recorded_by == administrator
    assert AuditEvent.objects.filter(action="work_calendar_record", object_id="2031").exists()
    statistics_office.is_staff = True  # the admin pages open to them (reference data)
    statistics_office.save()
    stats = Client()
    stats.force_login(statistics_office)
    assert stats.get(url).status_code == 403
