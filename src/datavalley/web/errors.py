"""Friendly error pages for the portal; ``/api/...`` keeps its one JSON error shape.

:func:`install_error_pages` wraps the JSON handlers the API installed: a request under ``/api/`` (or
for ``/openapi.json``) gets the JSON answer as before; any other request gets an HTML page in the
visitor's language. Neither ever shows a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from datavalley.errors import DataValleyError
from datavalley.web.render import page

log = logging.getLogger("datavalley.web")

JSON_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc")
Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

#: The statuses with a page of their own; the others use the closest of these.
PAGES = {400, 401, 403, 404, 405, 500, 503}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


#: What is sent if even the error page cannot be drawn (a broken template): still no stack trace.
BARE_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>DataValley</title>"
    "<h1>Something went wrong</h1><p>The error has been logged. <a href=/>Home</a></p></html>"
)


def error_page(request: Request, status: int, *, incident: str | None = None) -> Response:
    shown = status if status in PAGES else (400 if 400 <= status < 500 else 500)
    try:
        return page(request, "error.html", status=status, shown=shown, incident=incident)
    except Exception:  # the error page itself failed: say so plainly, log the cause
        log.exception("cannot draw the error page for %s %s", request.method, request.url.path)
        return HTMLResponse(BARE_PAGE, status_code=status)


def _wrap(json_handler: Handler, status_of: Callable[[Exception], int]) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            answer = json_handler(request, exc)
            return await answer if isinstance(answer, Awaitable) else answer
        status = status_of(exc)
        if status >= 500:
            incident = uuid.uuid4().hex[:12]
            log.error("error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
            return error_page(request, status, incident=incident)
        return error_page(request, status)

    return handler


def _status(exc: Exception) -> int:
    if isinstance(exc, DataValleyError):
        return exc.status
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 400
    return 500


def install_error_pages(app: FastAPI) -> None:
    """Serve HTML error pages outside ``/api/``; call after the API's handlers are installed."""
    for exc_class in (DataValleyError, StarletteHTTPException, RequestValidationError, Exception):
        json_handler = app.exception_handlers.get(exc_class)
        if json_handler is None:
            raise RuntimeError(f"install the API's error handlers first (none for {exc_class.__name__})")
        app.add_exception_handler(exc_class, _wrap(json_handler, _status))
