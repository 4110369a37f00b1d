"""One JSON error shape for the whole native API, whatever went wrong.

``{"error": {"status": 404, "code": "not_found", "message": "...", "details": [{"field", "message"}]}}``
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from datavalley.errors import DataValleyError, ErrorDetail

log = logging.getLogger("datavalley.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(
    status: int, code: str, message: str, details: list[ErrorDetail] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "details": [d.to_dict() for d in details or []],
        }
    }


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def _validation_details(errors: list[dict[str, Any]]) -> list[ErrorDetail]:
    details = []
    for err in errors:
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "malformed JSON")
            details.append(ErrorDetail("body", f"the body is not valid JSON: {reason}"))
            continue
        field = _field_of(err.get("loc", ())) or "body"
        message = str(err.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            message = "is not a known field"
        details.append(ErrorDetail(field, message))
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DataValleyError)
    async def _ours(_request: Request, exc: DataValleyError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(list(exc.errors()))
        message = "; ".join(f"`{d.field}`: {d.message}" for d in details) or "invalid request"
        return JSONResponse(error_body(422, "invalid_input", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        message = str(exc.detail)
        if status == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}; see /docs"
        elif status == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /docs"
        code = _HTTP_CODES.get(status, "error")
        return JSONResponse(
            error_body(status, code, message), status_code=status, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
        message = f"an unexpected error happened on the server (incident {incident}); it has been logged"
        return JSONResponse(error_body(500, "internal_error", message), status_code=500)
