"""``/sql``: the SQL console — an editor, a results grid paged to the end, downloads, the tables to query.

The console runs in the browser against ``POST /api/v1/query`` (pages through its ``next`` cursor) and
``GET /api/v1/query?format=csv|parquet`` (downloads), so the SQL service's rules and the caller's read
plans hold exactly as for any other client. This page only lists what the caller may query.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from datavalley.access.policy import Caller, plan_read, visible_datasets
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.config import Settings
from datavalley.errors import DataValleyError
from datavalley.query.sql import MAX_SQL_CHARS
from datavalley.web.render import page

router = APIRouter()

#: how many tables the console lists at most (the SQL service itself reads any the caller may)
MAX_LISTED = 500
PAGE_ROWS = 100


@dataclass(frozen=True)
class QueryableTable:
    ref: str  #: ``org.dataset.table``, as SQL names it
    title: str
    dataset_title: str
    columns: list[tuple[str, bool]]  #: readable columns, and whether each is masked


def queryable_tables(session, settings: Settings, caller: Caller) -> list[QueryableTable]:  # type: ignore[no-untyped-def]
    """The tables ``caller`` may read with SQL, with the columns they may read (the policy's answer)."""
    rows = session.execute(
        select(Organization.name, Dataset.name, Dataset.title, Table)
        .join(Dataset, Dataset.organization_id == Organization.id)
        .join(Table, Table.dataset_id == Dataset.id)
        .where(visible_datasets(caller))
        .order_by(Organization.name, Dataset.name, Table.name)
        .limit(MAX_LISTED)
    ).all()
    found = []
    for org, dataset, dataset_title, table in rows:
        # the newest version's columns (notes of dropped columns are kept at negative positions)
        columns = [c.name for c in table.columns if c.position >= 0] or None
        try:
            plan = plan_read(session, settings, caller, org, dataset, table.name, columns=columns)
        except DataValleyError:
            continue  # seen but not readable (no grant, not shared): not for the console
        found.append(
            QueryableTable(
                ref=f"{org}.{dataset}.{table.name}",
                title=table.title or table.name,
                dataset_title=dataset_title,
                columns=[(c, c in plan.masks) for c in plan.columns],
            )
        )
    return found


@router.get("/sql", response_class=HTMLResponse)
def sql_console(request: Request, rt: RuntimeDep, caller: CallerDep) -> HTMLResponse:
    with rt.session() as session:
        tables = queryable_tables(session, rt.settings, caller)
    given = (request.query_params.get("sql") or "")[:MAX_SQL_CHARS]
    if not given and tables:
        given = f"SELECT *\nFROM {tables[0].ref}\nLIMIT 1000"
    return page(
        request,
        "sql.html",
        tables=tables,
        sql=given,
        console={"pageRows": PAGE_ROWS, "queryUrl": "/api/v1/query"},
    )
