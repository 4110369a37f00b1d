"""Users, their memberships in organizations, passwords and logins; who a user is as a :class:`Caller`.

Passwords are hashed with argon2 (argon2-cffi's defaults, rehashed on login when those change). A login
with a wrong password, an unknown user, a deactivated user or a user without a password gets the same
answer after the same work (an unknown user is checked against a dummy hash), so the answer gives no hint
whether the user exists. Failed logins are recorded in the metadata store, so the limits hold across every
API process: too many per user name, or per client address, within the window → 429 with the wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datavalley.access.models import LoginFailure, Membership, PortalSession, User
from datavalley.access.policy import ROLES, Caller, Role
from datavalley.catalog.models import Organization
from datavalley.catalog.schemas import Email, Slug, _Input, fields_set
from datavalley.config import AuthSettings, Settings
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unauthorized

_hasher = PasswordHasher()
_dummy_hash: str | None = None

PASSWORD_MIN = 8
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=1024)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
WRONG_LOGIN = "wrong user name or password"


class UserCreate(_Input):
    name: Slug
    display_name: DisplayName = ""
    email: Email = None
    password: Password | None = Field(default=None, description="none: the user logs in with tokens only")
    platform_admin: bool = False


class UserUpdate(_Input):
    display_name: DisplayName | None = None
    email: Email = None
    platform_admin: bool | None = None
    active: bool | None = None


class PasswordChange(_Input):
    password: Password
    current_password: str | None = Field(
        default=None, max_length=1024, description="needed when users change their own password"
    )


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    display_name: str
    email: str | None
    platform_admin: bool
    active: bool
    created: datetime
    last_login: datetime | None
    roles: dict[str, Role] = Field(default_factory=dict, description="organization → admin|editor|member")


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


class MemberPublic(BaseModel):
    organization: str
    user: str
    display_name: str
    role: Role


class MembersPublic(BaseModel):
    data: list[MemberPublic]
    count: int


# --- users ---------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput.for_field("password", f"must be at least {PASSWORD_MIN} characters")
    return _hasher.hash(password)


def _public(user: User) -> UserPublic:
    roles = {m.organization.name: m.role for m in user.memberships}
    return UserPublic.model_validate(user).model_copy(update={"roles": dict(sorted(roles.items()))})


def user_record(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"user `{name}` does not exist; `datavalley user list` shows them")
    return user


#: names the platform itself uses for callers that are not users (see ``Caller.name``): anonymous
#: visitors, the server's own authority (the CLI on the home folder acts as ``admin``), background jobs
RESERVED_NAMES: dict[str, str] = {
    "anonymous": "callers who are not logged in",
    "admin": "the data authority itself (the command line on the server); only a platform admin may have it",
    "system": "the platform's own background jobs",
}
#: a prefix the platform uses for Delta Sharing recipients
RESERVED_PREFIXES = ("recipient",)


def _has_platform_admin(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.platform_admin.is_(True)).limit(1)) is not None


def check_user_name(name: str) -> None:
    """Refuse a name the platform uses for another kind of caller (422 naming it)."""
    meaning = RESERVED_NAMES.get(name)
    if meaning is None and name.startswith(RESERVED_PREFIXES):
        meaning = "Delta Sharing recipients"
    if meaning is not None:
        raise InvalidInput.for_field(
            "name", f"`{name}` is reserved: the platform uses it for {meaning}; choose another name"
        )


def create_user(session: Session, data: UserCreate) -> UserPublic:
    """Create a user. Reserved names are refused, except ``admin`` for a platform admin (the default
    name of the first admin, and the name the command line acts under as the authority)."""
    if not (data.name == "admin" and data.platform_admin):
        check_user_name(data.name)
    taken = f"user `{data.name}` already exists; choose another name"
    if session.scalar(select(User.id).where(User.name == data.name)) is not None:
        raise Conflict(taken)
    user = User(
        name=data.name,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password) if data.password is not None else None,
        platform_admin=data.platform_admin,
        active=True,
        created=utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(taken) from None
    return _public(user)


def get_user(session: Session, name: str) -> UserPublic:
    return _public(user_record(session, name))


def list_users(session: Session, *, limit: int = 100, offset: int = 0) -> UsersPublic:
    users = session.scalars(select(User).order_by(User.name).limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(User)) or 0
    return UsersPublic(data=[_public(u) for u in users], count=total)


def update_user(session: Session, name: str, data: UserUpdate) -> UserPublic:
    user = user_record(session, name)
    changes = fields_set(data)
    for key, value in changes.items():
        if value is None and key != "email":
            raise InvalidInput.for_field(key, "cannot be null")
    if (
        user.platform_admin
        and user.active
        and not (changes.get("platform_admin", True) and changes.get("active", True))
    ):
        others = session.scalar(
            select(func.count()).where(
                User.platform_admin.is_(True), User.active.is_(True), User.id != user.id
            )
        )
        if not others:
            raise Conflict(
                f"user `{name}` is the last active platform admin; make another user platform admin first"
            )
    if name == "admin" and changes.get("platform_admin") is False:
        raise InvalidInput.for_field(
            "platform_admin",
            "user `admin` stands for the data authority and stays a platform admin; "
            "deactivate it instead (`active: false`) if it should no longer log in",
        )
    for key, value in changes.items():
        setattr(user, key, value)
    if not user.active:
        session.execute(delete(PortalSession).where(PortalSession.user_id == user.id))
    session.flush()
    return _public(user)


def set_password(
    session: Session,
    name: str,
    password: str,
    *,
    current: str | None = None,
    auth: AuthSettings | None = None,
    address: str = "local",
) -> None:
    """Set a user's password; with ``current``, only if it is the user's present password.

    Wrong current passwords count as failed logins (with ``auth``, the same limits apply), so that a
    borrowed session cannot be used to guess the password.
    """
    user = user_record(session, name)
    if current is not None:
        auth = auth or AuthSettings()
        check_login_allowed(session, auth, user.name, address)
        if not _verify(user.password_hash, current):
            _record_failure(session, auth, user.name, address)
            raise Unauthorized("the current password is wrong")
    user.password_hash = hash_password(password)
    session.execute(delete(PortalSession).where(PortalSession.user_id == user.id))  # log out everywhere
    session.flush()


def as_caller(user: User) -> Caller:
    """The :class:`Caller` a user is: their platform role and their role in each organization."""
    roles: dict[str, Role] = {m.organization.name: m.role for m in user.memberships}  # type: ignore[misc]
    return Caller(
        user=user.name, user_id=user.id, platform_admin=user.platform_admin, roles=MappingProxyType(roles)
    )


def caller_named(session: Session, name: str) -> Caller:
    """The caller a user name stands for (``datavalley --as NAME``); refuses deactivated users."""
    user = user_record(session, name)
    if not user.active:
        raise Unauthorized(f"user `{name}` is deactivated; a platform admin can reactivate it")
    return as_caller(user)


# --- memberships ----------------------------------------------------------------------------------


def _organization(session: Session, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        raise NotFound(f"organization `{name}` does not exist; `datavalley org list` shows them")
    return org


def _member_public(m: Membership) -> MemberPublic:
    return MemberPublic(
        organization=m.organization.name,
        user=m.user.name,
        display_name=m.user.display_name,
        role=m.role,  # type: ignore[arg-type]
    )


def set_membership(session: Session, org: str, user: str, role: str) -> MemberPublic:
    """Add ``user`` to ``org`` with ``role``, or change the role of a member."""
    if role not in ROLES:
        raise InvalidInput.for_field("role", f"`{role}` is not a role; use one of: {', '.join(ROLES)}")
    organization = _organization(session, org)
    record = user_record(session, user)
    membership = session.get(Membership, (record.id, organization.id))
    if membership is None:
        membership = Membership(user=record, organization=organization, role=role, created=utcnow())
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    return _member_public(membership)


def remove_membership(session: Session, org: str, user: str) -> None:
    organization = _organization(session, org)
    record = user_record(session, user)
    membership = session.get(Membership, (record.id, organization.id))
    if membership is None:
        raise NotFound(f"user `{user}` is not a member of organization `{org}`")
    session.delete(membership)
    session.flush()


def list_members(session: Session, org: str) -> MembersPublic:
    organization = _organization(session, org)
    rows = session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization.id)
        .order_by(User.name)
    ).all()
    return MembersPublic(data=[_member_public(m) for m in rows], count=len(rows))


# --- logins ---------------------------------------------------------------------------------------


def _verify(password_hash: str | None, password: str) -> bool:
    """Check a password; without a hash, spend the same effort on a dummy one and fail."""
    global _dummy_hash
    if password_hash is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not the password of anybody, ever")
        password_hash, password = _dummy_hash, password + "\x00"
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _wait(session: Session, column: object, value: str, limit: int, window: timedelta) -> int:
    """Seconds until fewer than ``limit`` failures of ``value`` are left in the window; 0 if already."""
    since = utcnow() - window
    times = session.scalars(
        select(LoginFailure.at)
        .where(column == value, LoginFailure.at > since)  # type: ignore[operator]
        .order_by(LoginFailure.at)
    ).all()
    if len(times) < limit:
        return 0
    freed = times[len(times) - limit]  # once this one leaves the window, one more attempt is allowed
    return max(1, int((freed + window - utcnow()).total_seconds()) + 1)


def check_login_allowed(session: Session, auth: AuthSettings, name: str, address: str) -> None:
    window = timedelta(seconds=auth.login_window_seconds)
    wait = max(
        _wait(session, LoginFailure.user_name, name, auth.login_max_failures_per_user, window),
        _wait(session, LoginFailure.address, address, auth.login_max_failures_per_address, window),
    )
    if wait:
        raise TooManyRequests(f"Too many failed logins; try again in {wait} s", retry_after=wait)


def _record_failure(session: Session, auth: AuthSettings, name: str, address: str) -> None:
    """Keep the failure (committed now: the caller's unit of work ends in an error) and drop old ones."""
    now = utcnow()
    session.add(LoginFailure(user_name=name, address=address, at=now))
    session.execute(
        delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=auth.login_window_seconds))
    )
    session.commit()


def authenticate(session: Session, settings: Settings, name: str, password: str, *, address: str) -> User:
    """The active user with this name and password, or 401 (same message whatever was wrong), or 429.

    Commits the session: a failure must be recorded even though the caller's unit of work fails.
    """
    auth = settings.auth
    key = name.strip().lower()[:200]
    address = (address or "unknown")[:64]
    check_login_allowed(session, auth, key, address)
    user = session.scalar(select(User).where(User.name == key))
    ok = _verify(user.password_hash if user is not None else None, password)
    if user is None or not ok or not user.active:
        _record_failure(session, auth, key, address)
        raise Unauthorized(WRONG_LOGIN)
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    user.last_login = utcnow()
    session.execute(delete(LoginFailure).where(LoginFailure.user_name == key))
    session.flush()
    return user


# --- the first platform admin ---------------------------------------------------------------------


def ensure_first_admin(session: Session, settings: Settings) -> tuple[str, str | None] | None:
    """Create the first platform admin if the store has none: ``(name, password)``, else None.

    The name and password come from ``DATAVALLEY_ADMIN_USER`` / ``DATAVALLEY_ADMIN_PASSWORD``; without a
    password, a random one is made and returned (the only time it is ever shown). The returned password
    is None when it came from the settings.
    """
    if _has_platform_admin(session):
        return None
    import secrets

    name = settings.admin_user or "admin"
    given = settings.admin_password.get_secret_value() if settings.admin_password else None
    password = given or secrets.token_urlsafe(18)
    existing = session.scalar(select(User).where(User.name == name))
    if existing is not None:
        raise Conflict(
            f"user `{name}` exists but is not a platform admin; "
            "set DATAVALLEY_ADMIN_USER to another name, or make it admin with `datavalley user update`"
        )
    create_user(session, UserCreate(name=name, password=password, platform_admin=True))
    return name, (None if given else password)
