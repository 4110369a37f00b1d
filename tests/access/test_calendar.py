"""Working days: weekends, holidays, working weekends, time zones, the deadline arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from datavalley.access.calendar import WorkCalendar, load_calendar, parse_holidays_file
from datavalley.config import Settings
from datavalley.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (beijing(2026, 11, 23, 10), 2, beijing(2026, 11, 26)),  # Monday → end of Wednesday
        (beijing(2026, 11, 27, 23, 30), 2, beijing(2026, 12, 2)),  # Friday night → end of Tuesday
        (beijing(2026, 11, 28, 9), 2, beijing(2026, 12, 2)),  # Saturday → end of Tuesday
        (beijing(2026, 11, 23, 10), 5, beijing(2026, 12, 1)),  # Monday + 5 → end of next Monday
        (beijing(2026, 11, 23, 0, 30), 0, beijing(2026, 11, 24)),  # 0 days: end of the same day
    ],
)
def test_due_skips_weekends(start, days, due):
    assert WorkCalendar().due(start, days) == due.astimezone(UTC)


def test_days_are_local_days():
    # Sunday 23:00 UTC is Monday 07:00 in Beijing: counting starts on Monday
    sunday_utc = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert WorkCalendar().due(sunday_utc, 2) == beijing(2026, 11, 26).astimezone(UTC)
    assert WorkCalendar(tz=ZoneInfo("UTC")).due(sunday_utc, 2) == datetime(2026, 11, 25, tzinfo=UTC)


def test_holidays_and_working_weekends():
    # National Day week 2026: 1–7 October off, Saturday 10 October worked
    holidays = frozenset(date(2026, 10, d) for d in range(1, 8))
    cal = WorkCalendar(holidays=holidays, workdays=frozenset({date(2026, 10, 10)}))
    assert cal.due(beijing(2026, 9, 30, 16), 2) == beijing(2026, 10, 10).astimezone(UTC)  # 8th, 9th
    assert cal.due(beijing(2026, 9, 30, 16), 3) == beijing(2026, 10, 11).astimezone(UTC)  # ... Sat 10th
    assert cal.is_working_day(date(2026, 10, 10)) and not cal.is_working_day(date(2026, 10, 5))


def test_working_days_late():
    cal = WorkCalendar()
    due = beijing(2026, 11, 26)  # end of Wednesday
    assert cal.working_days_late(due.astimezone(UTC), beijing(2026, 11, 25, 18)) == 0
    assert cal.working_days_late(due, beijing(2026, 11, 26, 9)) == 1  # Thursday
    assert cal.working_days_late(due, beijing(2026, 11, 30, 9)) == 3  # Thu, Fri, Mon


def test_settings_and_holidays_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAVALLEY_HOLIDAYS", "2026-11-24, 2026-11-25")
    monkeypatch.setenv("DATAVALLEY_WORKDAYS", "2026-11-29")
    settings = Settings(home=tmp_path)
    (tmp_path / "holidays.txt").write_text(
        "# 2026\n2026-11-26   # a made-up holiday\n2026-11-28 workday\n\n", encoding="utf-8"
    )
    cal = load_calendar(settings)
    assert cal.holidays == {date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)}
    assert cal.workdays == {date(2026, 11, 28), date(2026, 11, 29)}
    # Monday: Tue–Thu off, Fri, Sat and Sun worked → 2 working days end on Saturday
    assert cal.due(beijing(2026, 11, 23, 10), 2) == beijing(2026, 11, 29).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("2026-02-30\n", "line 1: `2026-02-30` is not a date"), ("# x\n2026-01-01 off\n", "line 2")],
)
def test_bad_holidays_file_names_the_line(text, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_holidays_file(text)


def test_bad_timezone_and_date_settings(tmp_path, monkeypatch):
    with pytest.raises(InvalidInput, match="DATAVALLEY_TIMEZONE"):
        load_calendar(Settings(home=tmp_path, timezone="Mars/Olympus"))
    monkeypatch.setenv("DATAVALLEY_HOLIDAYS", "2026-13-01")
    with pytest.raises(ValueError, match="holidays"):
        Settings(home=tmp_path)
