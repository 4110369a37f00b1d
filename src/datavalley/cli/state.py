"""The runtime the CLI commands work on, opened once per invocation from the settings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from datavalley.access.policy import AUTHORITY, Caller
from datavalley.config import Settings, get_settings
from datavalley.runtime import Runtime, open_runtime

_home_override: Path | None = None
_acting_user: str | None = None


def set_home(home: Path | None) -> None:
    global _home_override
    _home_override = home


def set_acting_user(user: str | None) -> None:
    """``datavalley --as USER``: act with that user's rights instead of the authority's."""
    global _acting_user
    _acting_user = user


def caller(session: Session) -> Caller:
    """Who the command acts as: the data authority, or the ``--as`` user (with the API's checks)."""
    if _acting_user is None:
        return AUTHORITY
    from datavalley.access.accounts import caller_named

    return caller_named(session, _acting_user)


def acting_name() -> str | None:
    """The name recorded in a table's history for this command's changes (None: the system user's)."""
    return _acting_user


def settings() -> Settings:
    return get_settings(home=_home_override) if _home_override else get_settings()


def runtime(*, ready: bool = True) -> Runtime:
    """The runtime; with ``ready`` it must have been initialised (pending migrations are applied)."""
    rt = open_runtime(settings())
    if ready:
        rt.ensure_ready()
    return rt
