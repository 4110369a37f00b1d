"""Reading tables over HTTP: list a dataset's tables, describe one, page through or download its rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from datavalley.access import audit
from datavalley.access.policy import Caller, ReadPlan, check_dataset_visible, plan_read
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog import tables as table_service
from datavalley.catalog.tables import TableDetail, TablePublic
from datavalley.errors import InvalidInput
from datavalley.query import formats, rows
from datavalley.query.rows import RowFormat, RowsPage

router = APIRouter(tags=["tables"])

_FILTERS_HELP = (
    "Any other query parameter filters rows: `col=value`, `col__ne`, `col__gt`, `col__gte`, `col__lt`, "
    "`col__lte`, `col__in=a,b,c` (CSV quoting for commas), `col__contains`, `col__startswith`, "
    "`col__isnull=true|false`. Values are read as the column's type; `__ne` keeps rows where the column "
    "is missing. Without `sort`, and after the `sort` keys, rows are ordered by every column left to "
    "right; missing values come last."
)


class TablesPublic(BaseModel):
    data: list[TablePublic]
    count: int


@router.get(
    "/datasets/{org}/{dataset}/tables", response_model=TablesPublic, summary="List a dataset's tables"
)
def list_tables(rt: RuntimeDep, caller: CallerDep, org: str, dataset: str) -> TablesPublic:
    with rt.session() as session:
        check_dataset_visible(session, caller, org, dataset)
        found = table_service.list_tables(session, rt.settings, org, dataset)
    return TablesPublic(data=found, count=len(found))


@router.get(
    "/datasets/{org}/{dataset}/tables/{table}",
    response_model=TableDetail,
    summary="Show a table: columns, exact row count, size, versions",
)
def get_table(
    rt: RuntimeDep,
    caller: CallerDep,
    org: str,
    dataset: str,
    table: str,
    version: Annotated[int | None, Query(ge=0, description="an older version (default: newest)")] = None,
) -> TableDetail:
    with rt.session() as session:
        check_dataset_visible(session, caller, org, dataset)
        return table_service.describe_table(session, rt.settings, org, dataset, table, version=version)


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _audit(session: Session, caller: Caller, plan: ReadPlan, path: str, sent: int) -> None:
    audit.record_read(
        session,
        caller=caller,
        path=path,
        table_ref=plan.location.ref,
        grant_id=plan.grant_id,
        purpose=plan.purpose,
        rows=sent,
    )


@router.get(
    "/datasets/{org}/{dataset}/tables/{table}/rows",
    response_model=RowsPage,
    summary="Rows of a table: filter, sort, page through to the end, or download",
    description=_FILTERS_HELP
    + " `format=json` gives a page and a `next` cursor; `ndjson`, `csv` and `parquet` stream every "
    "matching row (up to `limit` if given).",
    responses={200: {"content": {d.media_type: {} for d in formats.DOWNLOADS.values()}}},
)
def read_rows(
    request: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    org: str,
    dataset: str,
    table: str,
    format: RowFormat = "json",
    columns: Annotated[str | None, Query(description="columns to return, comma-separated")] = None,
    sort: Annotated[str | None, Query(description="`col,-col2`: `-` sorts descending")] = None,
    limit: Annotated[
        int | None, Query(ge=1, description=f"json: rows per page, default 100, at most {rows.MAX_PAGE_ROWS}")
    ] = None,
    cursor: Annotated[str | None, Query(description="the `next` of the previous page")] = None,
    version: Annotated[int | None, Query(ge=0, description="an older version (default: newest)")] = None,
) -> RowsPage | StreamingResponse:
    filters = [(k, v) for k, v in request.query_params.multi_items() if k not in rows.RESERVED_PARAMS]
    with rt.session() as session:
        plan = plan_read(session, rt.settings, caller, org, dataset, table)
    location = plan.location
    workdir = rt.settings.home / "tmp" / "duckdb"
    if format == "json":
        if limit is not None and limit > rows.MAX_PAGE_ROWS:
            raise InvalidInput.for_field(
                "limit",
                f"a page holds at most {rows.MAX_PAGE_ROWS} rows; download csv, ndjson or parquet for more",
            )
        page = rows.read_rows(
            location,
            version=version,
            columns=_names(columns),
            filters=filters,
            sort=_names(sort),
            after=cursor,
            limit=limit or rows.DEFAULT_PAGE_ROWS,
            workdir=workdir,
            plan=plan,
        )
        with rt.session() as session:
            _audit(session, caller, plan, "rows", len(page.rows))
        return page
    download = formats.DOWNLOADS[format]
    stream = rows.stream_rows(
        location,
        version=version,
        columns=_names(columns),
        filters=filters,
        sort=_names(sort),
        after=cursor,
        limit=limit,
        workdir=workdir,
        plan=plan,
    )

    def audit_download(sent: int) -> None:
        with rt.session() as session:
            _audit(session, caller, plan, "download", sent)

    stream.on_end = audit_download
    filename = f"{location.name}-v{stream.version}.{download.extension}"
    return StreamingResponse(
        formats.ended(download.chunks(stream), format),
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Table-Version": str(stream.version),
        },
    )
