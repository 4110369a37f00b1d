"""SQL over HTTP: ``POST /api/v1/query`` — a JSON page with a cursor to the end, or a streamed download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from datavalley.api.deps import get_caller, get_runtime
from datavalley.errors import InvalidInput
from datavalley.query import service
from datavalley.query.formats import DOWNLOADS, ended
from datavalley.query.service import QueryRequest, QueryResult, ResultFormat

router = APIRouter(tags=["query"])

_DESCRIPTION = (
    "One SELECT over every table the caller may read: tables are named `org.dataset.table` (or "
    "`org.dataset` for a dataset with one table), `FOR VERSION AS OF n` / `FOR TIMESTAMP AS OF '…'` "
    "read older versions, `:name` parameters take their values from `params`. `format=json` answers "
    "one page (`limit` rows) with the exact `total_rows` and a `next` cursor to POST for the next page; "
    "`ndjson`, `csv`, `parquet` and `arrow` (Arrow IPC stream) stream every row. See docs/query.md."
)


def _answer(http: Request, request: QueryRequest) -> Response:
    """Who is calling, the query and its answer, all in one worker thread.

    The routes are ``async`` and hand this to the thread pool once. Taking the runtime and the caller
    as (synchronous) dependencies and returning a ``QueryResult`` for FastAPI to check cost three more
    round trips between the event loop and the pool per query, each a wait for a thread to be
    scheduled: milliseconds on a busy machine. The caller is found by the same ``get_caller``, and
    the answer is the same ``QueryResult``, serialised by pydantic.
    """
    rt = get_runtime(http)
    caller = get_caller(http, rt)
    if request.format == "json":
        with rt.session() as session:
            result = service.run_query(session, rt.settings, caller, request)
        return Response(result.model_dump_json(), media_type="application/json")
    if request.cursor:
        raise InvalidInput.for_field(
            "cursor",
            f"a cursor pages JSON results only; `{request.format}` streams every row at once: "
            "send the SQL with that format instead",
        )
    with rt.session() as session:
        stream = service.stream_query(
            session, rt.settings, caller, request.sql or "", request.params, sessions=rt.session
        )
    download = DOWNLOADS[request.format]
    return StreamingResponse(
        ended(download.chunks(stream), request.format),
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
async def post_query(http: Request, request: QueryRequest) -> Response:
    return await run_in_threadpool(_answer, http, request)


@router.get(
    "/query",
    response_model=QueryResult,
    summary="Run SQL given in the query string (for links and curl)",
    description=_DESCRIPTION + " Parameters: `param.<name>=value`.",
    responses={200: {"content": {d.media_type: {} for d in DOWNLOADS.values()}}},
)
async def get_query(
    http: Request,
    sql: Annotated[str | None, Query(max_length=100_000)] = None,
    format: ResultFormat = "json",
    limit: Annotated[int | None, Query(ge=1, le=service.MAX_PAGE_ROWS)] = None,
    cursor: Annotated[str | None, Query(max_length=2_000)] = None,
) -> Response:
    params = {
        key.removeprefix("param."): value
        for key, value in http.query_params.multi_items()
        if key.startswith("param.")
    }
    request = QueryRequest(sql=sql, params=params, format=format, limit=limit, cursor=cursor)
    return await run_in_threadpool(_answer, http, request)
