"""Data APIs: saved, parameterised queries that providers publish at ``/api/v1/apis/{org}/{name}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.query import saved, service
from datavalley.query.formats import DOWNLOADS, ended
from datavalley.query.saved import SavedQueriesPublic, SavedQueryCreate, SavedQueryPublic
from datavalley.query.service import QueryRequest, QueryResult, ResultFormat

router = APIRouter(prefix="/apis", tags=["data APIs"])


@router.get("", response_model=SavedQueriesPublic, summary="List data APIs")
def list_apis(rt: RuntimeDep, caller: CallerDep, org: str | None = None) -> SavedQueriesPublic:
    with rt.session() as session:
        return saved.list_saved_queries(session, caller, org=org)


@router.post(
    "/{org}", response_model=SavedQueryPublic, status_code=201, summary="Publish a saved query as a data API"
)
def create_api(rt: RuntimeDep, caller: CallerDep, org: str, data: SavedQueryCreate) -> SavedQueryPublic:
    with rt.session() as session:
        return saved.create_saved_query(session, caller, org, data)


@router.get("/{org}/{name}/definition", response_model=SavedQueryPublic, summary="Show a data API")
def show_api(rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> SavedQueryPublic:
    with rt.session() as session:
        return saved.get_saved_query(session, caller, org, name)


@router.delete("/{org}/{name}", status_code=204, summary="Delete a data API")
def delete_api(rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> Response:
    with rt.session() as session:
        saved.delete_saved_query(session, caller, org, name)
    return Response(status_code=204)


@router.get(
    "/{org}/{name}",
    response_model=QueryResult,
    summary="Call a data API",
    description="Parameters go in the query string by name (`?county=520102`); `format`, `limit` and "
    "`cursor` work as in POST /api/v1/query. The query runs with the caller's own rights.",
    responses={200: {"content": {d.media_type: {} for d in DOWNLOADS.values()}}},
)
def call_api(
    http: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    org: str,
    name: str,
    format: ResultFormat = "json",
    limit: Annotated[int | None, Query(ge=1, le=service.MAX_PAGE_ROWS)] = None,
    cursor: Annotated[str | None, Query(max_length=2_000)] = None,
) -> QueryResult | StreamingResponse:
    given = {k: v for k, v in http.query_params.items() if k not in saved.RESERVED}
    with rt.session() as session:
        if cursor:
            return service.run_query(session, rt.settings, caller, QueryRequest(cursor=cursor, limit=limit))
        api = saved.get_saved_query(session, caller, org, name)
        values = saved.call_values(api, given)
        if format == "json":
            request = QueryRequest(sql=api.sql, limit=limit)
            return service.run_query(session, rt.settings, caller, request, params=values, path="data_api")
        stream = service.stream_query(
            session, rt.settings, caller, api.sql, values, sessions=rt.session, path="data_api"
        )
    download = DOWNLOADS[format]
    return StreamingResponse(
        ended(download.chunks(stream), format),
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{download.extension}"'},
    )
