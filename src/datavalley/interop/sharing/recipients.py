"""Recipients: external parties that read shares over Delta Sharing with a bearer token.

A recipient belongs to one organization, whose editors (and the authority) make it, give it that
organization's shares, issue its profile and revoke it. Its token is ``dvs_`` followed by 32 random
bytes (URL-safe base64); like API tokens (:mod:`datavalley.access.tokens`) only its SHA-256 digest and
first characters are stored, so the secret is shown once: in the ``.share`` profile file made when the
recipient is created, or when a new profile is issued (which replaces the previous token).

A recipient reads as ``Caller(recipient=name)``: grants whose grantee is that recipient name apply.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access.audit import record_change
from datavalley.access.policy import Caller, check_may_edit
from datavalley.access.tokens import digest
from datavalley.catalog.models import Organization
from datavalley.catalog.schemas import _Input
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, NotFound, Unauthorized
from datavalley.interop.sharing.models import Recipient, ShareRecipient

TOKEN_PREFIX = "dvs_"
_TOKEN_RE = re.compile(r"dvs_[A-Za-z0-9_-]{43}")
SHOWN = 10  # "dvs_" and six characters of the secret
#: the same names grants accept for a recipient grantee
RecipientName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")]
RecipientState = Literal["active", "expired", "revoked"]


class RecipientCreate(_Input):
    name: RecipientName = Field(description="unique on the platform; grants name the recipient by it")
    organization: str = Field(description="the organization whose shares it may be given")
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    days: int | None = Field(
        default=None, ge=1, le=3650, description="token lifetime in days; default from the settings (90)"
    )
    shares: list[str] = Field(default_factory=list, description="shares to give it right away")


class ProfileRequest(_Input):
    days: int | None = Field(default=None, ge=1, le=3650, description="token lifetime in days")


class RecipientPublic(BaseModel):
    name: str
    organization: str
    description: str
    created: datetime
    created_by: str
    token_prefix: str | None = Field(description="the first characters of the current token")
    token_expires: datetime | None
    revoked_at: datetime | None
    state: RecipientState
    shares: list[str]


class RecipientsPublic(BaseModel):
    data: list[RecipientPublic]
    count: int


class RecipientProfile(RecipientPublic):
    """The recipient and its profile file: the only time the bearer token is shown."""

    profile: dict[str, Any] = Field(description="the `.share` profile file's content")


def recipient_state(recipient: Recipient, now: datetime | None = None) -> RecipientState:
    if recipient.revoked_at is not None:
        return "revoked"
    if recipient.token_expires is None or recipient.token_expires <= (now or utcnow()):
        return "expired"
    return "active"


def _shares_of(session: Session, recipient: Recipient) -> list[str]:
    links = session.scalars(select(ShareRecipient).where(ShareRecipient.recipient_id == recipient.id)).all()
    return sorted(link.share.name for link in links)


def _public(session: Session, recipient: Recipient) -> RecipientPublic:
    return RecipientPublic(
        name=recipient.name,
        organization=recipient.organization.name,
        description=recipient.description,
        created=recipient.created,
        created_by=recipient.created_by,
        token_prefix=recipient.token_prefix,
        token_expires=recipient.token_expires,
        revoked_at=recipient.revoked_at,
        state=recipient_state(recipient),
        shares=_shares_of(session, recipient),
    )


def _may_see(caller: Caller, recipient: Recipient) -> bool:
    return caller.platform_admin or caller.is_member(recipient.organization.name)


def recipient_record(session: Session, caller: Caller, name: str) -> Recipient:
    """The recipient, to members of its organization and the authority; 404 to anyone else."""
    found = session.scalar(select(Recipient).where(Recipient.name == name))
    if found is None or not _may_see(caller, found):
        raise NotFound(f"recipient `{name}` does not exist; `datavalley recipient list` shows them")
    return found


def _issue(recipient: Recipient, days: int, now: datetime) -> str:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    recipient.token_hash = digest(secret)
    recipient.token_prefix = secret[:SHOWN]
    recipient.token_created = now
    recipient.token_expires = now + timedelta(days=days)
    return secret


def profile_file(endpoint: str, token: str, expires: datetime) -> dict[str, Any]:
    """A Delta Sharing profile (``shareCredentialsVersion`` 1) for ``endpoint`` (``.../delta-sharing/``)."""
    return {
        "shareCredentialsVersion": 1,
        "endpoint": endpoint.rstrip("/") + "/",
        "bearerToken": token,
        "expirationTime": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def create_recipient(
    session: Session, caller: Caller, data: RecipientCreate, *, endpoint: str, default_days: int
) -> RecipientProfile:
    """Make a recipient of ``data.organization`` and its first token; the answer holds the profile."""
    org = session.scalar(select(Organization).where(Organization.name == data.organization))
    if org is None or not (caller.platform_admin or caller.is_member(data.organization)):
        raise NotFound(f"organization `{data.organization}` does not exist")
    check_may_edit(caller, data.organization, f"creating recipient `{data.name}`")
    if session.scalar(select(Recipient.id).where(Recipient.name == data.name)) is not None:
        raise Conflict(f"recipient `{data.name}` already exists; choose another name")
    now = utcnow()
    recipient = Recipient(
        name=data.name,
        organization_id=org.id,
        description=data.description,
        created=now,
        created_by=caller.name,
    )
    recipient.organization = org
    token = _issue(recipient, data.days or default_days, now)
    session.add(recipient)
    session.flush()
    record_change(
        session,
        caller=caller,
        action="recipient.create",
        target=f"recipient:{data.name}",
        details={"organization": data.organization, "expires": recipient.token_expires.isoformat()},
    )
    if data.shares:
        from datavalley.interop.sharing.shares import add_recipient

        for share in data.shares:
            add_recipient(session, caller, share, data.name)
    assert recipient.token_expires is not None
    return RecipientProfile(
        **_public(session, recipient).model_dump(),
        profile=profile_file(endpoint, token, recipient.token_expires),
    )


def new_profile(session: Session, caller: Caller, name: str, *, endpoint: str, days: int) -> RecipientProfile:
    """Issue a new token (the previous one stops working) and return the profile holding it."""
    recipient = recipient_record(session, caller, name)
    check_may_edit(caller, recipient.organization.name, f"issuing a profile for recipient `{name}`")
    if recipient.revoked_at is not None:
        raise Conflict(f"recipient `{name}` was revoked; create a new recipient instead")
    now = utcnow()
    token = _issue(recipient, days, now)
    session.flush()
    record_change(
        session,
        caller=caller,
        action="recipient.profile",
        target=f"recipient:{name}",
        details={"expires": recipient.token_expires.isoformat() if recipient.token_expires else None},
    )
    assert recipient.token_expires is not None
    return RecipientProfile(
        **_public(session, recipient).model_dump(),
        profile=profile_file(endpoint, token, recipient.token_expires),
    )


def list_recipients(session: Session, caller: Caller, *, organization: str | None = None) -> RecipientsPublic:
    """Recipients of the caller's organizations (every recipient for the authority)."""
    query = select(Recipient).join(Organization, Recipient.organization_id == Organization.id)
    if not caller.platform_admin:
        query = query.where(Organization.name.in_(list(caller.roles)))
    if organization is not None:
        query = query.where(Organization.name == organization)
    rows = session.scalars(query.order_by(Recipient.name)).all()
    return RecipientsPublic(data=[_public(session, r) for r in rows], count=len(rows))


def get_recipient(session: Session, caller: Caller, name: str) -> RecipientPublic:
    return _public(session, recipient_record(session, caller, name))


def revoke_recipient(session: Session, caller: Caller, name: str) -> RecipientPublic:
    """End the recipient for good: its token no longer works, and its signed file URLs neither."""
    recipient = recipient_record(session, caller, name)
    check_may_edit(caller, recipient.organization.name, f"revoking recipient `{name}`")
    if recipient.revoked_at is not None:
        raise Conflict(f"recipient `{name}` was already revoked on {recipient.revoked_at:%Y-%m-%d %H:%M} UTC")
    recipient.revoked_at = utcnow()
    recipient.revoked_by = caller.name
    session.flush()
    record_change(session, caller=caller, action="recipient.revoke", target=f"recipient:{name}")
    return _public(session, recipient)


# --- the protocol's side: who sends this bearer token -------------------------------------------------


def check_active(recipient: Recipient, now: datetime | None = None) -> None:
    """401 naming the problem if the recipient was revoked or its token has expired."""
    state = recipient_state(recipient, now)
    if state == "revoked":
        raise Unauthorized(f"recipient `{recipient.name}` was revoked; ask the data provider for access")
    if state == "expired":
        raise Unauthorized(
            f"the token of recipient `{recipient.name}` expired; ask the data provider for a new profile"
        )


def recipient_for_token(session: Session, secret: str) -> Recipient:
    """The recipient sending this bearer token; 401 if it is malformed, unknown, expired or revoked."""
    if not _TOKEN_RE.fullmatch(secret):
        raise Unauthorized(
            "malformed bearer token: a Delta Sharing profile's token is `dvs_` followed by 43 characters"
        )
    found = session.scalar(select(Recipient).where(Recipient.token_hash == digest(secret)))
    if found is None:
        raise Unauthorized("unknown bearer token; it may have been replaced by a newer profile")
    check_active(found)
    return found


def as_caller(recipient: Recipient) -> Caller:
    return Caller(recipient=recipient.name)
