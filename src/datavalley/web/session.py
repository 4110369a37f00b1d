"""Who is at the portal, and the forms that change something.

Reading pages uses the API's own caller (``CallerDep``): a bearer token, else the ``dv_session`` cookie.
A portal form that changes something (POST) carries the session's CSRF token as the hidden field
``csrf_token`` (the API takes it as the ``X-CSRF-Token`` header): :func:`read_form` checks it before any
handler runs and refuses the form with 403 without it. Bearer-token requests need none (browsers never
add that header by themselves). Form bodies are small (at most 256 KB), URL-encoded, and hold no NUL.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from datavalley.access.policy import ANONYMOUS, Caller
from datavalley.access.sessions import CSRF_FIELD, SESSION_COOKIE, ActiveSession, csrf_matches, find_session
from datavalley.access.tokens import caller_for_token
from datavalley.api.deps import RuntimeDep
from datavalley.errors import BadRequest, Forbidden, InvalidInput, Unauthorized

MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 2000


def active_session(request: Request) -> ActiveSession | None:
    """The portal session of this request's cookie, or None; looked up once per request.

    For pages whose handler did not ask for the caller (the 404 of an unknown address): the header
    still shows who is logged in.
    """
    if hasattr(request.state, "session"):
        return request.state.session  # type: ignore[no-any-return]
    found = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and getattr(request.state, "auth", None) != "token":
        try:
            with request.app.state.runtime.session() as session:
                found = find_session(session, cookie)
        except Exception:  # the header is a nicety: a store problem shows as "not logged in" here
            found = None
    request.state.session = found
    return found


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after logging in: a path on this site only (never ``//host`` or another scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\x00") or len(target) > 2000:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous visitor of a page that needs a login to the login page, and back afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urllib.parse.urlencode({"next": here}), status_code=303)


def done_redirect(path: str, done: str) -> RedirectResponse:
    """After a form did its work: back to a page (POST → redirect → GET), which says what was done."""
    path, hash_, fragment = path.partition("#")
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}done={done}{hash_}{fragment}", status_code=303)


@dataclass
class Form:
    """A submitted portal form: who sent it (CSRF checked) and its fields."""

    caller: Caller
    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[-1] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise BadRequest(f"the form is larger than {MAX_FORM_BYTES // 1024} KB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise BadRequest(f"the form is larger than {MAX_FORM_BYTES // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes, content_type: str) -> dict[str, list[str]]:
    if content_type not in ("application/x-www-form-urlencoded", ""):
        raise BadRequest("send the form URL-encoded (application/x-www-form-urlencoded)")
    try:
        pairs = urllib.parse.parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form is not valid URL-encoded UTF-8 text") from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise InvalidInput.for_field(name.replace("\x00", ""), "must not contain a NUL character")
        fields.setdefault(name, []).append(value)
    return fields


async def read_form(request: Request, rt: RuntimeDep) -> Form:
    """The form of a POST, and its sender; 403 when a session-cookie form lacks the session's CSRF token."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fields = _parse(await _body(request), content_type)
    caller = ANONYMOUS
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized(
                "the Authorization header must be `Bearer <token>` with a DataValley API token"
            )
        with rt.session() as session:
            caller = caller_for_token(session, credentials.strip())
        request.state.auth = "token"
        request.state.session = None
    elif request.cookies.get(SESSION_COOKIE):
        active = active_session(request)
        if active is not None:
            given = (fields.get(CSRF_FIELD) or [None])[-1]
            if not csrf_matches(active, given):
                raise Forbidden(
                    "this form lacks the session's CSRF token (or it is out of date): "
                    "reload the page and send the form again"
                )
            caller = active.caller
            request.state.auth = "session"
    request.state.caller = caller
    return Form(caller=caller, fields=fields)


FormDep = Annotated[Form, Depends(read_form)]

__all__ = ["Form", "FormDep", "active_session", "done_redirect", "login_redirect", "read_form", "safe_next"]
