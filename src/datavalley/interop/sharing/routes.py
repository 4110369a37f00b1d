"""The Delta Sharing endpoints under ``/delta-sharing/`` and the signed file URLs they hand out.

Every error answers the protocol's shape ``{"errorCode": ..., "message": ...}``: 400
``INVALID_PARAMETER_VALUE`` (422s included, and malformed bodies), 401 ``UNAUTHENTICATED``, 403
``PERMISSION_DENIED``, 404 ``RESOURCE_DOES_NOT_EXIST``, 500 ``INTERNAL_ERROR`` (logged with an
incident id; never a stack trace). Clients retry 5xx answers, so nothing the caller did wrong is one.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from datavalley.api.deps import RuntimeDep
from datavalley.errors import BadRequest, DataValleyError, Unauthorized
from datavalley.interop.sharing import protocol, signing
from datavalley.interop.sharing.models import Recipient
from datavalley.interop.sharing.recipients import recipient_for_token
from datavalley.interop.urls import base_url
from datavalley.runtime import Runtime

log = logging.getLogger("datavalley.delta_sharing")
NDJSON = "application/x-ndjson; charset=utf-8"
VERSION_HEADER = "Delta-Table-Version"
CAPABILITIES = {"delta-sharing-capabilities": "responseformat=parquet"}
_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    405: "INVALID_PARAMETER_VALUE",
}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    if status == 422:
        status = 400
    code = _CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "INVALID_PARAMETER_VALUE")
    return JSONResponse({"errorCode": code, "message": message}, status_code=status, headers=headers)


class SharingRoute(APIRoute):
    """Turns every failure of a protocol endpoint into the protocol's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except DataValleyError as exc:
                if exc.status >= 500:
                    return _internal(request, exc)
                return error_response(exc.status, exc.message, exc.headers or None)
            except (RequestValidationError, ValidationError) as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('body', 'query')) or 'body'}: "
                    f"{e.get('msg')}"
                    for e in exc.errors()
                )
                return error_response(400, f"malformed request: {problems}")
            except StarletteHTTPException as exc:
                return error_response(exc.status_code, str(exc.detail))
            except Exception as exc:
                return _internal(request, exc)

        return answer


def _internal(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.error("error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return error_response(
        500, f"an unexpected error happened on the server (incident {incident}); it is logged"
    )


router = APIRouter(prefix="/delta-sharing", tags=["Delta Sharing"], route_class=SharingRoute)
MaxResults = Annotated[int | None, Query(alias="maxResults", le=2**31 - 1)]
PageToken = Annotated[str | None, Query(alias="pageToken", max_length=200)]


@contextmanager
def _recipient(request: Request, rt: Runtime) -> Iterator[tuple[Session, Recipient]]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the profile's token as `Authorization: Bearer <token>`")
    with rt.session() as session:
        yield session, recipient_for_token(session, token.strip())


def _ndjson(version: int, lines: list[dict[str, Any]]) -> Response:
    body = "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines)
    headers = {VERSION_HEADER: str(version), **CAPABILITIES}
    return Response(body, media_type=NDJSON, headers=headers)


@router.get("/shares", summary="List shares")
def list_shares(
    request: Request, rt: RuntimeDep, max_results: MaxResults = None, page_token: PageToken = None
) -> dict[str, Any]:
    with _recipient(request, rt) as (session, recipient):
        return protocol.page(protocol.list_shares(session, recipient), max_results, page_token)


@router.get("/shares/{share}", summary="Get share")
def get_share(request: Request, rt: RuntimeDep, share: str) -> dict[str, Any]:
    with _recipient(request, rt) as (session, recipient):
        return protocol.get_share(session, recipient, share)


@router.get("/shares/{share}/schemas", summary="List schemas in a share")
def list_schemas(
    request: Request,
    rt: RuntimeDep,
    share: str,
    max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    with _recipient(request, rt) as (session, recipient):
        return protocol.page(
            protocol.list_schemas(session, rt.settings, recipient, share), max_results, page_token
        )


@router.get("/shares/{share}/schemas/{schema}/tables", summary="List tables in a schema")
def list_tables(
    request: Request,
    rt: RuntimeDep,
    share: str,
    schema: str,
    max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    with _recipient(request, rt) as (session, recipient):
        items = protocol.list_tables(session, rt.settings, recipient, share, schema)
        return protocol.page(items, max_results, page_token)


@router.get("/shares/{share}/all-tables", summary="List all tables in a share")
def list_all_tables(
    request: Request,
    rt: RuntimeDep,
    share: str,
    max_results: MaxResults = None,
    page_token: PageToken = None,
) -> dict[str, Any]:
    with _recipient(request, rt) as (session, recipient):
        return protocol.page(
            protocol.list_tables(session, rt.settings, recipient, share), max_results, page_token
        )


def _version(
    request: Request, rt: Runtime, share: str, schema: str, table: str, starting: str | None
) -> Response:
    with _recipient(request, rt) as (session, recipient):
        version = protocol.table_version(
            session, rt.settings, recipient, share, schema, table, starting_timestamp=starting
        )
    return Response(status_code=200, headers={VERSION_HEADER: str(version)})


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/version", summary="Query table version")
def table_version(
    request: Request,
    rt: RuntimeDep,
    share: str,
    schema: str,
    table: str,
    starting_timestamp: Annotated[str | None, Query(alias="startingTimestamp", max_length=100)] = None,
) -> Response:
    return _version(request, rt, share, schema, table, starting_timestamp)


@router.head("/shares/{share}/schemas/{schema}/tables/{table}", summary="Query table version (deprecated)")
def table_version_head(request: Request, rt: RuntimeDep, share: str, schema: str, table: str) -> Response:
    return _version(request, rt, share, schema, table, None)


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/metadata", summary="Query table metadata")
def table_metadata(request: Request, rt: RuntimeDep, share: str, schema: str, table: str) -> Response:
    with _recipient(request, rt) as (session, recipient):
        version, lines = protocol.table_metadata(session, rt.settings, recipient, share, schema, table)
    return _ndjson(version, lines)


@router.post("/shares/{share}/schemas/{schema}/tables/{table}/query", summary="Read data from a table")
async def query_table(request: Request, rt: RuntimeDep, share: str, schema: str, table: str) -> Response:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise BadRequest("the body is not JSON; send a JSON object such as {}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object such as {}")
    body = protocol.QueryBody.model_validate(data)
    from fastapi.concurrency import run_in_threadpool

    def run() -> tuple[int, list[dict[str, Any]]]:
        with _recipient(request, rt) as (session, recipient):
            return protocol.query_table(
                session, rt.settings, recipient, share, schema, table, body, base_url=base_url(request)
            )

    version, lines = await run_in_threadpool(run)
    return _ndjson(version, lines)


@router.get("/shares/{share}/schemas/{schema}/tables/{table}/changes", summary="Read change data feed")
def table_changes(request: Request, rt: RuntimeDep, share: str, schema: str, table: str) -> Response:
    with _recipient(request, rt) as (session, recipient):
        protocol.table_changes(session, rt.settings, recipient, share, schema, table)


@router.api_route("/files/{file_id}", methods=["GET", "HEAD"], summary="A data file (signed URL)")
def data_file(
    rt: RuntimeDep,
    file_id: str,
    expires: Annotated[str | None, Query(max_length=20)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    payload = signing.verify(signing.url_secret(rt.settings), file_id, expires, signature)
    with rt.session() as session:
        path = protocol.signed_file(session, rt.settings, payload)
    return FileResponse(path, media_type="application/octet-stream", headers={"Cache-Control": "private"})


@router.api_route(
    "/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def unknown(request: Request, rest: str) -> Response:
    return error_response(
        404, f"no such Delta Sharing endpoint: {request.method} {request.url.path}; see the protocol"
    )
