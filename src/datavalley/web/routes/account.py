"""``/login``, ``/logout`` and ``/tokens``: logging in with a password, and one's API tokens.

The login form is protected against login CSRF (a foreign site logging the visitor in as someone else)
by a double-submit value: a random ``dv_login`` cookie (``SameSite=Strict``) that the form repeats.
Logging in sets the same session cookie as ``POST /api/v1/auth/login``.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from datavalley.access import accounts, sessions, tokens
from datavalley.access.sessions import SESSION_COOKIE
from datavalley.access.tokens import TokenCreate
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.errors import DataValleyError, TooManyRequests, Unauthorized
from datavalley.web.render import page
from datavalley.web.session import FormDep, done_redirect, login_redirect, safe_next

router = APIRouter()

LOGIN_COOKIE = "dv_login"
NO_STORE = {"Cache-Control": "no-store"}


def _login_page(
    request: Request,
    *,
    next_url: str,
    status: int = 200,
    error: str | None = None,
    user: str = "",
    retry: int | None = None,
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status=status,
        headers=NO_STORE,
        next_url=next_url,
        nonce=nonce,
        error=error,
        user_name=user,
        retry=retry,
    )
    secure = request.app.state.runtime.settings.auth.cookie_secure
    response.set_cookie(
        LOGIN_COOKIE, nonce, max_age=3600, path="/login", secure=secure, httponly=True, samesite="strict"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, caller: CallerDep) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if caller.user is not None:
        return RedirectResponse(next_url, status_code=303)
    return _login_page(request, next_url=next_url)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, rt: RuntimeDep, form: FormDep) -> Response:
    next_url = safe_next(form.get("next"))
    user, password = form.get("user").strip(), form.get("password")
    given, expected = form.get("nonce"), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _login_page(request, next_url=next_url, status=403, error="login.stale", user=user[:200])
    if not user or not password or len(user) > 200 or len(password) > 1024:
        return _login_page(request, next_url=next_url, status=422, error="login.missing", user=user[:200])
    address = request.client.host if request.client else "unknown"
    old = request.cookies.get(SESSION_COOKIE)

    def work() -> sessions.LoginSession:
        with rt.session() as session:
            found = accounts.authenticate(session, rt.settings, user, password, address=address)
            if old:
                sessions.end_session(session, old)
            return sessions.start_session(session, found, hours=rt.settings.auth.session_hours)

    try:
        started = await run_in_threadpool(work)
    except TooManyRequests as exc:
        return _login_page(
            request, next_url=next_url, status=429, error="login.too_many", user=user, retry=exc.retry_after
        )
    except Unauthorized:
        return _login_page(request, next_url=next_url, status=401, error="login.wrong", user=user)
    response = done_redirect(next_url, "logged_in")
    response.set_cookie(
        SESSION_COOKIE,
        started.secret,
        max_age=int(rt.settings.auth.session_hours * 3600),
        path="/",
        secure=rt.settings.auth.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, rt: RuntimeDep, form: FormDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and form.caller.user is not None:
        with rt.session() as session:
            sessions.end_session(session, cookie)
    response = done_redirect("/", "logged_out")
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=rt.settings.auth.cookie_secure, httponly=True, samesite="lax"
    )
    return response


def _tokens_page(request: Request, rt: RuntimeDep, user: str, *, status: int = 200, **context: object):
    with rt.session() as session:
        mine = tokens.list_tokens(session, user)
    return page(
        request,
        "tokens.html",
        status=status,
        headers=NO_STORE,
        tokens=list(reversed(mine.data)),
        default_days=rt.settings.auth.token_days,
        **{"created": None, "error": None, "name": "", "curl_example": "", **context},
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    return _tokens_page(request, rt, caller.user)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(request: Request, rt: RuntimeDep, form: FormDep) -> Response:
    user = form.caller.user
    if user is None:
        raise Unauthorized("making an API token needs you to log in")
    days = form.get("days").strip()
    try:
        data = TokenCreate(name=form.get("name"), expires_days=int(days) if days else None)
    except (ValidationError, ValueError):
        return _tokens_page(
            request, rt, user, status=422, error="tokens.invalid", name=form.get("name")[:100]
        )
    try:
        with rt.session() as session:
            made = tokens.create_token(session, user, data, default_days=rt.settings.auth.token_days)
    except DataValleyError as exc:
        return _tokens_page(request, rt, user, status=exc.status, error="tokens.taken", name=data.name)
    example = f'curl -H "Authorization: Bearer {made.token}" {request.base_url}api/v1/users/me'
    return _tokens_page(request, rt, user, status=201, created=made, curl_example=example)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(rt: RuntimeDep, form: FormDep, token_id: int) -> Response:
    if form.caller.user is None:
        raise Unauthorized("revoking an API token needs you to log in")
    with rt.session() as session:
        tokens.revoke_token(session, form.caller.user, token_id)
    return done_redirect("/tokens", "token_revoked")
