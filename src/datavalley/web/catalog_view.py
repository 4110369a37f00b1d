"""What portal pages show that no catalog service returns in one call: site-wide counts, a dataset's tables.

Read-only; built on the catalog's services and models. Row counts come from each Delta table's log
(exact, no data read) and are remembered per table and modification time, so the home page stays quick.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.schemas import DatasetPublic, Facets
from datavalley.catalog.search import SearchQuery, search_datasets
from datavalley.catalog.tables import TableDetail, describe_table, locate
from datavalley.config import Settings
from datavalley.errors import DataValleyError
from datavalley.storage import delta

#: The lifecycle states the portal lists; drafts are the provider's business until they publish.
LISTED_STATES = ["published", "deprecated"]

_row_counts: dict[tuple[str, str], int] = {}
_row_counts_lock = threading.Lock()
_ROW_COUNTS_KEPT = 10_000


@dataclass(frozen=True)
class PortalStats:
    datasets: int
    tables: int
    rows: int
    organizations: int


def _table_rows(settings: Settings, table: Table) -> int:
    where = locate(settings, table)
    key = (where.uri, table.modified.isoformat())
    with _row_counts_lock:
        if key in _row_counts:
            return _row_counts[key]
    try:
        count = delta.row_count(delta.open_delta(where.uri, name=f"table `{where.ref}`"))
    except DataValleyError:
        return 0  # a table whose files are missing counts as empty here; its own page says what is wrong
    with _row_counts_lock:
        if len(_row_counts) >= _ROW_COUNTS_KEPT:
            _row_counts.clear()
        _row_counts[key] = count
    return count


def portal_stats(session: Session, settings: Settings) -> PortalStats:
    """How many listed datasets, their tables and rows, and organizations there are."""
    listed = Dataset.state.in_(LISTED_STATES)
    datasets = session.scalar(select(func.count()).select_from(Dataset).where(listed)) or 0
    tables = session.scalars(select(Table).join(Dataset).where(listed)).all()
    organizations = session.scalar(select(func.count()).select_from(Organization)) or 0
    rows = sum(_table_rows(settings, t) for t in tables)
    return PortalStats(datasets=datasets, tables=len(tables), rows=rows, organizations=organizations)


def newest_datasets(session: Session, *, limit: int = 6) -> list[DatasetPublic]:
    query = SearchQuery(state=LISTED_STATES, sort="-created", limit=limit)  # type: ignore[arg-type]
    return search_datasets(session, query).data


def listed_facets(session: Session) -> Facets:
    """Facet counts over every listed dataset (themes for the home page)."""
    return search_datasets(session, SearchQuery(state=LISTED_STATES, limit=0)).facets  # type: ignore[arg-type]


def dataset_tables(session: Session, settings: Settings, org: str, dataset: str) -> list[TableDetail]:
    """Every table of a dataset with its columns, exact row count and versions, by name."""
    from datavalley.catalog.tables import dataset_record

    ds = dataset_record(session, org, dataset)
    names = session.scalars(select(Table.name).where(Table.dataset_id == ds.id).order_by(Table.name)).all()
    return [describe_table(session, settings, org, dataset, name) for name in names]
