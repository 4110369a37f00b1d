"""``/api/v1/auth``: log in with a user name and password (a session cookie), log out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from datavalley.access import accounts, sessions
from datavalley.access.sessions import SESSION_COOKIE
from datavalley.api.deps import RuntimeDep, get_caller
from datavalley.errors import InvalidInput

router = APIRouter(prefix="/auth", tags=["auth"])


class Login(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)

    @field_validator("user", mode="after")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


class LoginPublic(BaseModel):
    user: str
    csrf_token: str = Field(description="send it as the X-CSRF-Token header with POST, PUT, PATCH, DELETE")
    expires: datetime


_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": Login.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": Login.model_json_schema()},
        },
    }
}


async def _credentials(request: Request) -> Login:
    """The user and password from a JSON body or an HTML form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=0, max_fields=10)
        data = {k: v for k, v in form.items() if isinstance(v, str)}
    else:
        raw = await request.body()
        if len(raw) > 10_000:
            raise InvalidInput.for_field("body", "is too large for a login")
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise InvalidInput.for_field(
                "body", 'send JSON {"user": ..., "password": ...} or a form'
            ) from None
    if not isinstance(data, dict):
        raise InvalidInput.for_field("body", 'send JSON {"user": ..., "password": ...} or a form')
    try:
        return Login.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in exc.errors(include_url=False)]
        ) from None


@router.post(
    "/login",
    response_model=LoginPublic,
    summary="Log in: sets the session cookie, returns the CSRF token",
    openapi_extra=_LOGIN_BODY,
)
async def login(request: Request, response: Response, rt: RuntimeDep) -> LoginPublic:
    credentials = await _credentials(request)
    address = request.client.host if request.client else "unknown"
    old = request.cookies.get(SESSION_COOKIE)

    def work() -> sessions.LoginSession:
        with rt.session() as session:
            user = accounts.authenticate(
                session, rt.settings, credentials.user, credentials.password, address=address
            )
            if old:
                sessions.end_session(session, old)
            return sessions.start_session(session, user, hours=rt.settings.auth.session_hours)

    started = await run_in_threadpool(work)
    response.set_cookie(
        SESSION_COOKIE,
        started.secret,
        max_age=int(rt.settings.auth.session_hours * 3600),
        path="/",
        secure=rt.settings.auth.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return LoginPublic(user=started.user, csrf_token=started.csrf_token, expires=started.expires)


@router.post(
    "/logout",
    status_code=204,
    summary="Log out: the session ends everywhere",
    dependencies=[Depends(get_caller)],  # a cookie-authenticated logout needs the CSRF token too
)
def logout(request: Request, rt: RuntimeDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with rt.session() as session:
            sessions.end_session(session, cookie)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=rt.settings.auth.cookie_secure, httponly=True, samesite="lax"
    )
    return response
