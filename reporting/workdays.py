"""Working days on China's official calendar: Monday to Friday, except the public holidays
of the State Council's yearly notice, plus the Saturdays and Sundays the notice makes
working days (调休上班). Pure: no database; the calendar's years come from
reporting.models.WorkCalendarYear (seeded from fixtures/work_calendar.json) through
reporting.selectors.work_calendar(), and a frozen assessment keeps the days it used.

A year without a notice on record counts Monday to Friday only (`covers` says which years
the calendar knows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dezhou_carbon.exceptions import ApplicationError

MAX_RANGE_DAYS = 31  # the longest run of days one line of a notice may give


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()  # make-up working days (weekends)
    years: frozenset[int] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, year: int) -> bool:
        return year in self.years

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end ≤ start): a
        warning raised on `start` and answered on `end` took this many working days."""
        if end <= start:
            return 0
        count = _weekdays_after(start, end)
        for day in self.holidays:
            if start < day <= end and day.weekday() < 5:
                count -= 1
        for day in self.workdays:
            if start < day <= end and day.weekday() >= 5:
                count += 1
        return count

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The day `days` working days after `start` (start itself when days ≤ 0)."""
        day = start
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def as_dict(self, years: Iterable[int] | None = None) -> dict:
        """The calendar (or the given years of it) as plain JSON, for a frozen snapshot."""
        keep = set(self.years if years is None else years) & set(self.years)

        def kept(days):
            return sorted(d.isoformat() for d in days if _notice_year(d) in keep)

        return {
            "years": sorted(keep),
            "holidays": kept(self.holidays),
            "workdays": kept(self.workdays),
        }

    @classmethod
    def from_dict(cls, document: dict | None) -> WorkCalendar:
        """A calendar from `as_dict`'s JSON; None or {} (a snapshot frozen before the
        calendar existed) is Monday to Friday only."""
        document = document or {}
        return cls(
            holidays=frozenset(dt.date.fromisoformat(d) for d in document.get("holidays", [])),
            workdays=frozenset(dt.date.fromisoformat(d) for d in document.get("workdays", [])),
            years=frozenset(int(y) for y in document.get("years", [])),
        )

    @classmethod
    def of_years(cls, rows: Iterable[tuple[int, list[str], list[str]]]) -> WorkCalendar:
        """A calendar from (year, holidays, workdays) rows as stored (ISO dates)."""
        holidays, workdays, years = set(), set(), set()
        for year, year_holidays, year_workdays in rows:
            years.add(year)
            holidays |= {dt.date.fromisoformat(d) for d in year_holidays}
            workdays |= {dt.date.fromisoformat(d) for d in year_workdays}
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years))


WEEKDAYS_ONLY = WorkCalendar()


def _notice_year(day: dt.date) -> int:
    # A notice may start its New Year holiday in the last days of December (2023's starts
    # on 2022-12-31): those days belong to the next year's notice.
    return day.year + 1 if day.month == 12 and day.day >= 29 else day.year


def _weekdays_after(start: dt.date, end: dt.date) -> int:
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + dt.timedelta(days=offset + weeks * 7)).weekday() < 5:
            count += 1
    return count


def _refuse(zh: str, en: str) -> ApplicationError:
    return ApplicationError(zh, en, code="calendar_invalid")


def days_parsed(lines: Iterable[str], what_zh: str, what_en: str) -> list[dt.date]:
    """Dates given one a line (2027-01-01) or as a run (2027-02-06..2027-02-14), sorted
    and without repeats; refused in zh/en with the line that is wrong."""
    found: set[dt.date] = set()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        first, _sep, last = text.partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise _refuse(
                f"{what_zh}第{number}行“{text}”不是日期：应为2027-01-01或2027-02-06..2027-02-14。",
                f"{what_en}, line {number}: '{text}' is not a date; give 2027-01-01 or "
                f"2027-02-06..2027-02-14.",
            ) from None
        if end < start or (end - start).days >= MAX_RANGE_DAYS:
            raise _refuse(
                f"{what_zh}第{number}行“{text}”的起止日期无效（须先起后止，且不超过{MAX_RANGE_DAYS}天）。",
                f"{what_en}, line {number}: '{text}' must run forwards and span at most "
                f"{MAX_RANGE_DAYS} days.",
            )
        while start <= end:
            found.add(start)
            start += dt.timedelta(days=1)
    return sorted(found)


def year_checked(
    year: int, holidays: list[dt.date], workdays: list[dt.date]
) -> tuple[list[str], list[str]]:
    """One year's notice checked: dates within the year (a New Year holiday may start on
    29–31 December before it), at least one holiday, make-up workdays on a Saturday or
    Sunday and never also a holiday. Returns both lists as ISO text, sorted. Pure."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _refuse("年份须为2000—2100年。", "The year must be 2000–2100.")
    if not holidays:
        raise _refuse(
            f"{year}年的节假日不能为空，未保存。",
            f"{year} needs its public holidays. Nothing was saved.",
        )
    for day in [*holidays, *workdays]:
        if _notice_year(day) != year:
            raise _refuse(
                f"{day.isoformat()}不属于{year}年的节假日安排，未保存。",
                f"{day.isoformat()} is not in {year}'s holiday arrangement. Nothing was saved.",
            )
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise _refuse(
            f"{both[0].isoformat()}不能既放假又上班，未保存。",
            f"{both[0].isoformat()} cannot be both a holiday and a working day. Nothing was saved.",
        )
    weekday = next((d for d in workdays if d.weekday() < 5), None)
    if weekday is not None:
        raise _refuse(
            f"调休上班日{weekday.isoformat()}不是周六或周日：周一至周五本就上班，未保存。",
            f"The make-up working day {weekday.isoformat()} is not a Saturday or Sunday "
            "(Monday to Friday are working days anyway). Nothing was saved.",
        )
    return (
        [d.isoformat() for d in sorted(set(holidays))],
        [d.isoformat() for d in sorted(set(workdays))],
    )
