"""What handlers get injected: the runtime (settings + metadata store), the caller, and checks every request gets."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from datavalley.access.policy import ANONYMOUS, Caller
from datavalley.access.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, find_session
from datavalley.access.tokens import caller_for_token
from datavalley.errors import Forbidden, InvalidInput, Unauthorized
from datavalley.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

#: Where a page starts; capped at the largest offset the stores accept (a 64-bit integer).
Offset = Annotated[int, Query(ge=0, le=2**63 - 1, description="how many matches to skip")]


def reject_nul(request: Request) -> None:
    """Refuse NUL characters in the path and the query: PostgreSQL cannot compare text holding them."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value):
            raise InvalidInput.for_field(name, "must not contain a NUL character")


#: methods that change nothing: a session cookie alone is enough for them
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def get_caller(request: Request, rt: RuntimeDep) -> Caller:
    """Who is calling: ``Authorization: Bearer <token>``, else the portal session cookie, else anonymous.

    A malformed, unknown, expired or revoked token is a 401 (never silently anonymous). A request that
    changes something and is authenticated by the session cookie needs the session's CSRF token in the
    ``X-CSRF-Token`` header (403 without it); bearer-token requests do not (browsers never add those).
    An unknown or expired session cookie counts as anonymous.
    """
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    caller = ANONYMOUS
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized(
                "the Authorization header must be `Bearer <token>` with a DataValley API token "
                "(`datavalley token create` or POST /api/v1/tokens makes one)"
            )
        with rt.session() as session:
            caller = caller_for_token(session, credentials.strip())
        request.state.auth = "token"
    elif cookie := request.cookies.get(SESSION_COOKIE):
        with rt.session() as session:
            active = find_session(session, cookie)
        if active is not None:
            if request.method not in SAFE_METHODS and not csrf_matches(
                active, request.headers.get(CSRF_HEADER)
            ):
                raise Forbidden(
                    f"{request.method} with a session cookie needs the session's CSRF token in the "
                    f"`{CSRF_HEADER}` header (the login response and GET /api/v1/users/me give it)"
                )
            caller = active.caller
            request.state.auth = "session"
            request.state.session = active
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
