"""API tokens: ``Authorization: Bearer dv_...``. Named, per user, with an expiry, revocable.

A token is ``dv_`` followed by 32 random bytes (URL-safe base64, 43 characters). It is shown once, when
it is made; the store keeps only its SHA-256 digest (the secret is random, so a slow hash adds nothing)
and its first characters, to recognise it in a listing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access.accounts import as_caller, user_record
from datavalley.access.models import ApiToken
from datavalley.access.policy import Caller
from datavalley.catalog.schemas import _Input
from datavalley.db.base import is_record_id, utcnow
from datavalley.errors import Conflict, NotFound, Unauthorized

TOKEN_PREFIX = "dv_"
_TOKEN_RE = re.compile(r"dv_[A-Za-z0-9_-]{43}")
SHOWN = 9  # "dv_" and six characters of the secret
#: how often ``last_used`` is written at most (a busy token would otherwise write on every request)
LAST_USED_EVERY = timedelta(minutes=1)

TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TokenState = Literal["active", "expired", "revoked"]


class TokenCreate(_Input):
    name: TokenName = Field(description="what the token is for, e.g. `laptop` or `nightly-export`")
    expires_days: int | None = Field(
        default=None, ge=1, le=3650, description="lifetime in days; default from the settings (90)"
    )


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="the first characters of the token, to recognise it")
    created: datetime
    expires: datetime
    revoked: datetime | None
    last_used: datetime | None
    state: TokenState = "active"


class TokenCreated(TokenPublic):
    token: str = Field(description="the secret: shown this once, never again")


class TokensPublic(BaseModel):
    data: list[TokenPublic]
    count: int


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _state(token: ApiToken, now: datetime) -> TokenState:
    if token.revoked is not None:
        return "revoked"
    return "expired" if token.expires <= now else "active"


def _public(token: ApiToken) -> TokenPublic:
    return TokenPublic.model_validate(token).model_copy(update={"state": _state(token, utcnow())})


def create_token(session: Session, user: str, data: TokenCreate, *, default_days: int) -> TokenCreated:
    """Make a token for ``user``; the returned ``token`` is the only copy of the secret."""
    owner = user_record(session, user)
    now = utcnow()
    active = session.scalar(
        select(ApiToken.id).where(
            ApiToken.user_id == owner.id,
            ApiToken.name == data.name,
            ApiToken.revoked.is_(None),
            ApiToken.expires > now,
        )
    )
    if active is not None:
        raise Conflict(
            f"user `{user}` already has an active token named `{data.name}`; revoke it or choose another name"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=data.name,
        prefix=secret[:SHOWN],
        secret_hash=digest(secret),
        created=now,
        expires=now + timedelta(days=data.expires_days or default_days),
    )
    session.add(token)
    session.flush()
    return TokenCreated(**_public(token).model_dump(), token=secret)


def list_tokens(session: Session, user: str) -> TokensPublic:
    owner = user_record(session, user)
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.created, ApiToken.id)
    ).all()
    return TokensPublic(data=[_public(t) for t in rows], count=len(rows))


def revoke_token(session: Session, user: str, ref: str | int) -> TokenPublic:
    """Revoke one of ``user``'s tokens, named by its id or by the name of an active token."""
    owner = user_record(session, user)
    stmt = select(ApiToken).where(ApiToken.user_id == owner.id)
    by_id = isinstance(ref, int) or str(ref).isdigit()
    if by_id:
        stmt = stmt.where(ApiToken.id == int(ref))
    else:
        stmt = stmt.where(ApiToken.name == ref, ApiToken.revoked.is_(None)).order_by(ApiToken.id.desc())
    token = None if by_id and not is_record_id(int(ref)) else session.scalars(stmt).first()
    if token is None:
        raise NotFound(f"user `{user}` has no token `{ref}`; `datavalley token list` shows them")
    if token.revoked is None:
        token.revoked = utcnow()
        session.flush()
    return _public(token)


def caller_for_token(session: Session, secret: str) -> Caller:
    """Who sends this bearer token; 401 naming the problem if it is malformed, unknown, expired or revoked."""
    if not _TOKEN_RE.fullmatch(secret):
        raise Unauthorized(
            "malformed API token: DataValley tokens are `dv_` followed by 43 characters; "
            "send `Authorization: Bearer dv_...`"
        )
    token = session.scalar(select(ApiToken).where(ApiToken.secret_hash == digest(secret)))
    if token is None:
        raise Unauthorized("unknown API token; check it, or create a new one with `datavalley token create`")
    now = utcnow()
    if token.revoked is not None:
        raise Unauthorized(
            f"API token `{token.name}` was revoked on {token.revoked:%Y-%m-%d}; create a new one"
        )
    if token.expires <= now:
        raise Unauthorized(f"API token `{token.name}` expired on {token.expires:%Y-%m-%d}; create a new one")
    if not token.user.active:
        raise Unauthorized(f"user `{token.user.name}` is deactivated; its tokens no longer work")
    if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
        token.last_used = now
        session.flush()
    return as_caller(token.user)
