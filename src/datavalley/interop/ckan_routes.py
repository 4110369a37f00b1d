"""The CKAN Action API over HTTP: ``/api/3/action/NAME`` and ``/api/action/NAME``.

Actions that change nothing take GET or POST; actions that change something take POST only (a GET is
CKAN's 400 "Please use POST method"), and a POST authenticated only by the portal session cookie needs
the session's CSRF token in the ``X-CSRF-Token`` header (``datavalley.api.deps.get_caller``).

Parameters come from the query string (GET) or a JSON object body (POST; a form body works too); a key
given several times is a list of its values, as CKAN reads it (``?facet.field=a&facet.field=b``, how
``ckanapi -g`` sends lists). Unknown parameters are ignored. Every answer is CKAN's envelope::

    {"help": ".../api/3/action/help_show?name=package_show", "success": true, "result": ...}
    {"help": ..., "success": false, "error": {"__type": "Not Found Error", "message": "Not found: ..."}}

Errors (``__type`` → HTTP status): ``Not Found Error`` 404, ``Authorization Error`` 403 (401 for a bad
token), ``Validation Error`` 409 (with the failing field names as keys), ``Search Query Error`` 400,
``Bad request`` 400 (unknown action, a write action by GET, malformed JSON), ``Internal Server Error`` 500.

Credentials: the token the way CKAN clients send it — a raw ``Authorization: <token>`` header,
``Authorization: Bearer <token>``, or ``X-CKAN-API-Key: <token>`` — else the portal session.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from datavalley.access.policy import Caller
from datavalley.access.tokens import caller_for_token
from datavalley.api.deps import get_caller
from datavalley.errors import (
    BadRequest,
    Conflict,
    DataValleyError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from datavalley.interop import ckan_datastore as _datastore  # noqa: F401  (registers datastore_search)
from datavalley.interop import ckan_write as _write  # noqa: F401  (registers package_create ...)
from datavalley.interop.ckan_actions import ACTIONS, SIDE_EFFECT_FREE, Context
from datavalley.interop.ckan_params import SearchQueryError
from datavalley.interop.urls import Urls, base_url
from datavalley.runtime import Runtime

log = logging.getLogger("datavalley.ckan")
router = APIRouter(tags=["CKAN Action API"])
MAX_BODY = 1 << 20


def _error_type(exc: DataValleyError) -> tuple[str, int]:
    if isinstance(exc, NotFound):
        return "Not Found Error", 404
    if isinstance(exc, Unauthorized):
        return "Authorization Error", 401
    if isinstance(exc, Forbidden):
        return "Authorization Error", 403
    if isinstance(exc, InvalidInput | Conflict):
        return "Validation Error", 409
    if isinstance(exc, SearchQueryError):
        return "Search Query Error", 400
    if isinstance(exc, BadRequest):
        return "Bad request", 400
    return "Internal Server Error", exc.status if exc.status >= 500 else 500


def _envelope(help_url: str, *, result: Any = None, error: dict[str, Any] | None = None, status: int = 200):
    body: dict[str, Any] = {"help": help_url, "success": error is None}
    if error is None:
        body["result"] = result
    else:
        body["error"] = error
    return JSONResponse(body, status_code=status)


def _error_body(exc: DataValleyError) -> tuple[dict[str, Any], int]:
    kind, status = _error_type(exc)
    error: dict[str, Any] = {"__type": kind, "message": exc.message}
    if kind == "Validation Error":
        for detail in exc.details:
            error.setdefault(detail.field, []).append(detail.message)
    return error, status


def _mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """Query or form fields as CKAN reads them: a key given once is its value, a repeated key a list.

    >>> _mixed([("facet.field", "tags"), ("rows", "5"), ("facet.field", "organization")])
    {'facet.field': ['tags', 'organization'], 'rows': '5'}
    """
    values: dict[str, list[Any]] = {}
    for key, value in items:
        values.setdefault(key, []).append(value)
    return {key: found[0] if len(found) == 1 else found for key, found in values.items()}


async def _params(request: Request) -> dict[str, Any]:
    params = _mixed(request.query_params.multi_items())
    if request.method != "POST":
        return params
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise BadRequest(f"Bad request - the body is over {MAX_BODY} bytes")
    if not raw.strip():
        return params
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type or "multipart/form-data" in content_type:
        form = await request.form()
        params.update(_mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)]))
        return params
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Bad request - JSON Error: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("Bad request - JSON Error: the body must be a JSON object of parameters")
    params.update(body)
    return params


def _check_text(value: Any, name: str) -> None:
    """PostgreSQL cannot compare text holding NUL: refuse it anywhere in the parameters."""
    if isinstance(value, str) and "\x00" in value:
        raise InvalidInput.for_field(name, "must not contain a NUL character")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, name)
            _check_text(v, name)
    if isinstance(value, list):
        for v in value:
            _check_text(v, name)


def ckan_caller(request: Request, rt: Runtime) -> Caller:
    """The caller from a CKAN-style token header, else the native rules (session cookie or anonymous)."""
    secret = request.headers.get("x-ckan-api-key")
    header = request.headers.get("authorization")
    if secret is None and header is not None:
        scheme, _, rest = header.strip().partition(" ")
        secret = rest.strip() if scheme.lower() == "bearer" else header.strip()
    if secret is not None:
        if not secret:
            raise Unauthorized("the API token is empty; send `Authorization: <token>`")
        with rt.session() as session:
            return caller_for_token(session, secret)
    return get_caller(request, rt)


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"], summary="Call a CKAN action")
@router.api_route("/api/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def call_action(request: Request, name: str) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    urls = Urls(base_url(request))
    help_url = f"{urls.base}/api/3/action/help_show?name={name}"
    try:
        func = ACTIONS.get(name)
        if func is None:
            raise BadRequest(f"Bad request - Action name not known: {name}")
        if request.method != "POST" and name not in SIDE_EFFECT_FREE:
            raise BadRequest(
                "Bad request - JSON Error: Invalid request. Please use POST method for your request "
                f"(`{name}` changes data: send its parameters as a JSON object in a POST body)"
            )
        params = await _params(request)
        for key, value in params.items():
            _check_text(key, "parameters")
            _check_text(value, key)
        caller = await run_in_threadpool(ckan_caller, request, rt)
        result = await run_in_threadpool(func, Context(rt, caller, urls), params)
    except DataValleyError as exc:
        error, status = _error_body(exc)
        return _envelope(help_url, error=error, status=status)
    except Exception:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s in CKAN action %s", incident, name)
        error = {
            "__type": "Internal Server Error",
            "message": f"an unexpected error happened on the server (incident {incident}); it has been logged",
        }
        return _envelope(help_url, error=error, status=500)
    return _envelope(help_url, result=result)


@router.get("/api/3", include_in_schema=False)
@router.get("/api/3/action", include_in_schema=False)
def api_version() -> dict[str, int]:
    return {"version": 3}
