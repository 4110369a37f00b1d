"""Small builders for catalog objects, users and API tokens in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from datavalley.access import accounts, tokens
from datavalley.access.accounts import UserCreate, UserPublic
from datavalley.access.tokens import TokenCreate
from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetCreate, DatasetPublic, OrganizationCreate, OrganizationPublic


def make_org(session: Session, name: str = "stats", **fields: Any) -> OrganizationPublic:
    return service.create_organization(session, OrganizationCreate(name=name, **fields))


def make_dataset(session: Session, ref: str, **fields: Any) -> DatasetPublic:
    org, name = ref.split("/")
    return service.create_dataset(session, org, DatasetCreate(name=name, **fields))


def make_user(
    session: Session,
    name: str,
    *,
    platform_admin: bool = False,
    password: str | None = None,
    **roles: str,
) -> UserPublic:
    """A user (made if missing) with ``roles`` (``stats="editor"``); missing organizations are created."""
    from sqlalchemy import select

    from datavalley.access.models import User
    from datavalley.catalog.models import Organization

    if session.scalar(select(User.id).where(User.name == name)) is None:
        accounts.create_user(session, UserCreate(name=name, platform_admin=platform_admin, password=password))
    for org, role in roles.items():
        if session.scalar(select(Organization.id).where(Organization.name == org)) is None:
            make_org(session, org)
        accounts.set_membership(session, org, name, role)
    return accounts.get_user(session, name)


def make_token(session: Session, user: str, *, days: int = 1) -> str:
    """A fresh API token of ``user``: the secret to send as ``Authorization: Bearer ...``."""
    import uuid

    created = tokens.create_token(
        session, user, TokenCreate(name=f"test-{uuid.uuid4().hex[:8]}", expires_days=days), default_days=days
    )
    return created.token
