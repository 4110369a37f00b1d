"""``/datasets/{org}/{name}``: a dataset's metadata and tables, and an explorer for one of its tables.

The explorer (grid, chart, downloads) runs in the browser against the rows API
(``/api/v1/datasets/{org}/{name}/tables/{table}/rows``), so whatever rules that API enforces hold here too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from datavalley.access.policy import check_dataset_visible
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog import service
from datavalley.catalog.tables import TableDetail
from datavalley.query.service import MAX_PAGE_ROWS
from datavalley.web.catalog_view import ReadAccess, dataset_tables, read_access
from datavalley.web.render import page
from datavalley.web.snippets import available_snippets, table_snippets

router = APIRouter()

GRID_PAGE_ROWS = 25
#: At most this many groups (or scatter points) a chart draws: one page of the SQL service.
CHART_ROW_CAP = MAX_PAGE_ROWS


def quote_name(name: str) -> str:
    """A SQL identifier in double quotes (a quote inside is doubled)."""
    return '"' + name.replace('"', '""') + '"'


def explorer_config(table: TableDetail, access: ReadAccess) -> dict[str, object]:
    """What the grid and chart scripts need, handed over as a JSON data block: the readable columns."""
    base = f"/api/v1/datasets/{table.organization}/{table.dataset}/tables/{table.name}"
    return {
        "rowsUrl": f"{base}/rows",
        "columns": [
            {
                "name": c.name,
                "label": c.label,
                "type": c.type,
                "tags": c.tags,
                "masked": c.name in (access.masks or {}),
            }
            for c in table.columns
            if c.name in access.columns
        ],
        "rowCount": table.row_count,
        "queryUrl": "/api/v1/query",
        "tableSql": ".".join(quote_name(p) for p in (table.organization, table.dataset, table.name)),
        "pageRows": GRID_PAGE_ROWS,
        "chartCap": CHART_ROW_CAP,
    }


@router.get("/datasets/{org}/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> HTMLResponse:
    with rt.session() as session:
        check_dataset_visible(session, caller, org, name)  # the same 404 the API gives
        dataset = service.get_dataset(session, org, name)
        owner = service.get_organization(session, org, caller=caller)
        tables = dataset_tables(session, rt.settings, org, name)
        asked = request.query_params.get("table")
        current = next((t for t in tables if t.name == asked), tables[0] if tables else None)
        access = read_access(session, rt.settings, caller, current) if current else ReadAccess(False)
    snippets = []
    if current is not None:
        snippets = table_snippets(
            str(request.base_url), org, name, current.name, available=available_snippets(request.app)
        )
    return page(
        request,
        "dataset.html",
        dataset=dataset,
        owner=owner,
        tables=tables,
        current=current,
        access=access,
        explorer=explorer_config(current, access) if current and access.readable else None,
        snippets=snippets,
        chart_cap=CHART_ROW_CAP,
    )
