"""Portal login sessions: a random id in a cookie, its SHA-256 digest in the store, and a CSRF token.

The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` (unless ``DATAVALLEY_AUTH__COOKIE_SECURE=false``).
Requests authenticated by the cookie that change something (POST, PUT, PATCH, DELETE) must also carry the
session's CSRF token in the ``X-CSRF-Token`` header (or a form field, for the portal). The CSRF token is an
HMAC of the session id under a per-session secret: it is not stored, and it is worthless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from datavalley.access.accounts import as_caller
from datavalley.access.models import PortalSession, User
from datavalley.access.policy import Caller
from datavalley.access.tokens import digest
from datavalley.db.base import utcnow

SESSION_COOKIE = "dv_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_MAX_COOKIE = 100


@dataclass(frozen=True)
class LoginSession:
    """A session just made: ``secret`` goes into the cookie, ``csrf_token`` to the client's scripts/forms."""

    secret: str
    csrf_token: str
    expires: datetime
    user: str


@dataclass(frozen=True)
class ActiveSession:
    caller: Caller
    csrf_token: str
    expires: datetime


def csrf_token(csrf_secret: str, session_id: str) -> str:
    return hmac.new(csrf_secret.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def start_session(session: Session, user: User, *, hours: float) -> LoginSession:
    """Log ``user`` in: a new session (expired sessions of everyone are dropped on the way)."""
    now = utcnow()
    session.execute(delete(PortalSession).where(PortalSession.expires <= now))
    secret = secrets.token_urlsafe(32)
    record = PortalSession(
        id_hash=digest(secret),
        user_id=user.id,
        csrf_secret=secrets.token_hex(32),
        created=now,
        expires=now + timedelta(hours=hours),
    )
    session.add(record)
    session.flush()
    return LoginSession(secret, csrf_token(record.csrf_secret, secret), record.expires, user.name)


def find_session(session: Session, secret: str) -> ActiveSession | None:
    """The live session of this cookie value, or None (unknown, expired, or its user deactivated)."""
    if not secret or len(secret) > _MAX_COOKIE:
        return None
    record = session.scalar(select(PortalSession).where(PortalSession.id_hash == digest(secret)))
    if record is None or record.expires <= utcnow() or not record.user.active:
        return None
    return ActiveSession(as_caller(record.user), csrf_token(record.csrf_secret, secret), record.expires)


def csrf_matches(active: ActiveSession, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(active.csrf_token.encode(), given.encode())


def end_session(session: Session, secret: str) -> None:
    """Log out: the session is gone from the store, so the cookie no longer works anywhere."""
    session.execute(delete(PortalSession).where(PortalSession.id_hash == digest(secret)))
    session.flush()
