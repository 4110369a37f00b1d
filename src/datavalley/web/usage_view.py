"""Usage figures for portal pages, from the audit log's reads (``datavalley.access.usage``).

The home page counts reads only of datasets the visitor may see; the authority's dashboard adds the
data loaded over time (from the tables' Delta histories), reads per day, the busiest datasets and
consumer organizations, and the requests by state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, visible_datasets
from datavalley.access.usage import UsageRow, usage
from datavalley.catalog.models import Dataset, Organization
from datavalley.config import Settings
from datavalley.db.base import utcnow
from datavalley.web.catalog_view import dataset_tables

#: datasets counted by the home page's usage figures at most (the busiest first)
MAX_DATASETS = 1000
#: tables whose history the dashboard reads at most
MAX_TABLES = 500


@dataclass(frozen=True)
class UsedDataset:
    organization: str
    name: str
    title: str
    calls: int


def _titles(session: Session, caller: Caller | None, keys: list[str]) -> dict[str, str]:
    """``org/name`` → title, of those datasets among ``keys`` that ``caller`` may see."""
    pairs = [tuple(k.split("/", 1)) for k in keys if k and "/" in k]
    if not pairs:
        return {}
    rows = session.execute(
        select(Organization.name, Dataset.name, Dataset.title)
        .join(Dataset, Dataset.organization_id == Organization.id)
        .where(visible_datasets(caller), Dataset.name.in_({p[1] for p in pairs}))
    )
    wanted = {f"{a}/{b}" for a, b in pairs}
    return {f"{o}/{d}": t for o, d, t in rows if f"{o}/{d}" in wanted}


def visible_usage(
    session: Session, settings: Settings, caller: Caller | None, *, days: int
) -> list[tuple[UsageRow, str]]:
    """Reads per dataset over the last ``days`` days, of the datasets ``caller`` may see, busiest first."""
    found = usage(session, settings, by="dataset", since=utcnow() - timedelta(days=days), limit=MAX_DATASETS)
    titles = _titles(session, caller, [r.key or "" for r in found.data])
    return [(r, titles[r.key]) for r in found.data if r.key in titles]


def reads_this_week(session: Session, settings: Settings, caller: Caller) -> int:
    """How many reads of datasets the caller may see were made in the last 7 days."""
    return sum(r.calls for r, _ in visible_usage(session, settings, caller, days=7))


def most_used(session: Session, settings: Settings, caller: Caller, *, limit: int = 5) -> list[UsedDataset]:
    """The caller's visible datasets read most in the last 30 days."""
    rows = visible_usage(session, settings, caller, days=30)[:limit]
    return [UsedDataset(*r.key.split("/", 1), title, r.calls) for r, title in rows]  # type: ignore[union-attr]


@dataclass(frozen=True)
class Series:
    labels: list[str]
    values: list[int]


def reads_per_day(session: Session, settings: Settings, *, days: int = 30) -> Series:
    """Reads on each of the last ``days`` days (platform time zone), days without reads included."""
    found = usage(session, settings, by="day", since=utcnow() - timedelta(days=days), limit=days + 2)
    counts = {r.key: r.calls for r in found.data}
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    labels = [(today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    return Series(labels, [counts.get(d, 0) for d in labels])


def top(session: Session, settings: Settings, *, by: str, days: int = 30, limit: int = 10) -> Series:
    found = usage(session, settings, by=by, since=utcnow() - timedelta(days=days), limit=limit)  # type: ignore[arg-type]
    return Series([r.key or "" for r in found.data], [r.calls for r in found.data])


def data_volume(session: Session, settings: Settings) -> Series:
    """Rows loaded into the platform's tables, added up day by day (from each table's version history).

    A load that replaced a table (create, overwrite) counts as its rows minus what the table held before.
    """
    zone = ZoneInfo(settings.timezone)
    datasets = session.execute(
        select(Organization.name, Dataset.name).join(Dataset, Dataset.organization_id == Organization.id)
    ).all()
    change: dict[date, int] = defaultdict(int)
    seen = 0
    for org, name in datasets:
        for table in dataset_tables(session, settings, org, name):
            seen += 1
            if seen > MAX_TABLES:
                break
            held = 0
            for v in sorted(table.versions, key=lambda v: v.version):
                written = v.rows_written or 0
                mode = (v.mode or v.operation or "").lower()
                now_held = written if mode in ("create", "overwrite", "create table") else held + written
                change[v.timestamp.astimezone(zone).date()] += now_held - held
                held = now_held
    labels, values, total = [], [], 0
    if change:  # the day before the first load: nothing yet
        labels.append((min(change) - timedelta(days=1)).isoformat())
        values.append(0)
    for day in sorted(change):
        total += change[day]
        labels.append(day.isoformat())
        values.append(total)
    return Series(labels, values)
