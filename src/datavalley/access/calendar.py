"""Working days: the deadlines of the sharing rules are counted in them.

A working day is a Monday to Friday that is not a holiday, or a weekend day declared a working day
(China moves working days onto weekends around long holidays, 调休). Holidays and such working
weekends come from two places, merged:

- the settings ``DATAVALLEY_HOLIDAYS`` and ``DATAVALLEY_WORKDAYS``: comma-separated ISO dates;
- the file ``holidays.txt`` in the home folder: one date a line, ``YYYY-MM-DD`` for a holiday,
  ``YYYY-MM-DD workday`` for a working weekend day; ``#`` starts a comment.

Days are the days of the platform's time zone (``DATAVALLEY_TIMEZONE``, default ``Asia/Shanghai``).
"Within N working days" means: by the end of the N-th working day after the day something happened
(that day itself does not count).

>>> cal = WorkCalendar(holidays=frozenset({date(2026, 10, 1)}), tz=ZoneInfo("UTC"))
>>> cal.is_working_day(date(2026, 10, 1)), cal.is_working_day(date(2026, 10, 3))
(False, False)
>>> cal.due(datetime(2026, 9, 30, 15, 0, tzinfo=UTC), 2).isoformat()
'2026-10-06T00:00:00+00:00'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from datavalley.config import Settings
from datavalley.errors import InvalidInput

HOLIDAYS_FILE = "holidays.txt"


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, in which time zone."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    #: weekend days that are working days
    workdays: frozenset[date] = field(default_factory=frozenset)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself does not count)."""
        if count < 0:
            raise ValueError("count must not be negative")
        found = 0
        while found < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                found += 1
        return day

    def due(self, start: datetime, working_days: int) -> datetime:
        """The end (next local midnight, in UTC) of the ``working_days``-th working day after ``start``."""
        last = self.add_working_days(self.local_day(start), working_days)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz)
        return end.astimezone(UTC)

    def working_days_late(self, due: datetime, now: datetime) -> int:
        """How many working days have passed since ``due`` (0 when not yet due)."""
        if now < due:
            return 0
        day, last, late = self.local_day(due - timedelta(microseconds=1)), self.local_day(now), 0
        while day < last:
            day += timedelta(days=1)
            if self.is_working_day(day):
                late += 1
        return max(late, 1)


def parse_holidays_file(text: str, *, source: str = HOLIDAYS_FILE) -> tuple[set[date], set[date]]:
    """Holidays and working weekend days from the text of a holidays file."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            raise InvalidInput(
                f"{source} line {number}: `{parts[0]}` is not a date; write YYYY-MM-DD "
                "(optionally followed by `workday`)"
            ) from None
        if len(parts) == 1:
            holidays.add(day)
        elif len(parts) == 2 and parts[1].lower() == "workday":
            workdays.add(day)
        else:
            raise InvalidInput(
                f"{source} line {number}: `{line}` has extra words; write `YYYY-MM-DD` for a holiday "
                "or `YYYY-MM-DD workday` for a working weekend day"
            )
    return holidays, workdays


_file_cache: dict[Path, tuple[float, tuple[set[date], set[date]]]] = {}


def _from_file(path: Path) -> tuple[set[date], set[date]]:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return set(), set()
    cached = _file_cache.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    parsed = parse_holidays_file(path.read_text(encoding="utf-8"), source=str(path))
    _file_cache[path] = (mtime, parsed)
    return parsed


def load_calendar(settings: Settings) -> WorkCalendar:
    """The working-day calendar of these settings (and of the home folder's ``holidays.txt``)."""
    try:
        tz = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.for_field(
            "DATAVALLEY_TIMEZONE", f"`{settings.timezone}` is not a time zone; use e.g. Asia/Shanghai"
        ) from None
    holidays, workdays = _from_file(settings.home / HOLIDAYS_FILE)
    return WorkCalendar(
        holidays=frozenset(holidays | set(settings.holidays)),
        workdays=frozenset(workdays | set(settings.workdays)),
        tz=tz,
    )
