"""Rendering portal pages: the Jinja2 environment, the visitor's language, security headers.

Every page goes through :func:`page`, which picks the language (``?lang=``, then the ``lang`` cookie,
then ``Accept-Language``), gives templates ``t(key, **values)`` and writes the answer with a strict
Content-Security-Policy: scripts only from ``/static``, nothing from other hosts.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from datavalley import __version__
from datavalley.access.policy import Caller
from datavalley.web.i18n import LANGUAGE_NAMES, LANGUAGES, Lang, messages, negotiate, translate

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

#: Sent with every portal page. ECharts sets inline styles from script, hence 'unsafe-inline' for styles.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _number(value: int | float | None) -> str:
    """``1234567`` → ``1,234,567`` (both languages group digits the same way)."""
    if value is None:
        return ""
    return f"{value:,}"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def _at(value: datetime | None, tz: str = "UTC") -> str:
    """A moment in the platform's time zone, to the minute: ``2026-05-06 23:59``."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _size(value: int) -> str:
    """Bytes as a short human size: ``2.5 MB``."""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("datavalley.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_number, day=_day, size=_size, at=_at)
    env.globals.update(version=__version__, language_names=LANGUAGE_NAMES, languages=LANGUAGES)
    return env


ENV = _environment()


def chosen_lang(request: Request) -> tuple[Lang, bool]:
    """The visitor's language, and whether they chose it just now with ``?lang=`` (to remember it)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True  # type: ignore[return-value]
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie, False  # type: ignore[return-value]
    return negotiate(request.headers.get("accept-language")), False


def url_with(request: Request, **changes: Any) -> str:
    """The current path and query with some parameters replaced (``None`` removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        params += [(key, str(v)) for v in values]
    query = urllib.parse.urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


#: Message keys the page's scripts use, by prefix (handed to them as a JSON data block).
JS_PREFIXES = ("js.", "op.", "agg.", "chart.type.")


def js_messages(lang: str) -> dict[str, str]:
    """The words the page's scripts need."""
    return {k: v for k, v in messages(lang).items() if k.startswith(JS_PREFIXES)}


#: what ``?done=`` may announce after a form did its work (anything else is ignored)
DONE_KEYS = frozenset(
    {
        "logged_in",
        "logged_out",
        "token_revoked",
        "request_opened",
        "request_withdrawn",
        "request_reviewed",
        "request_rejected",
        "request_approved",
        "grant_created",
        "grant_revoked",
    }
)


def visitor(request: Request) -> tuple[Caller | None, str | None]:
    """Who is logged in (None: nobody) and their session's CSRF token (None: not a cookie session)."""
    from datavalley.web.session import active_session  # session.py builds on the API's dependencies

    caller: Caller | None = getattr(request.state, "caller", None)
    active = active_session(request) if getattr(request.state, "auth", None) != "token" else None
    if caller is None and active is not None:
        caller = active.caller
    if caller is None or caller.user is None:
        return None, None
    return caller, active.csrf_token if active is not None else None


def _timezone(request: Request) -> str:
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.settings.timezone if runtime is not None else "UTC"


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the visitor's language, with the portal's security headers."""
    lang, chosen = chosen_lang(request)
    me, csrf = visitor(request)
    done = request.query_params.get("done")
    values = {
        "request": request,
        "lang": lang,
        "t": partial(translate, lang),
        "url_with": partial(url_with, request),
        "js_messages": js_messages(lang),
        "me": me,
        "csrf": csrf,
        "done": done if done in DONE_KEYS else None,
        "tz": _timezone(request),
        **context,
    }
    html = ENV.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
    if me is not None:
        response.headers["Cache-Control"] = "no-store"  # a page for one person: never kept by a cache
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="lax")
    response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else "en"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
