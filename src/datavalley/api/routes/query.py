"""SQL over HTTP: ``POST /api/v1/query`` — a JSON page with a cursor to the end, or a streamed download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.query import service
from datavalley.query.formats import DOWNLOADS
from datavalley.query.service import QueryRequest, QueryResult, ResultFormat

router = APIRouter(tags=["query"])

_DESCRIPTION = (
    "One SELECT over every table the caller may read: tables are named `org.dataset.table` (or "
    "`org.dataset` for a dataset with one table), `FOR VERSION AS OF n` / `FOR TIMESTAMP AS OF '…'` "
    "read older versions, `:name` parameters take their values from `params`. `format=json` answers "
    "one page (`limit` rows) with the exact `total_rows` and a `next` cursor to POST for the next page; "
    "`ndjson`, `csv`, `parquet` and `arrow` (Arrow IPC stream) stream every row. See docs/query.md."
)


def _answer(rt: RuntimeDep, caller: CallerDep, request: QueryRequest) -> QueryResult | StreamingResponse:
    if request.format == "json":
        with rt.session() as session:
            return service.run_query(session, rt.settings, caller, request)
    with rt.session() as session:
        stream = service.stream_query(
            session, rt.settings, caller, request.sql or "", request.params, sessions=rt.session
        )
    download = DOWNLOADS[request.format]
    return StreamingResponse(
        download.chunks(stream),
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="query.{download.extension}"'},
    )


@router.post(
    "/query",
    response_model=QueryResult,
    summary="Run SQL over the tables you may read",
    description=_DESCRIPTION,
    responses={200: {"content": {d.media_type: {} for d in DOWNLOADS.values()}}},
)
def post_query(rt: RuntimeDep, caller: CallerDep, request: QueryRequest) -> QueryResult | StreamingResponse:
    return _answer(rt, caller, request)


@router.get(
    "/query",
    response_model=QueryResult,
    summary="Run SQL given in the query string (for links and curl)",
    description=_DESCRIPTION + " Parameters: `param.<name>=value`.",
    responses={200: {"content": {d.media_type: {} for d in DOWNLOADS.values()}}},
)
def get_query(
    http: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    sql: Annotated[str | None, Query(max_length=100_000)] = None,
    format: ResultFormat = "json",
    limit: Annotated[int | None, Query(ge=1, le=service.MAX_PAGE_ROWS)] = None,
    cursor: Annotated[str | None, Query(max_length=2_000)] = None,
) -> QueryResult | StreamingResponse:
    params = {
        key.removeprefix("param."): value
        for key, value in http.query_params.multi_items()
        if key.startswith("param.")
    }
    request = QueryRequest(sql=sql, params=params, format=format, limit=limit, cursor=cursor)
    return _answer(rt, caller, request)
