"""What portal pages show that no catalog service returns in one call: site-wide counts, a dataset's tables,
and what the visitor may read of a table.

Read-only; built on the catalog's services and the access policy: every count and list holds only what the
caller may see (``datavalley.access.policy``), exactly as the API does. Row counts come from each Delta
table's log (exact, no data read) and are remembered per table and modification time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, Mask, plan_read, visible_datasets
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.schemas import DatasetPublic, Facets
from datavalley.catalog.search import SearchQuery, search_datasets
from datavalley.catalog.tables import TableDetail, dataset_record, describe_table, locate
from datavalley.config import Settings
from datavalley.errors import DataValleyError, Forbidden
from datavalley.storage import delta

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


def portal_stats(session: Session, settings: Settings, caller: Caller) -> PortalStats:
    """How many datasets the caller may see, their tables and rows, and organizations there are."""
    listed = visible_datasets(caller)
    datasets = session.scalar(select(func.count()).select_from(Dataset).where(listed)) or 0
    tables = session.scalars(select(Table).join(Dataset).where(listed)).all()
    organizations = session.scalar(select(func.count()).select_from(Organization)) or 0
    rows = sum(_table_rows(settings, t) for t in tables)
    return PortalStats(datasets=datasets, tables=len(tables), rows=rows, organizations=organizations)


def newest_datasets(session: Session, caller: Caller, *, limit: int = 6) -> list[DatasetPublic]:
    query = SearchQuery(sort="-created", limit=limit)
    return search_datasets(session, query, caller=caller).data


def visible_facets(session: Session, caller: Caller) -> Facets:
    """Facet counts over every dataset the caller may see (themes for the home page)."""
    return search_datasets(session, SearchQuery(limit=0), caller=caller).facets


def dataset_tables(session: Session, settings: Settings, org: str, dataset: str) -> list[TableDetail]:
    """Every table of a dataset with its columns, exact row count and versions, by name.

    The caller must have been checked to see the dataset (as the tables API does).
    """
    ds = dataset_record(session, org, dataset)
    names = session.scalars(select(Table.name).where(Table.dataset_id == ds.id).order_by(Table.name)).all()
    return [describe_table(session, settings, org, dataset, name) for name in names]


@dataclass(frozen=True)
class ReadAccess:
    """What the visitor may read of one table: the columns, their masks, or why not at all."""

    readable: bool
    columns: tuple[str, ...] = ()
    masks: dict[str, Mask] | None = None
    row_filter: bool = False
    #: the policy's reason when not readable (English, names the dataset and what to do)
    reason: str = ""


def read_access(session: Session, settings: Settings, caller: Caller, table: TableDetail) -> ReadAccess:
    """Ask the access policy what ``caller`` may read of ``table``: the same answer the rows API acts on."""
    try:
        plan = plan_read(
            session,
            settings,
            caller,
            table.organization,
            table.dataset,
            table.name,
            columns=[c.name for c in table.columns],
        )
    except Forbidden as exc:
        return ReadAccess(readable=False, reason=exc.message)
    return ReadAccess(
        readable=True,
        columns=plan.columns,
        masks=dict(plan.masks),
        row_filter=plan.row_filter is not None,
    )
